// The engine (mips_iss.hpp). One Unicorn engine serves every context: each hardware thread's
// CPU state is a saved uc_context, swapped in when run() switches context, so the contexts
// share one translation cache (docs/iss-engine.md has the measurements behind this choice).
//
// Counting. A block hook (one call per translated block executed) adds the block's instruction
// count and its static load/store counts, cached by block address. Unicorn 2.0.1 can only stop
// inside a block after an instruction hook (UC_HOOK_CODE, decided when the block is translated)
// or after a guest load/store, and it leaves the PC stale unless an instruction hook synced it.
// Hooks cannot be switched per slice: retranslating costs ~10 us and leaks translation memory.
// So a second engine, the stepper, has every instruction hooked and its own translation cache,
// and the main engine hands it single blocks (the context's state copied both ways):
//   - a block's first run (it learns whether the block touches a device, with exact PCs),
//   - the block in which the budget ends (it stops after exactly the budget).
// Blocks that touch a device are instruction-hooked on the main engine (translated once more),
// so a yield/halt from a device callback stops right after the accessing instruction.
// uc_emu_start's own count would hook every instruction and flush the whole translation cache
// whenever counting is switched off.
#include "mips_iss.hpp"

#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "elf_image.hpp"
#include "iss_memory.hpp"

namespace dfc::iss {
namespace {

enum : uint8_t { kLoad = 1, kStore = 2, kBranch = 4 };

// The MIPS32r2 instruction classes counting needs: loads, stores (sc counts as a store, ll as a
// load) and control transfers with a delay slot.
uint8_t classify(uint32_t w) {
  const uint32_t op = w >> 26, rs = (w >> 21) & 31, rt = (w >> 16) & 31, fn = w & 63;
  switch (op) {
    case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:  // lb lh lwl lw lbu lhu lwr
    case 0x30: case 0x31: case 0x32: case 0x35: case 0x36:                        // ll lwc1 lwc2 ldc1 ldc2
      return kLoad;
    case 0x28: case 0x29: case 0x2a: case 0x2b: case 0x2e:  // sb sh swl sw swr
    case 0x38: case 0x39: case 0x3a: case 0x3d: case 0x3e:  // sc swc1 swc2 sdc1 sdc2
      return kStore;
    case 0x13:  // COP1X: lwxc1 ldxc1 luxc1 / swxc1 sdxc1 suxc1
      if (fn == 0x0 || fn == 0x1 || fn == 0x5) return kLoad;
      if (fn == 0x8 || fn == 0x9 || fn == 0xd) return kStore;
      return 0;
    case 0x02: case 0x03:                                   // j jal
    case 0x04: case 0x05: case 0x06: case 0x07:             // beq bne blez bgtz
    case 0x14: case 0x15: case 0x16: case 0x17:             // the branch-likely forms
      return kBranch;
    case 0x01:  // REGIMM: bltz bgez bltzl bgezl bltzal bgezal bltzall bgezall
      return (rt <= 0x03 || (rt >= 0x10 && rt <= 0x13)) ? kBranch : 0;
    case 0x00:  // jr jalr
      return (fn == 0x08 || fn == 0x09) ? kBranch : 0;
    case 0x11: case 0x12:  // bc1* bc2*
      return rs == 0x08 ? kBranch : 0;
    default:
      return 0;
  }
}

std::string hex_addr(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(v));
  return buf;
}

const char* exception_name(int intno) {
  // QEMU's MIPS exception numbers (target/mips/cpu.h), the ones a firmware can raise.
  switch (intno) {
    case 12: return "address error on load or fetch (AdEL: unaligned or kernel address)";
    case 13: return "address error on store (AdES: unaligned or kernel address)";
    case 15: return "bus error on fetch";
    case 17: return "syscall (the image has no operating system)";
    case 18: return "break instruction (a trap the compiler or the image planted)";
    case 19: return "coprocessor unusable";
    case 20: return "illegal instruction (reserved instruction exception)";
    case 21: return "integer overflow (add/sub/addi trapped)";
    case 22: return "trap instruction (teq/tne/...: e.g. a division by zero check)";
    case 23: return "floating-point exception";
    case 28: return "bus error on data access";
    default: return "CPU exception";
  }
}

void check(uc_err err, const char* what) {
  if (err != UC_ERR_OK) throw std::runtime_error(std::string("MipsIss: ") + what + ": " + uc_strerror(err));
}

}  // namespace

