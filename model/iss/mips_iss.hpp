// The instruction-set simulator engine: runs N firmware contexts (the card's hardware threads)
// of one big-endian MIPS32r2 ELF image over one IssMemory, in slices of an exact number of
// instructions, on Unicorn 2. Plain C++17, no SystemC: the card model drives each context from
// its hardware thread. Design and measurements: docs/iss-engine.md.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <set>
#include <unordered_map>
#include <vector>

struct uc_struct;
struct uc_context;

namespace dfc::iss {

class ElfImage;
class IssMemory;

// A device range's reads and writes (classifier windows, semaphores, platform registers). addr
// is the image address; size 1, 2 or 4. Called during run(); MipsIss::current() names the
// context, MipsIss::yield()/halt() end its slice.
struct IssDevice {
  virtual ~IssDevice() = default;
  virtual uint32_t read(unsigned ctx, uint32_t addr, unsigned size) = 0;
  virtual void write(unsigned ctx, uint32_t addr, uint32_t value, unsigned size) = 0;
};

// A data access of the image to an observed range (MipsIss::observe): the instruction that made
// it and what it touched. atomic: an ll or sc (both halves of an sc: its compare-read and its
// store). Called during run(); MipsIss::current() names the context.
struct IssAccess {
  uint32_t pc = 0;
  uint32_t addr = 0;
  uint32_t size = 0;
  bool write = false;
  bool atomic = false;
  bool pc_known = true;  // false: no instruction of the block matched (pc is the block's start)
};
struct IssAccessObserver {
  virtual ~IssAccessObserver() = default;
  virtual void access(unsigned ctx, const IssAccess& a) = 0;  // must not throw (Unicorn's C frames)
};

class MipsIss {
 public:
  struct Counters {
    uint64_t instructions = 0;
    uint64_t loads = 0;   // load instructions retired (ll, lwc1 included)
    uint64_t stores = 0;  // store instructions retired (sc included)
  };
  struct Slice {
    enum class Stop { Budget, Yield, Break, Halt, Fault };
    uint64_t instructions = 0, loads = 0, stores = 0;
    Stop stop = Stop::Budget;
    uint32_t pc = 0;    // where the context resumes (Fault: the faulting instruction when known)
    std::string fault;  // Stop::Fault: what happened, where
  };
  // How the engine spent its effort (docs/iss-engine.md, "counting").
  struct Stats {
    uint64_t emu_starts = 0;      // uc_emu_start calls (both engines)
    uint64_t stepped_blocks = 0;  // blocks run on the stepper (first runs and budget tails)
    uint64_t device_blocks = 0;   // blocks instruction-hooked on the main engine: they touch a device
    uint64_t late_stops = 0;      // yield/halt in a block not yet known to touch a device (ran to its end)
    uint64_t hooked_instructions = 0;  // instructions counted one by one (the slow path)
    uint64_t observed_accesses = 0;      // accesses reported to the observer (observe())
    uint64_t unattributed_accesses = 0;  // of those, no instruction of the block matched
  };

  // Maps the memory's windows; every context starts at the image's entry with all registers 0.
  // packet_window = false leaves the packet window unmapped, so that a host can map it (or
  // parts of it) as a device: the card model prices every packet-memory access as a bus
  // transaction and keeps the rings' words in its own timed memory.
  MipsIss(const ElfImage& image, IssMemory& memory, unsigned contexts, bool packet_window = true);
  ~MipsIss();
  MipsIss(const MipsIss&) = delete;
  MipsIss& operator=(const MipsIss&) = delete;

  // base and size 4 KiB aligned, outside the memory windows and other devices.
  void map_device(uint32_t base, uint32_t size, IssDevice* device);

  // Every load and store of the image to [base, base + size) is reported to observer from now on
  // (a race checker): Unicorn memory hooks on both engines, whose translations of the image's
  // code are dropped once (one made before may lack the hook's slow path). Unicorn 2.0.1
  // gives a hook no PC, so the instruction is found in the running block: the next load or store
  // from the last one matched whose effective address (its registers, read at the access) is
  // the address accessed (mips_iss_observe.cpp). Costs nothing until called: the default run
  // keeps the fast path. Once per engine; throws std::logic_error on a second call.
  void observe(uint32_t base, uint32_t size, IssAccessObserver* observer);
  // ll and sc (opcodes 0x30, 0x38): the instruction words the observer reports as atomic.
  static bool is_ll_sc(uint32_t insn) { return (insn >> 26) == 0x30 || (insn >> 26) == 0x38; }

