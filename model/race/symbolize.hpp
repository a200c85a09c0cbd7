// Names for the race report in host mode (docs/race-check.md): the code locations of accesses
// (function, file:line from the dfcsim-race build's line tables, through binutils' addr2line) and
// the data a racing address is in (a static object's symbol, through nm; or the heap block the
// firmware allocated, with the code that allocated it). SystemC-free.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dfc::race {

// An address as the report writes it ("0x1f40").
std::string hex(uint64_t v);

class HostSymbols {
 public:
  // Resolves every code address of `pcs`, and the allocation sites of the heap blocks `addrs` are
  // in, at once (one addr2line run).
  HostSymbols(const std::vector<uint64_t>& pcs, const std::vector<uint64_t>& addrs);
  // "function (file:line)", or the address in hex when it has no name.
  std::string code(uint64_t pc) const;
  // "symbol+0x10", "heap block of 48 bytes (+0x8) allocated in <code>", or "".
  std::string data(uint64_t addr) const;

 private:
  std::map<uint64_t, std::string> code_;
  struct Sym {
    uint64_t size;
    std::string name;
  };
  std::map<uint64_t, Sym> data_;  // static objects of the executable, by run-time address
};

}  // namespace dfc::race