struct MipsIss::DeviceMap {
  MipsIss* iss;
  IssDevice* device;
  uint32_t base;
};

// Unicorn's callbacks, with the exact signatures it calls.
struct IssHooks {
  using Req = MipsIss::Req;

  static void block(uc_engine*, uint64_t addr, uint32_t size, void* p) {
    auto* self = static_cast<MipsIss*>(p);
    const auto a = static_cast<uint32_t>(addr);
    MipsIss::Block& b = self->block(a, size);
    self->cur_block_ = self->mem_cursor_ = a;
    self->cur_block_end_ = a + size;
    self->cur_fn_ = b.fn;
    self->cur_entry_ = b.entry ? a : 1;
    self->last_insn_ = self->prev_insn_ = 1;
    self->last_branch_ = self->prev_branch_ = false;
    // Every stop requested here leaves the block unexecuted; the context resumes at its start.
    if (self->deferred_ != Req::None) {
      self->request(self->deferred_, a);
      self->deferred_ = Req::None;
    } else if (self->stepping_) {
      self->cur_hooked_ = true;
      if (self->step_blocks_++ > 0) {
        self->request(Req::Next, a);  // one block per step
      } else {
        b.seen = true;
      }
    } else if (self->retired_ >= self->budget_) {
      self->request(Req::Budget, a);
    } else if (!self->breakpoints_.empty() && b.hook == 0 &&
               self->breakpoints_.lower_bound(a) != self->breakpoints_.lower_bound(a + size)) {
      self->request(Req::Step, a);  // a breakpoint inside: every instruction checked on the stepper
    } else if ((self->cur_hooked_ = b.hook != 0)) {
      // a device block: insn() counts and stops
    } else if (!b.seen || self->retired_ + b.insns > self->budget_) {
      self->request(Req::Step, a);
    } else {
      self->retired_ += b.insns;
      self->loads_ += b.loads;
      self->stores_ += b.stores;
      if (self->prof_) self->profile_add(b.fn, b.insns, b.entry);
    }
  }

  static void insn(uc_engine*, uint64_t addr, uint32_t, void* p) {
    auto* self = static_cast<MipsIss*>(p);
    const auto a = static_cast<uint32_t>(addr);
    // Hooks are ranges: an unhooked block overlapping a hooked one is still block-counted, and
    // two overlapping hooks call this twice for one instruction.
    if (!self->cur_hooked_ || a == self->last_insn_ || self->req_ != Req::None) return;
    if (!self->breakpoints_.empty()) {
      const bool in_slot = self->last_branch_ && a == self->last_insn_ + 4;
      if (a == self->bp_skip_) {
        self->bp_skip_ = 1;
      } else if (!in_slot && self->breakpoints_.count(a)) {
        self->request(Req::Break, a);
        return;
      }
    }
    const uint8_t f = classify(self->fetch(a));
    // A branch and its delay slot retire together: Unicorn cannot stop between them.
    if (self->retired_ >= self->budget_ || ((f & kBranch) && self->retired_ + 2 > self->budget_)) {
      self->request(Req::Budget, a);
      return;
    }
    self->prev_insn_ = self->last_insn_;
    self->prev_branch_ = self->last_branch_;
    self->last_insn_ = a;
    self->last_branch_ = (f & kBranch) != 0;
    ++self->retired_;
    ++self->stats_.hooked_instructions;
    if (self->prof_) self->profile_add(self->cur_fn_, 1, a == self->cur_entry_);
    if (f & kLoad) ++self->loads_;
    if (f & kStore) ++self->stores_;
  }

