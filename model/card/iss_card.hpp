// IssCard: the card hosting the firmware image (build/bin/dfc_firmware.elf, docs/iss.md): one
// instruction-set simulator context per hardware thread (model/iss: one Unicorn engine, a saved
// context each), driven by that thread's SC_THREAD in slices (HwThread::run_image). Every device
// access of the image becomes the card's own transaction at the accessing thread's local time,
// priced by the block it reaches, exactly as the host-compiled firmware's HAL calls are:
//  * the platform registers (PLAT_*: context, clock, timer, events, PLAT_WAIT, console, halt,
//    boot block, doorbell and status) are the card's (timer, egress, ingress wake-up);
//  * semaphores are try-locks (docs/iss.md): a refused read ends the slice, and the thread
//    sleeps until the holder releases (HwSemaphores::try_acquire);
//  * the classifier windows are ClassifierTarget transactions;
//  * the security registers (SEC_*, one set per thread) send HMAC requests to the card's
//    SecurityEngine, which reads the key block and the message from the ISS memory and writes
//    the digest there; the SEC_STATUS read is where the thread waits for the answer
//    (iss_card_security.cpp);
//  * the whole packet window is a device: ring words go to the memory's timed words (so a
//    descriptor the ingress DMA writes at a frame's arrival is seen only from then on), and
//    buffer bytes live in the ISS memory, priced per line as uncached packet-memory reads and
//    writes; a receive buffer's first word read hands the thread the frame (the ingress DMA's
//    RxMeta and bytes are written then).
// A callback never waits: one engine serves every thread, so a SystemC thread switch inside
// it would let another thread enter the same engine. What would wait (a sync, a contended
// lock) ends the slice instead and happens between slices.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dfc/fw/firmware.hpp"
#include "iss/abi_io.hpp"
#include "iss/gdb_server.hpp"
#include "iss/mips_iss.hpp"

namespace dfc::iss {
class ElfImage;
class IssMemory;
}  // namespace dfc::iss

namespace dfc::race {
class Detector;
}  // namespace dfc::race

namespace dfc::model {

class Card;
class HwThread;

// The image a card runs instead of the host-compiled firmware.
struct IssImageSpec {
  std::string elf_path;
  std::string config_text;      // the configuration the image parses at boot
  std::string restart_reason;   // empty: the image's default
  int gdb_port = -1;            // >= 0: serve a debugger there (iss/gdb_server.hpp); 0: any free port
};

class IssCard : public iss::IssDevice, private iss::IssAccessObserver {
 public:
  // Loads the image and writes the boot block; contexts = the card's hardware threads.
  IssCard(Card& card, const IssImageSpec& spec, const fw::FirmwareOptions& fwo, unsigned contexts);
  ~IssCard() override;
  IssCard(const IssCard&) = delete;
  IssCard& operator=(const IssCard&) = delete;

  iss::MipsIss& iss() { return *iss_; }
  const iss::MipsIss& iss() const { return *iss_; }
  const iss::ElfImage& image() const { return *image_; }
  iss::IssMemory& memory() { return *mem_; }
  const std::string& console() const { return console_; }

  // Runs every context to its first PLAT_WAIT before time 0 (context 0 builds the firmware;
  // the others only wait for it): the card's boot costs no simulated time, as the host
  // firmware's constructor during elaboration.
  void boot();
  // The race checker in image mode (docs/race-check.md, docs/iss.md), after boot(): every load
  // and store of the image to its DRAM window (not the device windows) is an access of the
  // running context (thread id = context = HwThread::ctx()), at its pc and at its thread's local
  // time as of the slice's last device access; ll/sc are atomic accesses; semaphore grants and
  // releases, receive buffers taken and given back through the free rings, and the timer's
  // arming and firing are its synchronisation; between PLAT_RACE_HINT 0 and 1 the context's
  // reads are not checked (a sequence-lock read attempt). Boot is not checked (it happens before
  // time 0, before any other context runs). Call once.
  void enable_race_check(race::Detector& d);
  // For the race report: the ELF object symbol holding a data address ("name+0x10"), else
  // "(heap)" or "(stack of hardware thread N)" for those parts of the DRAM window, else "";
  // the function holding a code address ("function+0x24"), or the address in hex.
  std::string data_symbol(uint64_t addr) const;
  std::string code_location(uint64_t pc) const;
  // Reads not checked because they were inside a sequence-lock read attempt (PLAT_RACE_HINT).
  uint64_t race_hinted_reads() const { return hinted_reads_; }
  void raise(unsigned ctx, uint32_t event) { ctx_[ctx].events |= event; }
  bool pending(unsigned ctx) const { return ctx_[ctx].events != 0; }
  // After a slice of ctx: throws std::runtime_error (with the console) on a fault, a halt or a
  // device misuse.
  void check(unsigned ctx, const iss::MipsIss::Slice& s) const;
  // The context wrote PLAT_WAIT with no event pending (cleared by the call).
  bool take_wait(unsigned ctx);
  // The semaphore a read refused this slice (cleared by the call), -1 if none.
  int take_refused(unsigned ctx);

  // The debugger (--gdb): the next slice of ctx is a single step; after a breakpoint or a step,
  // debug_stop() hands the stopped card to the debugger until it continues or steps.
  bool stepping(unsigned ctx) const { return gdb_ && step_ == static_cast<int>(ctx); }
  bool debugging() const { return gdb_ && gdb_->attached(); }
  void debug_stop(unsigned ctx);

  uint32_t read(unsigned ctx, uint32_t addr, unsigned size) override;
  void write(unsigned ctx, uint32_t addr, uint32_t value, unsigned size) override;

