// ELF32 big-endian MIPS executable reader (see elf_image.hpp). The fields are read byte by byte
// in the file's byte order, so the host's (little-endian x86-64) does not matter.
#include "elf_image.hpp"

#include <cxxabi.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>

namespace dfc::iss {
namespace {

constexpr size_t kEhdrBytes = 52;
constexpr size_t kPhdrBytes = 32;
constexpr size_t kShdrBytes = 40;
constexpr size_t kSymBytes = 16;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kShtSymtab = 2;
constexpr uint16_t kEtExec = 2;
constexpr uint16_t kEmMips = 8;
constexpr unsigned kSttFunc = 2;
constexpr unsigned kSttObject = 1;

class Reader {
 public:
  Reader(const std::vector<uint8_t>& b, const std::string& n) : bytes_(b), name_(n) {}
  [[noreturn]] void fail(const std::string& what, const std::string& fix) const {
    throw std::runtime_error("ELF image " + name_ + ": " + what + " (" + fix + ")");
  }
  void need(uint64_t off, uint64_t len, const char* what) const {
    if (off + len > bytes_.size())
      fail(std::string("truncated: ") + what + " at offset " + std::to_string(off) + " + " +
               std::to_string(len) + " is past the end of the " + std::to_string(bytes_.size()) +
               "-byte file",
           "rebuild or recopy the image; the file is incomplete");
  }
  uint16_t u16(uint64_t off) const {
    need(off, 2, "field");
    return static_cast<uint16_t>(bytes_[off] << 8 | bytes_[off + 1]);
  }
  uint32_t u32(uint64_t off) const {
    need(off, 4, "field");
    return static_cast<uint32_t>(bytes_[off]) << 24 | static_cast<uint32_t>(bytes_[off + 1]) << 16 |
           static_cast<uint32_t>(bytes_[off + 2]) << 8 | bytes_[off + 3];
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  const std::vector<uint8_t>& bytes_;
  const std::string& name_;
};

std::string hex_digits(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  do {
    out.insert(out.begin(), digits[v & 0xf]);
    v >>= 4;
  } while (v);
  return "0x" + out;
}

std::string demangle(const std::string& name) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> out(abi::__cxa_demangle(name.c_str(), nullptr, nullptr, &status),
                                             std::free);
  return status == 0 && out ? std::string(out.get()) : name;
}

void check_header(const Reader& r) {
  const auto& b = r.bytes();
  if (b.size() < 4 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F')
    r.fail("not an ELF file (no \\x7fELF magic)", "give the firmware image built by firmware/image, not a "
           "source, object archive or raw binary");
  r.need(0, kEhdrBytes, "ELF header");
  if (b[4] != 1)
    r.fail("64-bit ELF (ELFCLASS64); the card's cores are MIPS32",
           "build with mips-linux-gnu-gcc -march=mips32r2 (not mips64)");
  if (b[5] != 2)
    r.fail("little-endian ELF (ELFDATA2LSB); the card's cores are big-endian", "build with -EB (mips-linux-gnu-*, "
           "not mipsel-linux-gnu-*)");
  if (r.u16(18) != kEmMips)
    r.fail("machine " + std::to_string(r.u16(18)) + " is not MIPS (EM_MIPS = 8)",
           "build the image with the MIPS cross compiler mips-linux-gnu-gcc");
  if (r.u16(16) != kEtExec)
    r.fail("type " + std::to_string(r.u16(16)) + " is not an executable (ET_EXEC = 2)",
           "link a static executable (-static -nostdlib), not a relocatable object or shared library");
}

std::vector<ElfSymbol> read_symbols(const Reader& r) {
  std::vector<ElfSymbol> out;
  const uint32_t shoff = r.u32(32);
  const uint16_t shentsize = r.u16(46), shnum = r.u16(48);
  if (shoff == 0 || shnum == 0) return out;  // stripped: no symbols, still runnable
  if (shentsize < kShdrBytes) r.fail("section header size " + std::to_string(shentsize) + " < 40", "relink the image");
  r.need(shoff, uint64_t{shentsize} * shnum, "section header table");
  for (uint16_t i = 0; i < shnum; ++i) {
    const uint64_t sh = shoff + uint64_t{i} * shentsize;
    if (r.u32(sh + 4) != kShtSymtab) continue;
    const uint32_t off = r.u32(sh + 16), size = r.u32(sh + 20), link = r.u32(sh + 24);
    if (link >= shnum) r.fail("symbol table links to missing string table section " + std::to_string(link), "relink the image");
    const uint64_t strsh = shoff + uint64_t{link} * shentsize;
    const uint32_t stroff = r.u32(strsh + 16), strsize = r.u32(strsh + 20);
    r.need(off, size, "symbol table");
    r.need(stroff, strsize, "string table");
    for (uint32_t s = 0; s + kSymBytes <= size; s += kSymBytes) {
      const uint32_t name = r.u32(off + s);
      const uint8_t info = r.bytes()[off + s + 12];
      if (name == 0 || name >= strsize) continue;
      const char* p = reinterpret_cast<const char*>(r.bytes().data() + stroff + name);
      const auto len = std::find(p, p + (strsize - name), '\0') - p;
      ElfSymbol sym;
      sym.name.assign(p, static_cast<size_t>(len));
      sym.demangled = demangle(sym.name);
      sym.addr = r.u32(off + s + 4);
      sym.size = r.u32(off + s + 8);
      sym.function = (info & 0xf) == kSttFunc;
      sym.object = (info & 0xf) == kSttObject;
      out.push_back(std::move(sym));
    }
  }
  return out;
}

}  // namespace

ElfImage ElfImage::load(const std::string& path, uint32_t window_base, uint32_t window_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("ELF image " + path + ": cannot open (check the path; build the image first)");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse(bytes, path, window_base, window_bytes);
}

ElfImage ElfImage::parse(const std::vector<uint8_t>& bytes, const std::string& name, uint32_t window_base,
                         uint32_t window_bytes) {
  const Reader r(bytes, name);
  check_header(r);
  ElfImage img;
  img.path_ = name;
  img.entry_ = r.u32(24);
  const uint32_t phoff = r.u32(28);
  const uint16_t phentsize = r.u16(42), phnum = r.u16(44);
  if (phnum == 0) r.fail("no program headers", "link a static executable with the image's linker script");
  if (phentsize < kPhdrBytes) r.fail("program header size " + std::to_string(phentsize) + " < 32", "relink the image");
  r.need(phoff, uint64_t{phentsize} * phnum, "program header table");
  const uint64_t lo = window_base, hi = uint64_t{window_base} + window_bytes;
  for (uint16_t i = 0; i < phnum; ++i) {
    const uint64_t ph = phoff + uint64_t{i} * phentsize;
    if (r.u32(ph) != kPtLoad) continue;
    const uint32_t off = r.u32(ph + 4), vaddr = r.u32(ph + 8), filesz = r.u32(ph + 16), memsz = r.u32(ph + 20);
    if (memsz == 0) continue;
    if (filesz > memsz) r.fail("segment " + std::to_string(i) + " has filesz > memsz", "relink the image");
    if (vaddr < lo || uint64_t{vaddr} + memsz > hi)
      r.fail("segment " + std::to_string(i) + " [" + hex_digits(vaddr) + ", " + hex_digits(uint64_t{vaddr} + memsz) +
                 ") lies outside the DRAM window [" + hex_digits(lo) + ", " + hex_digits(hi) + ")",
             "link the image into the window (card_map ISS_DRAM_WINDOW, ISS_WINDOW_BYTES)");
    if (filesz > 0) r.need(off, filesz, "segment data");  // a .bss-only segment's offset may lie at the end
    ElfSegment seg;
    seg.vaddr = vaddr;
    seg.memsz = memsz;
    seg.flags = r.u32(ph + 24);
    seg.data.assign(bytes.begin() + off, bytes.begin() + off + filesz);
    img.segments_.push_back(std::move(seg));
  }
  if (img.segments_.empty()) r.fail("no loadable (PT_LOAD) segment", "link a static executable");
  img.symbols_ = read_symbols(r);
  return img;
}

std::optional<ElfSymbol> ElfImage::find(const std::string& name) const {
  for (const auto& s : symbols_)
    if (s.name == name) return s;
  return std::nullopt;
}

std::optional<ElfSymbol> ElfImage::find_demangled(const std::string& prefix) const {
  const ElfSymbol* data = nullptr;
  for (const auto& s : symbols_) {
    if (s.demangled.compare(0, prefix.size(), prefix) != 0) continue;
    if (s.function) return s;
    if (!data) data = &s;
  }
  return data ? std::optional<ElfSymbol>(*data) : std::nullopt;
}

const ElfSymbol* ElfImage::object_at(uint32_t addr) const {
  for (const auto& s : symbols_)
    if (s.object && addr >= s.addr && addr - s.addr < std::max<uint32_t>(s.size, 1)) return &s;
  return nullptr;
}

const ElfSymbol* ElfImage::symbol_at(uint32_t addr) const {
  for (const auto& s : symbols_)
    if (s.function && addr >= s.addr && addr - s.addr < std::max<uint32_t>(s.size, 1)) return &s;
  return nullptr;
}

}  // namespace dfc::iss