  static void intr(uc_engine*, uint32_t intno, void* p) {
    auto* self = static_cast<MipsIss*>(p);
    self->intno_ = static_cast<int>(intno);
    // Unicorn 2.0.1 has overwritten the PC by now (with its next_pc); the instruction that
    // raised the exception is the last one hooked, exact in an instruction-hooked block.
    self->fault_pc_known_ = self->cur_hooked_ && self->last_insn_ != 1;
    self->fault_pc_ = self->fault_pc_known_ ? self->last_insn_ : self->cur_block_;
    if (self->fault_pc_known_) self->uncount_from(self->fault_pc_);
    self->request(Req::Fault, self->fault_pc_);
  }

  static bool bad_access(uc_engine*, uc_mem_type type, uint64_t addr, int size, int64_t, void* p) {
    auto* self = static_cast<MipsIss*>(p);
    const bool fetch = type == UC_MEM_FETCH_UNMAPPED || type == UC_MEM_FETCH_PROT;
    const bool write = type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT;
    self->bad_access_ = std::string(fetch ? "instruction fetch from" : write ? "store to" : "load from") +
                        " unmapped address " + hex_addr(addr) + " (" + std::to_string(size) +
                        " bytes; the image sees DRAM, packet memory and the device ranges only)";
    // Where: a fetch faults at its own address; a data access at the last hooked instruction
    // (exact in an instruction-hooked block, which a block's first run always is).
    self->fault_pc_known_ = fetch || (self->cur_hooked_ && self->last_insn_ != 1);
    self->fault_pc_ = fetch ? static_cast<uint32_t>(addr) : self->cur_hooked_ ? self->last_insn_ : self->cur_block_;
    if (!fetch && self->fault_pc_known_) self->uncount_from(self->fault_pc_);
    return false;
  }

  static uint64_t mmio_read(uc_engine* uc, uint64_t offset, unsigned size, void* p) {
    auto* m = static_cast<MipsIss::DeviceMap*>(p);
    m->iss->device_touched();
    m->iss->observe_device(uc, false, m->base + static_cast<uint32_t>(offset), size);
    const uint32_t v = m->device->read(m->iss->running_, m->base + static_cast<uint32_t>(offset), size);
    m->iss->after_device_access(false);
    return v;
  }

  static void mmio_write(uc_engine* uc, uint64_t offset, unsigned size, uint64_t value, void* p) {
    auto* m = static_cast<MipsIss::DeviceMap*>(p);
    m->iss->device_touched();
    m->iss->observe_device(uc, true, m->base + static_cast<uint32_t>(offset), size);
    m->device->write(m->iss->running_, m->base + static_cast<uint32_t>(offset), static_cast<uint32_t>(value), size);
    m->iss->after_device_access(true);
  }
};

namespace {

// An engine over the memory windows with the hooks both engines need.
uc_engine* open_engine(const IssMemory& memory, bool packet_window, void* self) {
  uc_engine* uc = nullptr;
  check(uc_open(UC_ARCH_MIPS, static_cast<uc_mode>(UC_MODE_MIPS32 | UC_MODE_BIG_ENDIAN), &uc), "uc_open");
  // The 24Kf: MIPS32 release 2 with an FPU, what the image is compiled for (-march=mips32r2).
  // Both engines must use the same model: contexts move between them as raw CPU state.
  check(uc_ctl_set_cpu_model(uc, UC_CPU_MIPS32_24KF), "select the 24Kf CPU model");
  check(uc_mem_map_ptr(uc, memory.dram().base, memory.dram().bytes, UC_PROT_ALL, memory.dram().host), "map the DRAM window");
  if (packet_window)
    check(uc_mem_map_ptr(uc, memory.pkt().base, memory.pkt().bytes, UC_PROT_ALL, memory.pkt().host),
          "map the packet window");
  uc_hook h;
  check(uc_hook_add(uc, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&IssHooks::block), self, 1, 0), "block hook");
  check(uc_hook_add(uc, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&IssHooks::intr), self, 1, 0), "exception hook");
  check(uc_hook_add(uc, &h, UC_HOOK_MEM_INVALID, reinterpret_cast<void*>(&IssHooks::bad_access), self, 1, 0),
        "invalid access hook");
  return uc;
}

}  // namespace

