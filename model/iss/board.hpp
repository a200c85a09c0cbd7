// IssBoard: the firmware image (build/bin/dfc_firmware.elf) on the instruction-set simulator
// with the card's devices modelled functionally: no time other than a clock the host sets, no
// SystemC. It is the reference for the device semantics the timed card model must give the
// image (docs/iss.md, "Running the image on the board"):
//  * platform registers (PLAT_*): context, clock, epoch, the one-shot timer (its event goes to
//    the control context, 0, as on the card), PLAT_WAIT, the console, PLAT_HALT, the boot
//    block, the doorbell (the transmit record and its bytes become a dfc::Packet) and status;
//  * hardware semaphores as try-locks (a read returns 1 when the reader holds the lock, 0 when
//    another context does; a 0 also ends the reader's slice so that the holder runs);
//  * the classifier: one register window per context (CLS_CTX_STRIDE apart), each its own
//    ClassifierBus (staging, key, results) over one shared ClassifierRef table, as the card's
//    ClassifierTarget;
//  * the ingress DMA's work (deliver(): free ring -> buffer -> RxMeta + frame -> descriptor,
//    ownership word last) and the egress DMA's hand-back (a copy's transmit descriptor loses
//    TX_DESC_OWN during its doorbell).
// Contexts run round-robin in slices until every one waits (run_until_idle()), under a bound
// on instructions so that a livelock fails instead of hanging.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dfc/fw/firmware.hpp"
#include "dfc/hal/iss_abi.hpp"
#include "dfc/hal/packet.hpp"
#include "mips_iss.hpp"

namespace dfc::model {
class ClassifierRef;
class ClassifierBus;
}  // namespace dfc::model

namespace dfc::iss {

class ElfImage;
class IssMemory;

// The image halted with a nonzero code, faulted, touched a device wrongly, or did not go idle
// within the instruction bound; the message names the context, the place and the console.
class BoardError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BoardOptions {
  std::string elf_path;     // build/bin/dfc_firmware.elf
  std::string config_text;  // the Junos configuration the image parses at boot
  // What a host sets (model/card/profile.hpp firmware_options()); the board has
  // firmware.driver.contexts contexts (the image receives only through its rings).
  fw::FirmwareOptions firmware;
  uint32_t classifier_depth = 4096;      // CardProfile::classifier_depth
  uint64_t epoch_ms = 1767225600000ull;  // PLAT_EPOCH (the card's: 2026-01-01 00:00 UTC)
  uint64_t start_ns = 0;                 // the board clock at boot
  std::string restart_reason;            // empty: the image's "card restarted"
  uint64_t slice = 20000;                // instructions per slice
  uint64_t max_instructions = 4'000'000'000ull;  // per run_until_idle (livelock bound)
};

class IssBoard {
 public:
  // One doorbell: a reply, notification or copy that left (dropped = false), or a copy the
  // image reported dropped (kTxDropped: reason says why) or the board refused (accept_tx).
  struct Sent {
    unsigned ctx = 0;
    Packet packet;
    bool dropped = false;
    std::string reason;
  };
  enum class Delivery { Delivered, RingFull, NoBuffer };
  // Per-context counters at a point, for instructions between two points.
  struct Mark {
    std::vector<MipsIss::Counters> at;
  };

  // Loads the image, writes the boot block and the configuration; nothing runs yet.
  explicit IssBoard(BoardOptions opt);
  ~IssBoard();
  IssBoard(const IssBoard&) = delete;
  IssBoard& operator=(const IssBoard&) = delete;

  // Runs context 0 alone until its first PLAT_WAIT (it boots the firmware; the others would
  // only spin on its "ready" word meanwhile), then every context until all wait.
  void boot();
  // Round-robin slices over the contexts that do not wait, until all wait. Returns the
  // instructions retired. Throws BoardError (halt, fault, device misuse, the bound).
  uint64_t run_until_idle();

  // The ingress DMA for one frame steered to ctx (control frames: unit Control, to the
  // control context 0 on the card). Wakes ctx. The frame must fit its buffer after the
  // receive metadata (PKT_BUF_BYTES - kRxFrameOffset bytes), else std::invalid_argument.
  Delivery deliver(unsigned ctx, const Packet& p, uint32_t hash = 0);
  // The board clock (PLAT_NOW); the timer event is raised once the clock reaches the deadline.
  void set_time_ns(uint64_t ns);
  void advance_ns(uint64_t dt) { set_time_ns(now_ns_ + dt); }
  uint64_t time_ns() const { return now_ns_; }
  uint64_t timer_deadline_ns() const { return deadline_ns_; }  // UINT64_MAX: none armed
  // A card restart: PLAT_EVENTS restart bit on the control context.
  void raise_restart();
  // false: doorbells are answered 0 (refused) and recorded as dropped ("refused by the board").
  bool accept_tx = true;

  const std::vector<Sent>& sent() const { return sent_; }
  std::vector<Sent> take_sent();
  const std::string& console() const { return console_; }

  unsigned contexts() const { return n_; }
  bool waiting(unsigned ctx) const { return waiting_.at(ctx) != 0; }
  const MipsIss::Counters& counters(unsigned ctx) const;
  MipsIss::Counters totals() const;
  Mark mark() const;
  MipsIss::Counters since(const Mark& m) const;            // all contexts
  MipsIss::Counters since(const Mark& m, unsigned ctx) const;
  uint64_t timer_events() const { return timer_events_; }
  uint64_t sem_busy_reads() const { return sem_busy_; }  // semaphore reads that returned 0

  MipsIss& iss() { return *iss_; }
  IssMemory& memory() { return *mem_; }
  const ElfImage& image() const { return *image_; }
  model::ClassifierRef& classifier() { return *cls_; }

 private:
  struct Devices;
  struct Ring {
    uint64_t rx_tail = 0, free_consumer = 0;
  };
  void write_boot_block();
  uint32_t plat_read(unsigned ctx, uint32_t reg);
  void plat_write(unsigned ctx, uint32_t reg, uint32_t v);
  uint32_t sem_read(unsigned ctx, uint32_t addr);
  void sem_write(unsigned ctx, uint32_t addr);
  void doorbell(unsigned ctx, uint32_t record_addr);
  Packet tx_packet(const TxRecord& r) const;
  void check_timer();
  void raise(unsigned ctx, uint32_t event);
  void device_error(unsigned ctx, const std::string& what);
  bool run_slice(unsigned ctx, uint64_t& retired);
  [[noreturn]] void fail(const std::string& what) const;

  BoardOptions opt_;
  unsigned n_ = 0;
  std::unique_ptr<ElfImage> image_;
  std::unique_ptr<IssMemory> mem_;
  std::unique_ptr<MipsIss> iss_;
  std::unique_ptr<Devices> dev_;
  std::unique_ptr<model::ClassifierRef> cls_;
  std::vector<std::unique_ptr<model::ClassifierBus>> buses_;
  uint32_t boot_block_addr_ = 0;
  uint64_t now_ns_ = 0;
  uint64_t deadline_ns_ = UINT64_MAX;
  std::vector<uint32_t> timer_lo_, now_hi_, status_, events_;
  std::vector<char> waiting_;
  std::vector<int> sem_holder_;
  std::vector<Ring> rings_;
  std::vector<Sent> sent_;
  std::string console_;
  std::string errors_;
  uint64_t timer_events_ = 0, sem_busy_ = 0;
  unsigned rr_ = 0;
};

}  // namespace dfc::iss