  // Runs ctx for exactly max_instructions unless it yields, halts or faults first; the next
  // call resumes it where it stopped. A halted or faulted context returns at once (0 retired).
  // A branch and its delay slot are one unit: a budget that would split them stops before the
  // branch (one instruction short; Slice::instructions says so).
  Slice run(unsigned ctx, uint64_t max_instructions);

  // From a device write callback only: the slice ends right after the storing instruction and
  // the next run() continues with the one after it. Exceptions, where the slice ends at the next
  // block start instead (the block's remaining instructions run first): a store in a branch
  // delay slot (the slice ends at the branch target: exact as well), a call from a read
  // callback, and the first device access of a block that had already run without touching a
  // device (Stats::late_stops; from then on that block stops exactly).
  void yield();
  // Like yield(), and the context stops for good (PLAT_HALT): later run()s return Stop::Halt.
  void halt(uint32_t code);
  // Breakpoints (a debugger): a context about to execute the instruction at addr stops before it
  // (Slice::Stop::Break, pc = addr); the next run() of that context executes it. Not in a branch
  // delay slot (a branch and its slot are one unit): such a breakpoint is passed over.
  void add_breakpoint(uint32_t addr) { breakpoints_.insert(addr); }
  void remove_breakpoint(uint32_t addr) { breakpoints_.erase(addr); }
  void clear_breakpoints() { breakpoints_.clear(); }
  // hi, lo (a debugger).
  uint32_t hi(unsigned ctx) const;
  uint32_t lo(unsigned ctx) const;
  // The context running (meaningful inside run()).
  unsigned current() const { return running_; }
  // What the slice in progress has retired so far (inside run(), from a device callback: exact
  // in an instruction-hooked block, which every block that touched a device before is; the
  // whole block in one that had not). A host prices the work up to a device access with it.
  Counters progress() const { return Counters{retired_, loads_, stores_}; }

  unsigned contexts() const { return static_cast<unsigned>(state_.size()); }
  const Counters& counters(unsigned ctx) const;
  bool halted(unsigned ctx) const;
  uint32_t halt_code(unsigned ctx) const;
  // General-purpose register i (0..31), hi/lo and pc of a context (a debugger, tests).
  uint32_t reg(unsigned ctx, unsigned i) const;
  void set_reg(unsigned ctx, unsigned i, uint32_t value);
  uint32_t pc(unsigned ctx) const;
  void set_pc(unsigned ctx, uint32_t value);
  const Stats& stats() const { return stats_; }
  // The Unicorn library's version ("2.0"), for reports.
  static std::string engine_version();
  // Bytes of one saved context (the per-hardware-thread cost of the shared engine).
  size_t context_bytes() const;

  // The instruction profile (docs/iss.md, "Where the instructions go"). From this call on, every
  // retired instruction is also counted, per context, for the ELF function symbol holding its
  // block (a translated block is attributed to the function of its first instruction: a block
  // never crosses a call or a return). One add per block on the fast path. Idempotent.
  void enable_profile();
  bool profiling() const { return !profile_.empty(); }
  // Per function of the image, indexed as profile_functions(): the instructions retired in it,
  // and its calls (the times its first instruction retired).
  struct Profile {
    std::vector<uint64_t> instructions, calls;
    void add(const Profile& other);  // grows to other's size
    uint64_t total() const;          // every instruction
  };
  // The profile's functions by index (demangled names, aliases at one address merged); the last
  // one stands for every address outside a function symbol.
  const std::vector<std::string>& profile_functions() const { return fn_names_; }
  // Adds what ctx retired per function since its last take (or enable_profile()) into into
  // (grown to profile_functions()' size), and starts ctx's count again. Exact at any point, as
  // progress() is: from a device callback inside run(), up to the accessing instruction of an
  // instruction-hooked block.
  void take_profile(unsigned ctx, Profile& into);
  // What ctx retired per function since its last take (empty unless profiling).
  const Profile& pending_profile(unsigned ctx) const;

 private:
  // Why an engine stops, weakest first. Step: run the block at the PC on the stepper; Next: the
  // stepper reached the next block (both internal to run()).
  enum class Req { None, Next, Step, Budget, Yield, Break, Halt, Fault };
  struct Block {
    uint32_t size = 0;
    uint32_t insns = 0, loads = 0, stores = 0;
    bool seen = false;    // has run once (on the stepper)
    bool device = false;  // touched a device: instruction-hooked on the main engine
    uint64_t hook = 0;    // that uc_hook, else 0
    uint32_t fn = 0;      // the profile's function holding the block's first instruction
    bool entry = false;   // the block starts at that function's first instruction (or its stub's)
  };
  // One context's profile since its last take, and the functions it counted.
  struct Pending {
    Profile counts;
    std::vector<uint32_t> touched;
  };
  struct Ctx {
    uc_context* saved = nullptr;
    Counters counters;
    bool halted = false;
    uint32_t halt_code = 0;
    bool faulted = false;
    std::string fault;
  };
  struct DeviceMap;
  friend struct IssHooks;  // Unicorn's callbacks (mips_iss.cpp)
  friend struct ObserveHooks;  // the observer's memory hooks (mips_iss_observe.cpp)