MipsIss::MipsIss(const ElfImage& image, IssMemory& memory, unsigned contexts, bool packet_window)
    : image_(image), mem_(memory) {
  if (contexts == 0) throw std::invalid_argument("MipsIss: at least one context");
  try {
    init(contexts, packet_window);
  } catch (...) {
    release();  // the destructor does not run for a constructor that throws
    throw;
  }
}

void MipsIss::init(unsigned contexts, bool packet_window) {
  uc_ = open_engine(mem_, packet_window, this);
  step_ = open_engine(mem_, packet_window, this);
  build_function_table();
  uc_hook h;
  check(uc_hook_add(step_, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&IssHooks::insn), this, 1, 0), "stepper hook");
  // Every context starts at the entry with every register 0 (the image sets its own stacks).
  for (int r = UC_MIPS_REG_0; r <= UC_MIPS_REG_31; ++r) {
    const uint32_t zero = 0;
    check(uc_reg_write(uc_, r, &zero), "clear a register");
  }
  const uint32_t zero = 0, entry = image_.entry();
  uc_reg_write(uc_, UC_MIPS_REG_HI, &zero);
  uc_reg_write(uc_, UC_MIPS_REG_LO, &zero);
  check(uc_reg_write(uc_, UC_MIPS_REG_PC, &entry), "set the entry point");
  state_.resize(contexts);
  for (auto& c : state_) {
    check(uc_context_alloc(uc_, &c.saved), "allocate a context");
    check(uc_context_save(uc_, c.saved), "save a context");
  }
  loaded_ = 0;
}

MipsIss::~MipsIss() { release(); }

std::string MipsIss::engine_version() {
  unsigned major = 0, minor = 0;
  uc_version(&major, &minor);
  return std::to_string(major) + "." + std::to_string(minor);
}

void MipsIss::release() {
  for (auto& c : state_) {
    if (c.saved) uc_context_free(c.saved);
    c.saved = nullptr;
  }
  if (uc_) uc_close(uc_);
  if (step_) uc_close(step_);
  uc_ = step_ = nullptr;
}

void MipsIss::map_device(uint32_t base, uint32_t size, IssDevice* device) {
  if (!device || size == 0 || base % 4096 || size % 4096)
    throw std::invalid_argument("MipsIss::map_device: base and size must be 4 KiB aligned, device non-null");
  devices_.push_back(std::make_unique<DeviceMap>(DeviceMap{this, device, base}));
  DeviceMap* m = devices_.back().get();
  uc_err err = uc_mmio_map(uc_, base, size, &IssHooks::mmio_read, m, &IssHooks::mmio_write, m);
  if (err == UC_ERR_OK) err = uc_mmio_map(step_, base, size, &IssHooks::mmio_read, m, &IssHooks::mmio_write, m);
  if (err != UC_ERR_OK)
    throw std::invalid_argument("MipsIss::map_device: [" + hex_addr(base) + ", " + hex_addr(uint64_t{base} + size) +
                                ") overlaps a memory window or another device (" + uc_strerror(err) + ")");
}

void MipsIss::check_ctx(unsigned ctx) const {
  if (ctx >= state_.size())
    throw std::out_of_range("MipsIss: context " + std::to_string(ctx) + " of " + std::to_string(state_.size()));
}

void MipsIss::select(unsigned ctx) const {
  check_ctx(ctx);
  if (loaded_ == static_cast<int>(ctx)) return;
  if (loaded_ >= 0) uc_context_save(uc_, state_[static_cast<size_t>(loaded_)].saved);
  uc_context_restore(uc_, state_[ctx].saved);
  loaded_ = static_cast<int>(ctx);
}

