// The engine's per-context bookkeeping read from outside (mips_iss.hpp): its counters, its halt
// state, and the instruction profile per function (docs/iss.md, "Where the instructions go").
//
// The profile rides on the counting the engine does anyway (mips_iss.cpp): each cached block
// carries the index of the function holding its first instruction, resolved once when the block
// is first seen, and wherever an instruction is counted (a whole block in the block hook, one
// instruction in the instruction hook, one uncounted on a fault) it is also counted for that
// function in the running context's profile. A translated block ends at its first branch (with
// the delay slot), so it never crosses a call or a return; code that falls through into the next
// function is the linker's .pic. stubs, counted as their function's (build_function_table).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "elf_image.hpp"
#include "mips_iss.hpp"

namespace dfc::iss {

const MipsIss::Counters& MipsIss::counters(unsigned ctx) const {
  check_ctx(ctx);
  return state_[ctx].counters;
}

bool MipsIss::halted(unsigned ctx) const {
  check_ctx(ctx);
  return state_[ctx].halted;
}

uint32_t MipsIss::halt_code(unsigned ctx) const {
  check_ctx(ctx);
  return state_[ctx].halt_code;
}

// The image's function symbols as sorted, non-overlapping ranges. Aliases (one address, several
// names: a C++ constructor's complete and base forms) keep the first name in the symbol table,
// as ElfImage::symbol_at does; a symbol of size 0 (an assembly label) covers one instruction.
// The linker's ".pic.NAME" stubs (two instructions before NAME that set $t9 for a PIC library
// function, then fall through into it) are NAME's: its blocks start there.
void MipsIss::build_function_table() {
  std::vector<const ElfSymbol*> fns;
  for (const ElfSymbol& s : image_.symbols())
    if (s.function) fns.push_back(&s);
  std::stable_sort(fns.begin(), fns.end(), [](const ElfSymbol* a, const ElfSymbol* b) { return a->addr < b->addr; });
  fn_start_.clear(), fn_end_.clear(), fn_body_.clear(), fn_names_.clear();
  const std::string pic = ".pic.";
  for (size_t i = 0; i < fns.size(); ++i) {
    const ElfSymbol* s = fns[i];
    if (!fn_start_.empty() && s->addr < fn_end_.back()) continue;  // an alias, or inside the one before
    uint32_t start = s->addr;
    if (s->name.compare(0, pic.size(), pic) == 0 && i + 1 < fns.size() && fns[i + 1]->name == s->name.substr(pic.size()) &&
        fns[i + 1]->addr == s->addr + s->size) {
      s = fns[++i];  // the stub and its function: one entry from the stub's address
    }
    fn_start_.push_back(start);
    fn_body_.push_back(s->addr);
    fn_end_.push_back(s->addr + std::max<uint32_t>(s->size, 4));
    fn_names_.push_back(s->demangled);
  }
  fn_names_.push_back("(outside any function symbol)");
}

uint32_t MipsIss::function_index(uint32_t addr) const {
  const auto outside = static_cast<uint32_t>(fn_start_.size());
  auto it = std::upper_bound(fn_start_.begin(), fn_start_.end(), addr);
  if (it == fn_start_.begin()) return outside;
  const auto i = static_cast<uint32_t>(it - fn_start_.begin() - 1);
  return addr < fn_end_[i] ? i : outside;
}

void MipsIss::Profile::add(const Profile& other) {
  if (instructions.size() < other.instructions.size()) instructions.resize(other.instructions.size(), 0);
  if (calls.size() < other.calls.size()) calls.resize(other.calls.size(), 0);
  for (size_t i = 0; i < other.instructions.size(); ++i) instructions[i] += other.instructions[i];
  for (size_t i = 0; i < other.calls.size(); ++i) calls[i] += other.calls[i];
}

uint64_t MipsIss::Profile::total() const {
  uint64_t t = 0;
  for (uint64_t n : instructions) t += n;
  return t;
}

void MipsIss::enable_profile() {
  if (!profile_.empty()) return;
  const std::vector<uint64_t> zero(fn_names_.size(), 0);
  profile_.assign(state_.size(), Pending{Profile{zero, zero}, {}});
}

void MipsIss::take_profile(unsigned ctx, Profile& into) {
  check_ctx(ctx);
  if (profile_.empty()) return;
  if (into.instructions.size() < fn_names_.size()) into.instructions.resize(fn_names_.size(), 0);
  if (into.calls.size() < fn_names_.size()) into.calls.resize(fn_names_.size(), 0);
  Pending& p = profile_[ctx];
  for (uint32_t fn : p.touched) {
    into.instructions[fn] += p.counts.instructions[fn];
    into.calls[fn] += p.counts.calls[fn];
    p.counts.instructions[fn] = p.counts.calls[fn] = 0;
  }
  p.touched.clear();
}

const MipsIss::Profile& MipsIss::pending_profile(unsigned ctx) const {
  check_ctx(ctx);
  static const Profile none;
  return profile_.empty() ? none : profile_[ctx].counts;
}

}  // namespace dfc::iss