  // Instructions per path (report.json iss.per_path), counted from a frame's take to the
  // context's next look at its events: one pass of the packet loop, as the board measures.
  struct Path {
    uint64_t packets = 0, instructions = 0;
    uint64_t max = 0;  // the most instructions one pass took (a mean hides a rare costly request)
    // The instructions of those passes per function of the image: every instruction from a
    // pass's start to its frame's end.
    iss::MipsIss::Profile functions;
  };
  struct PathStats {
    Path hit, miss, copy, dtcp, other;
  };
  const PathStats& paths() const { return paths_; }
  // The instruction profile from time 0 (docs/iss.md, "Where the instructions go"), per function
  // of the image: the passes of the packet loop that took no frame (timers, polls, idle
  // housekeeping) / every instruction the contexts retired after the boot (the passes with a
  // frame, paths(), those without, and each context's work since its last pass).
  const iss::MipsIss::Profile& frameless_functions() const { return frameless_; }
  iss::MipsIss::Profile function_totals() const;
  // What each declared unit of work costs (`dfcsim calibrate`): per frame, the units of every
  // Hal::Work kind the image declared (PLAT_WORK) next to the core cycles the frame's pass took
  // (instructions plus the L1 load-to-use cycles of its loads), summed as least-squares normal
  // equations (x: the units, y: the cycles).
  static constexpr size_t kKinds = static_cast<size_t>(Hal::Work::kCount);
  struct WorkFit {
    double xtx[kKinds][kKinds] = {};
    double xty[kKinds] = {};
    double yty = 0;
    uint64_t frames = 0;
    uint64_t units[kKinds] = {};  // declared in total
  };
  const WorkFit& work_fit() const { return fit_; }
  // A context's counters from time 0 (after the boot) / of the boot alone.
  iss::MipsIss::Counters since_boot(unsigned ctx) const;
  iss::MipsIss::Counters boot_counters(unsigned ctx) const { return ctx < boot_.size() ? boot_[ctx] : iss::MipsIss::Counters{}; }
  // The firmware's own counters, after the run (docs/iss.md, "The firmware's counters"): raises
  // kEventStats on context 0 and runs it, untimed, until it waits again; the image writes its
  // statistics record, decoded here. Untimed as the boot: no simulated time, no card
  // transaction, no race-checker access; the context's instructions count in its counters and
  // profile, so read those first. The image may touch only the platform registers and the
  // semaphores meanwhile; anything else, or no answer, throws std::runtime_error.
  iss::FirmwareCounters collect_stats();

 private:
  struct Ctx {
    uint32_t events = 0, status = 0, timer_lo = 0, now_hi = 0;
    bool wait = false;
    bool seq_read = false;  // inside a sequence-lock read attempt (PLAT_RACE_HINT)
    int refused = -1;
    uint32_t copies = 0;  // copies this context's current frame sent
    uint64_t units[kKinds] = {};  // work the image declared for its current frame (PLAT_WORK)
    // The security engine's registers (SEC_*) and the answer to the last request sent.
    uint32_t sec_key = 0, sec_src = 0, sec_len = 0;
    uint64_t sec_done_ps = 0;
    bool sec_sent = false;
  };
  uint32_t plat_read(unsigned ctx, HwThread& th, uint32_t reg);
  void plat_write(unsigned ctx, HwThread& th, uint32_t reg, uint32_t v);
  uint32_t sem_read(unsigned ctx, HwThread& th, uint32_t addr);
  void sem_write(unsigned ctx, HwThread& th, uint32_t addr);
  uint32_t pkt_read(unsigned ctx, HwThread& th, uint32_t addr, unsigned size);
  void pkt_write(unsigned ctx, HwThread& th, uint32_t addr, uint32_t value, unsigned size);
  uint32_t sec_read(unsigned ctx, HwThread& th, uint32_t off);
  void sec_write(unsigned ctx, HwThread& th, uint32_t off, uint32_t value);
  // The card address of `n` bytes at an image address (the DRAM or packet window), or nullopt.
  std::optional<uint64_t> card_address(uint32_t addr, uint64_t n) const;
  void access(unsigned ctx, const iss::IssAccess& a) override;  // the race checker's DRAM accesses
  void doorbell(unsigned ctx, HwThread& th, uint32_t record);
  void device_error(unsigned ctx, const std::string& what);
  void timer_check(unsigned ctx, HwThread& th);
  void frame_end(unsigned ctx, HwThread& th);

  Card& card_;
  std::unique_ptr<iss::ElfImage> image_;
  std::unique_ptr<iss::IssMemory> mem_;
  std::unique_ptr<iss::MipsIss> iss_;
  std::vector<Ctx> ctx_;
  uint32_t boot_block_ = 0;
  std::string console_, errors_;
  PathStats paths_;
  WorkFit fit_;
  std::unique_ptr<iss::GdbServer> gdb_;
  int step_ = -1;  // the context the debugger is single-stepping
  race::Detector* race_ = nullptr;  // enable_race_check()
  uint64_t hinted_reads_ = 0;
  std::vector<iss::MipsIss::Counters> frame_at_;  // per context: the counters at its frame's take
  std::vector<iss::MipsIss::Counters> boot_;      // per context: the counters when the boot ended
  iss::MipsIss::Profile frameless_;  // the profile of the passes that took no frame
  // collect_stats(): the untimed device the image sees meanwhile.
  bool collecting_ = false;
  uint32_t collect_events_ = 0, collect_held_ = 0;  // the event still to hand over; semaphores taken
  uint32_t collect_read(unsigned ctx, uint32_t addr, unsigned size);
  void collect_write(unsigned ctx, uint32_t addr, uint32_t value, unsigned size);
};

}  // namespace dfc::model