void MipsIss::request(Req r, uint32_t resume_pc) {
  // Fault > Halt > Yield > Budget > Step > Next (the enum's order): the stronger reason names the stop.
  if (static_cast<int>(r) > static_cast<int>(req_)) {
    req_ = r;
    resume_pc_ = resume_pc;
  }
  uc_emu_stop(stepping_ ? step_ : uc_);
}

void MipsIss::yield() {
  if (pending_ != Req::Halt) pending_ = Req::Yield;
}

void MipsIss::halt(uint32_t code) {
  state_[running_].halted = true;
  state_[running_].halt_code = code;
  pending_ = Req::Halt;
}

// Unicorn 2.0.1 checks for a stop after every guest load and store, so a stop requested from a
// device callback takes effect right after the accessing instruction, but with the PC of the
// last point where Unicorn synchronised it. In an instruction-hooked block that is the
// accessing instruction itself (its hook stored it), so the context resumes at the next one.
// Elsewhere the stop waits for the next block start, where the PC is known:
//   - a store in a branch delay slot (the branch's outcome lives in QEMU's hidden state),
//   - a load (Unicorn stops before the loaded value reaches its register),
//   - a block not yet instruction-hooked (counted in Stats::late_stops).
void MipsIss::after_device_access(bool write) {
  if (pending_ == Req::None) return;
  const Req r = pending_;
  pending_ = Req::None;
  const bool in_delay_slot = prev_branch_ && last_insn_ == prev_insn_ + 4;
  if (write && cur_hooked_ && last_insn_ != 1 && !in_delay_slot) {
    request(r, last_insn_ + 4);
    return;
  }
  if (!cur_hooked_) ++stats_.late_stops;
  if (static_cast<int>(r) > static_cast<int>(deferred_)) deferred_ = r;
}

void MipsIss::device_touched() {
  Block& b = blocks_[cur_block_];
  if (b.device) return;
  b.device = true;
  ++stats_.device_blocks;
  to_hook_.push_back(cur_block_);  // from the next stop on, stops inside it are exact
}

// The instruction at pc raised a fault: it and (in a block-counted block) the rest of its block
// did not retire.
void MipsIss::uncount_from(uint32_t pc) {
  const Block& b = blocks_[cur_block_];
  const uint32_t end = cur_block_ + b.size;
  if (pc < cur_block_ || pc >= end) return;
  const uint32_t last = cur_hooked_ ? pc + 4 : end;
  for (uint32_t a = pc; a < last; a += 4) {
    const uint8_t f = classify(fetch(a));
    if (retired_) --retired_;
    if (prof_ && prof_->counts.instructions[cur_fn_]) --prof_->counts.instructions[cur_fn_];
    if ((f & kLoad) && loads_) --loads_;
    if ((f & kStore) && stores_) --stores_;
  }
}

uint32_t MipsIss::fetch(uint32_t addr) const {
  if (mem_.contains(addr, 4)) return mem_.read32(addr);
  uint8_t b[4] = {0, 0, 0, 0};
  uc_mem_read(uc_, addr, b, 4);
  return static_cast<uint32_t>(b[0]) << 24 | static_cast<uint32_t>(b[1]) << 16 | static_cast<uint32_t>(b[2]) << 8 | b[3];
}

MipsIss::Block& MipsIss::block(uint32_t addr, uint32_t size) {
  // A direct-mapped cache in front of the map: the block hook runs once per block executed.
  CacheLine& line = block_cache_[(addr >> 2) % kBlockCache];
  if (line.addr == addr && line.block->size == size) return *line.block;
  Block& b = blocks_[addr];
  if (b.size != size) {
    b.size = size;
    b.insns = size / 4;
    b.fn = function_index(addr);
    b.entry = b.fn < fn_start_.size() && (fn_start_[b.fn] == addr || fn_body_[b.fn] == addr);
    b.loads = b.stores = 0;
    for (uint32_t a = addr; a < addr + size; a += 4) {
      const uint8_t f = classify(fetch(a));
      b.loads += (f & kLoad) ? 1 : 0;
      b.stores += (f & kStore) ? 1 : 0;
    }
  }
  line.addr = addr;
  line.block = &b;  // std::unordered_map never moves its elements
  return b;
}

