// MipsIss::observe (mips_iss.hpp): every load and store of the image to a range, with the
// instruction that made it, for the race checker.
//
// Unicorn 2.0.1 calls a memory hook with the address and size but a stale PC (MIPS code syncs
// it only where an instruction hook does), and instruction-hooking every block would cost the
// speed the engine has. Within one translated block the loads and stores run in address order
// (its only branch ends it, with the delay slot), so the instruction is the next memory
// instruction from the last one matched whose effective address, computed from the registers at
// the access, is the address accessed. The registers are current then: QEMU writes its register
// copies back before every guest memory operation (it may fault). What QEMU makes of each
// instruction (QEMU 5.0, target/mips/translate.c and op_helper.c):
//   - a plain load or store: one access at its effective address;
//   - lwl/lwr: a byte read at the effective address, then the aligned word;
//   - swl/swr: byte writes inside the aligned word (from the address to the word's end for swl,
//     from the word's start to the address for swr);
//   - ll: one read; sc: nothing when its address is not ll's, else a compare-and-swap done as a
//     read and a write (QEMU runs one CPU at a time: not the host's atomic instruction);
//   - luxc1/suxc1: the aligned doubleword.
// Device accesses are matched too (they move the cursor); they are not reported.
#include <unicorn/unicorn.h>

#include <stdexcept>

#include "elf_image.hpp"
#include "iss_memory.hpp"
#include "mips_iss.hpp"

namespace dfc::iss {
namespace {

enum class Kind : uint8_t { None, Plain, Left, Right, Cond, Aligned8 };

// The data access shape of an instruction word: direction and how its address is formed.
struct MemInsn {
  Kind kind = Kind::None;
  bool load = false, store = false;
  unsigned base = 0;
  int index = -1;  // COP1X indexed forms: base + index register
  int32_t offset = 0;
};

MemInsn decode(uint32_t w) {
  MemInsn m;
  const uint32_t op = w >> 26, fn = w & 63;
  m.base = (w >> 21) & 31;
  m.offset = static_cast<int16_t>(w & 0xffff);
  auto set = [&m](Kind k, bool load, bool store) {
    m.kind = k;
    m.load = load;
    m.store = store;
  };
  switch (op) {
    case 0x20: case 0x21: case 0x23: case 0x24: case 0x25:  // lb lh lw lbu lhu
    case 0x30: case 0x31: case 0x35:                        // ll lwc1 ldc1
      set(Kind::Plain, true, false);
      break;
    case 0x22: set(Kind::Left, true, false); break;   // lwl
    case 0x26: set(Kind::Right, true, false); break;  // lwr
    case 0x28: case 0x29: case 0x2b: case 0x39: case 0x3d:  // sb sh sw swc1 sdc1
      set(Kind::Plain, false, true);
      break;
    case 0x2a: set(Kind::Left, false, true); break;   // swl
    case 0x2e: set(Kind::Right, false, true); break;  // swr
    case 0x38: set(Kind::Cond, true, true); break;    // sc
    case 0x13:  // COP1X: lwxc1 ldxc1 luxc1 / swxc1 sdxc1 suxc1
      m.index = static_cast<int>((w >> 16) & 31);
      m.offset = 0;
      if (fn == 0x0 || fn == 0x1) set(Kind::Plain, true, false);
      else if (fn == 0x5) set(Kind::Aligned8, true, false);
      else if (fn == 0x8 || fn == 0x9) set(Kind::Plain, false, true);
      else if (fn == 0xd) set(Kind::Aligned8, false, true);
      break;
    default: break;
  }
  return m;
}

uint32_t gpr(uc_engine* uc, unsigned r) {
  uint32_t v = 0;
  if (r) uc_reg_read(uc, UC_MIPS_REG_0 + static_cast<int>(r), &v);
  return v;
}

// Does instruction m (effective address ea) make this access?
bool matches(const MemInsn& m, uint32_t ea, bool write, uint32_t addr, uint32_t size) {
  if (write ? !m.store : !m.load) return false;
  const uint32_t word = ea & ~3u;
  switch (m.kind) {
    case Kind::Plain:
    case Kind::Cond: return addr == ea;
    case Kind::Aligned8: return addr == (ea & ~7u);
    case Kind::Left:
    case Kind::Right:
      if (!write) return (size == 1 && addr == ea) || (size == 4 && addr == word);
      return m.kind == Kind::Left ? addr >= ea && addr + size <= (ea | 3u) + 1 : addr >= word && addr + size <= ea + 1;
    case Kind::None: break;
  }
  return false;
}

}  // namespace

// Unicorn's memory hook for the observed range.
struct ObserveHooks {
  static void mem(uc_engine* uc, uc_mem_type type, uint64_t addr, int size, int64_t, void* p) {
    auto* self = static_cast<MipsIss*>(p);
    IssAccess a;
    a.addr = static_cast<uint32_t>(addr);
    a.size = static_cast<uint32_t>(size);
    a.write = type == UC_MEM_WRITE;
    a.pc_known = self->attribute(uc, a.write, a.addr, a.size, a.pc, a.atomic);
    ++self->stats_.observed_accesses;
    if (!a.pc_known) ++self->stats_.unattributed_accesses;
    self->observer_->access(self->running_, a);
  }
};

bool MipsIss::attribute(uc_struct* uc, bool write, uint32_t addr, uint32_t size, uint32_t& pc, bool& atomic) {
  for (uint32_t at = mem_cursor_; at < cur_block_end_; at += 4) {
    const uint32_t w = fetch(at);
    const MemInsn m = decode(w);
    if (m.kind == Kind::None) continue;
    const uint32_t ea = gpr(uc, m.base) + (m.index >= 0 ? gpr(uc, static_cast<unsigned>(m.index))
                                                        : static_cast<uint32_t>(m.offset));
    if (!matches(m, ea, write, addr, size)) continue;
    pc = at;
    atomic = is_ll_sc(w);
    // lwl/lwr/swl/swr and sc make more than one access: the next may be theirs too.
    const bool more = m.kind == Kind::Left || m.kind == Kind::Right || (m.kind == Kind::Cond && !write);
    mem_cursor_ = more ? at : at + 4;
    return true;
  }
  pc = cur_block_;
  atomic = false;
  return false;
}

void MipsIss::observe(uint32_t base, uint32_t size, IssAccessObserver* observer) {
  if (!observer || size == 0) throw std::invalid_argument("MipsIss::observe: an observer and a non-empty range");
  if (observer_) throw std::logic_error("MipsIss::observe: already observing");
  observer_ = observer;
  const uint64_t end = uint64_t{base} + size - 1;
  for (uc_engine* uc : {uc_, step_}) {
    uc_hook h = 0;
    uc_err err = uc_hook_add(uc, &h, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, reinterpret_cast<void*>(&ObserveHooks::mem),
                             this, uint64_t{base}, end);
    // A block translated before the hook may keep a load/store path that calls no hook (Unicorn
    // picks the softmmu fast path at translation on some hosts; 2.0.1 on x86-64 was seen to
    // hook old blocks anyway): the image's code translations go. Not the whole cache: 2.0.1's
    // full flush touches every page of its code buffer, 1 GiB per engine.
    for (const ElfSegment& seg : image_.segments())
      if (err == UC_ERR_OK && (seg.flags & 1u) && seg.memsz)
        err = uc_ctl_remove_cache(uc, uint64_t{seg.vaddr}, uint64_t{seg.vaddr} + seg.memsz);
    if (err != UC_ERR_OK)
      throw std::runtime_error(std::string("MipsIss::observe: memory hook: ") + uc_strerror(err));
  }
}

}  // namespace dfc::iss
