// A C++ symbol for the loader's demangled lookup (ElfImage::find_demangled).
namespace dfc::fw {
struct Packet {
  unsigned len;
};
struct Pipeline {
  static unsigned on_packet(Packet& p);
};
unsigned Pipeline::on_packet(Packet& p) { return p.len + 1; }
}  // namespace dfc::fw

extern "C" [[noreturn]] void _start() {
  dfc::fw::Packet p{41};
  volatile unsigned r = dfc::fw::Pipeline::on_packet(p);
  (void)r;
  for (;;) {
  }
}