void MipsIss::hook_block(uint32_t addr) {
  Block& b = blocks_[addr];
  if (b.hook || b.size == 0) return;
  uc_hook h = 0;
  check(uc_hook_add(uc_, &h, UC_HOOK_CODE, reinterpret_cast<void*>(&IssHooks::insn), this, addr,
                    uint64_t{addr} + b.size - 1),
        "instruction hook");
  b.hook = h;
  uc_ctl_remove_cache(uc_, uint64_t{addr}, uint64_t{addr} + b.size);
}

void MipsIss::apply_pending() {
  for (uint32_t a : to_hook_) hook_block(a);
  to_hook_.clear();
}

std::string MipsIss::describe(uint32_t pc) const {
  std::string s = "pc " + hex_addr(pc);
  if (const ElfSymbol* f = image_.symbol_at(pc)) {
    char off[16];
    std::snprintf(off, sizeof off, "+0x%x", pc - f->addr);
    s += " (" + f->demangled + off + ")";
  }
  return s;
}

MipsIss::Slice MipsIss::early_return(unsigned ctx) {
  const Ctx& c = state_[ctx];
  Slice s;
  s.stop = c.halted ? Slice::Stop::Halt : Slice::Stop::Fault;
  s.fault = c.fault;
  s.pc = pc(ctx);
  return s;
}

void MipsIss::start_engine_run() {
  req_ = Req::None;
  intno_ = -1;
  fault_pc_known_ = false;
  bad_access_.clear();
  last_insn_ = prev_insn_ = 1;
  last_branch_ = prev_branch_ = false;
}

MipsIss::Slice MipsIss::run(unsigned ctx, uint64_t max_instructions) {
  select(ctx);
  if (state_[ctx].halted || state_[ctx].faulted) return early_return(ctx);
  running_ = ctx;
  prof_ = profile_.empty() ? nullptr : &profile_[ctx];
  budget_ = max_instructions;
  retired_ = loads_ = stores_ = 0;
  pending_ = deferred_ = Req::None;
  bp_skip_ = 1;
  if (!breakpoints_.empty()) {
    uint32_t at = 0;
    uc_reg_read(uc_, UC_MIPS_REG_PC, &at);
    if (breakpoints_.count(at)) bp_skip_ = at;  // resuming from that breakpoint: execute it
  }
  uc_err err = UC_ERR_OK;
  for (;;) {
    start_engine_run();
    uint32_t at = 0;
    uc_reg_read(uc_, UC_MIPS_REG_PC, &at);
    if (retired_ >= budget_) {
      req_ = Req::Budget;
      resume_pc_ = at;
      break;
    }
    // until = 0xffffffff: never an instruction address, so only our requests end the run.
    err = uc_emu_start(uc_, at, 0xffffffffu, 0, 0);
    ++stats_.emu_starts;
    // Unicorn leaves a stale PC when a stop comes from a hook: set the one the stop means.
    if (err == UC_ERR_OK && req_ != Req::None && req_ != Req::Fault) uc_reg_write(uc_, UC_MIPS_REG_PC, &resume_pc_);
    apply_pending();
    if (err != UC_ERR_OK || req_ != Req::Step) break;
    err = static_cast<uc_err>(step_block());
    if (err != UC_ERR_OK || req_ != Req::Next) break;
  }
  Slice s;
  end_slice(s, err);
  return s;
}