  void init(unsigned contexts, bool packet_window);
  void release();
  void select(unsigned ctx) const;
  void request(Req r, uint32_t resume_pc);
  void device_touched();
  void after_device_access(bool write);
  void uncount_from(uint32_t pc);
  // The instruction of the running block that made this access (observe()); advances the cursor.
  bool attribute(uc_struct* uc, bool write, uint32_t addr, uint32_t size, uint32_t& pc, bool& atomic);
  // A device access while observing: only moves the cursor past its instruction.
  void observe_device(uc_struct* uc, bool write, uint32_t addr, uint32_t size) {
    uint32_t pc = 0;
    bool atomic = false;
    if (observer_) attribute(uc, write, addr, size, pc, atomic);
  }
  Block& block(uint32_t addr, uint32_t size);
  uint32_t fetch(uint32_t addr) const;
  void hook_block(uint32_t addr);
  void apply_pending();
  int step_block();
  void start_engine_run();
  Slice early_return(unsigned ctx);
  void end_slice(Slice& s, int uc_err);
  std::string describe(uint32_t pc) const;
  void check_ctx(unsigned ctx) const;
  void build_function_table();
  uint32_t function_index(uint32_t addr) const;
  void profile_add(uint32_t fn, uint64_t n, bool entry) {
    uint64_t& c = prof_->counts.instructions[fn];
    if (c == 0) prof_->touched.push_back(fn);
    c += n;
    if (entry) ++prof_->counts.calls[fn];
  }

  const ElfImage& image_;
  IssMemory& mem_;
  uc_struct* uc_ = nullptr;
  mutable std::vector<Ctx> state_;
  mutable int loaded_ = -1;  // the context whose registers are in the engine
  std::vector<std::unique_ptr<DeviceMap>> devices_;
  std::unordered_map<uint32_t, Block> blocks_;
  std::vector<uint32_t> to_hook_;
  uc_struct* step_ = nullptr;  // the stepper: every instruction hooked (docs/iss-engine.md)
  bool stepping_ = false;
  unsigned step_blocks_ = 0;
  static constexpr size_t kBlockCache = 4096;
  struct CacheLine {
    uint32_t addr = 1;
    Block* block = nullptr;
  };
  std::vector<CacheLine> block_cache_ = std::vector<CacheLine>(kBlockCache);

  // The slice in progress.
  unsigned running_ = 0;
  uint64_t budget_ = 0, retired_ = 0, loads_ = 0, stores_ = 0;
  uint32_t cur_block_ = 0;
  uint32_t cur_block_end_ = 0;
  uint32_t mem_cursor_ = 0;           // observe(): the next instruction that may access memory
  IssAccessObserver* observer_ = nullptr;
  bool cur_hooked_ = false;           // the block running is instruction-hooked
  uint32_t last_insn_ = 1, prev_insn_ = 1;  // the last two hooked instructions (1: none)
  bool last_branch_ = false, prev_branch_ = false;
  Req req_ = Req::None;               // why the engine is stopping
  Req pending_ = Req::None;           // yield()/halt() during the device callback running
  Req deferred_ = Req::None;          // a stop taken at the next block start
  uint32_t resume_pc_ = 0;            // where the context continues after req_
  int intno_ = -1;
  bool fault_pc_known_ = false;
  uint32_t fault_pc_ = 0;
  std::string bad_access_;
  Stats stats_;
  std::set<uint32_t> breakpoints_;
  uint32_t bp_skip_ = 1;  // the breakpoint a resumed context stands on: executed once, not stopped at

  // The profile (enable_profile): the image's functions as sorted ranges [start, end), their
  // names (one more: outside them), each context's counts, and the running context's.
  std::vector<uint32_t> fn_start_, fn_end_;
  std::vector<uint32_t> fn_body_;  // the function's own address (after a .pic. stub, else fn_start_)
  std::vector<std::string> fn_names_;
  std::vector<Pending> profile_;
  Pending* prof_ = nullptr;  // the running context's profile, null unless profiling
  uint32_t cur_fn_ = 0;      // the function of the block running
  uint32_t cur_entry_ = 1;   // that function's first instruction if the block starts there, else 1
};

}  // namespace dfc::iss
