// An ELF32 big-endian MIPS executable as the instruction-set simulator loads it: the PT_LOAD
// segments (file bytes + zero fill), the entry point and the symbol table. SystemC-free.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dfc::iss {

struct ElfSegment {
  uint32_t vaddr = 0;
  uint32_t memsz = 0;          // bytes in memory: data.size() from the file, the rest zero (.bss)
  uint32_t flags = 0;          // PF_X=1, PF_W=2, PF_R=4
  std::vector<uint8_t> data;   // the file bytes (filesz)
};

struct ElfSymbol {
  std::string name;       // as in the file (mangled for C++)
  std::string demangled;  // abi::__cxa_demangle of name, or name when it is not a C++ name
  uint32_t addr = 0;
  uint32_t size = 0;
  bool function = false;
  bool object = false;  // a data object (STT_OBJECT): a global or static variable
};

class ElfImage {
 public:
  // Reads and checks the file; throws std::runtime_error naming the file, what is wrong and
  // how to fix it. Segments must lie in [window_base, window_base + window_bytes): the image's
  // code, data, heap and stacks live in the DRAM window (card_map ISS_DRAM_WINDOW).
  static ElfImage load(const std::string& path, uint32_t window_base, uint32_t window_bytes);
  static ElfImage parse(const std::vector<uint8_t>& bytes, const std::string& name,
                        uint32_t window_base, uint32_t window_bytes);

  uint32_t entry() const { return entry_; }
  const std::vector<ElfSegment>& segments() const { return segments_; }
  const std::vector<ElfSymbol>& symbols() const { return symbols_; }
  const std::string& path() const { return path_; }

  // Exact (mangled or C) name.
  std::optional<ElfSymbol> find(const std::string& name) const;
  // First symbol whose demangled name starts with prefix ("dfc::fw::Pipeline::on_packet" finds
  // "dfc::fw::Pipeline::on_packet(dfc::fw::Packet&)"); functions before data.
  std::optional<ElfSymbol> find_demangled(const std::string& prefix) const;
  // The function symbol containing addr (for fault reports), if any.
  const ElfSymbol* symbol_at(uint32_t addr) const;
  // The data object symbol containing addr (a race report's variable), if any.
  const ElfSymbol* object_at(uint32_t addr) const;

 private:
  std::string path_;
  uint32_t entry_ = 0;
  std::vector<ElfSegment> segments_;
  std::vector<ElfSymbol> symbols_;
};

}  // namespace dfc::iss