// Runs the block at the PC on the stepper: the context's CPU state (registers, PC, delay-slot
// and ll/sc state: all of QEMU's resettable CPU state) moves there and back.
int MipsIss::step_block() {
  uc_context* saved = state_[running_].saved;
  uc_context_save(uc_, saved);
  uc_context_restore(step_, saved);
  start_engine_run();
  stepping_ = true;
  step_blocks_ = 0;
  cur_hooked_ = true;
  uint32_t at = 0;
  uc_reg_read(step_, UC_MIPS_REG_PC, &at);
  const uc_err err = uc_emu_start(step_, at, 0xffffffffu, 0, 0);
  ++stats_.emu_starts;
  ++stats_.stepped_blocks;
  if (err == UC_ERR_OK && req_ != Req::None && req_ != Req::Fault) uc_reg_write(step_, UC_MIPS_REG_PC, &resume_pc_);
  stepping_ = false;
  uc_context_save(step_, saved);
  uc_context_restore(uc_, saved);
  apply_pending();
  return err;
}

void MipsIss::end_slice(Slice& s, int uc_err_code) {
  Ctx& c = state_[running_];
  const auto err = static_cast<uc_err>(uc_err_code);
  if (err != UC_ERR_OK || req_ == Req::Fault || req_ == Req::None) {
    const std::string why = intno_ >= 0 ? std::string(exception_name(intno_)) + " (exception " + std::to_string(intno_) + ")"
                            : !bad_access_.empty() ? bad_access_
                            : err != UC_ERR_OK     ? std::string(uc_strerror(err))
                                                   : std::string("emulation ended without a stop request");
    uint32_t at = fault_pc_;
    if (!fault_pc_known_) uc_reg_read(uc_, UC_MIPS_REG_PC, &at);
    uc_reg_write(uc_, UC_MIPS_REG_PC, &at);
    c.faulted = true;
    c.fault = why + " at " + describe(at) +
              (fault_pc_known_ ? "" : " (in or after the block at " + hex_addr(cur_block_) + ": the exact instruction is not known)");
    s.stop = Slice::Stop::Fault;
    s.fault = c.fault;
    s.pc = at;
  } else {
    s.stop = req_ == Req::Halt    ? Slice::Stop::Halt
             : req_ == Req::Break ? Slice::Stop::Break
             : req_ == Req::Yield ? Slice::Stop::Yield
                                  : Slice::Stop::Budget;
    s.pc = resume_pc_;
  }
  s.instructions = retired_;
  s.loads = loads_;
  s.stores = stores_;
  c.counters.instructions += retired_;
  c.counters.loads += loads_;
  c.counters.stores += stores_;
}

uint32_t MipsIss::reg(unsigned ctx, unsigned i) const {
  if (i > 31) throw std::out_of_range("MipsIss::reg: register " + std::to_string(i) + " (0..31)");
  select(ctx);
  uint32_t v = 0;
  uc_reg_read(uc_, UC_MIPS_REG_0 + static_cast<int>(i), &v);
  return v;
}

void MipsIss::set_reg(unsigned ctx, unsigned i, uint32_t value) {
  if (i > 31) throw std::out_of_range("MipsIss::set_reg: register " + std::to_string(i) + " (0..31)");
  select(ctx);
  uc_reg_write(uc_, UC_MIPS_REG_0 + static_cast<int>(i), &value);
}

uint32_t MipsIss::pc(unsigned ctx) const {
  select(ctx);
  uint32_t v = 0;
  uc_reg_read(uc_, UC_MIPS_REG_PC, &v);
  return v;
}

void MipsIss::set_pc(unsigned ctx, uint32_t value) {
  select(ctx);
  uc_reg_write(uc_, UC_MIPS_REG_PC, &value);
}

uint32_t MipsIss::hi(unsigned ctx) const {
  select(ctx);
  uint32_t v = 0;
  uc_reg_read(uc_, UC_MIPS_REG_HI, &v);
  return v;
}

uint32_t MipsIss::lo(unsigned ctx) const {
  select(ctx);
  uint32_t v = 0;
  uc_reg_read(uc_, UC_MIPS_REG_LO, &v);
  return v;
}

size_t MipsIss::context_bytes() const { return uc_context_size(uc_); }

}  // namespace dfc::iss
