#include "race/symbolize.hpp"

#include <link.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <set>
#include <sstream>

#include "race/host_gate.hpp"

namespace dfc::race {

namespace {

// The executable's load bias (0 unless position-independent): the first object dl_iterate_phdr
// lists is the program itself.
uint64_t load_bias() {
  uint64_t bias = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        *static_cast<uint64_t*>(out) = info->dlpi_addr;
        return 1;
      },
      &bias);
  return bias;
}


// Runs a command and returns its standard output ("" when it cannot run: the report then shows
// addresses, which is still a report).
std::string run(const std::string& cmd) {
  std::string out;
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p.get())) > 0) out.append(buf, n);
  return out;
}

}  // namespace

std::string hex(uint64_t v) {
  char b[24];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

HostSymbols::HostSymbols(const std::vector<uint64_t>& pcs, const std::vector<uint64_t>& addrs) {
  const uint64_t bias = load_bias();
  // This process's file, by name: "/proc/self/exe" would be addr2line's and nm's own.
  char self[4096];
  const ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
  if (len <= 0) return;  // unnamed: the report shows addresses
  const std::string exe(self, static_cast<size_t>(len));
  std::set<uint64_t> want(pcs.begin(), pcs.end());
  for (uint64_t a : addrs)
    if (const Allocation b = allocation_of(a); b.site) want.insert(b.site);
  if (!want.empty()) {
    std::string cmd = "addr2line -C -f -e '" + exe + "'";
    for (uint64_t pc : want) cmd += " " + hex(pc - bias);
    std::istringstream in(run(cmd + " 2>/dev/null"));
    std::string fn, where;
    for (uint64_t pc : want) {
      if (!std::getline(in, fn) || !std::getline(in, where)) break;
      std::string s = fn == "??" ? hex(pc) : fn;
      if (where.rfind("??", 0) != 0) s += " (" + where.substr(where.find_last_of('/') + 1) + ")";
      code_[pc] = s;
    }
  }
  std::istringstream nm(run("nm -C -S --defined-only '" + exe + "' 2>/dev/null"));
  std::string line;
  while (std::getline(nm, line)) {
    std::istringstream l(line);
    std::string a, sz, type;
    if (!(l >> a >> sz >> type) || type.size() != 1 || std::string("bBdDgGsSvV").find(type[0]) == std::string::npos)
      continue;
    std::string name;
    std::getline(l, name);
    if (!name.empty() && name[0] == ' ') name.erase(0, 1);
    data_[std::stoull(a, nullptr, 16) + bias] = Sym{std::stoull(sz, nullptr, 16), name};
  }
}

std::string HostSymbols::code(uint64_t pc) const {
  auto it = code_.find(pc);
  return it == code_.end() ? hex(pc) : it->second;
}

std::string HostSymbols::data(uint64_t addr) const {
  auto it = data_.upper_bound(addr);
  if (it != data_.begin()) {
    --it;
    if (addr < it->first + it->second.size)
      return it->second.name + (addr == it->first ? "" : "+" + hex(addr - it->first));
  }
  const Allocation a = allocation_of(addr);
  if (!a.size) return "";
  return "heap block of " + std::to_string(a.size) + " bytes (+" + hex(addr - a.base) + ") allocated in " + code(a.site);
}

}  // namespace dfc::race
