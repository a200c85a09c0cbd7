// The firmware's only window onto hardware. Everything the firmware does to the card goes
// through this interface: register/table writes on the card bus, packet transmit queues,
// one timer, time, and the CPU cycle meter of the core it runs on. Two implementations:
// the SystemC card model (model/card) and the fake HAL of the firmware unit tests
// (firmware/tests/fake_hal.hpp). No SystemC or Verilator type may appear here.
#pragma once
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "dfc/hal/packet.hpp"
#include "dfc/util/raise.hpp"

namespace dfc {

class Hal {
 public:
  virtual ~Hal() = default;

  // Register/table bus (32-bit words, byte addresses, little-endian word order).
  virtual void bus_write(uint32_t addr, const uint32_t* words, size_t n) = 0;
  virtual void bus_read(uint32_t addr, uint32_t* words, size_t n) = 0;
  void reg_write(uint32_t addr, uint32_t v) { bus_write(addr, &v, 1); }
  uint32_t reg_read(uint32_t addr) {
    uint32_t v = 0;
    bus_read(addr, &v, 1);
    return v;
  }

  // Transmit queues: unit Control sends UDP payloads (src/dst ip/port in the packet), unit
  // Copies sends complete IP packets. Returns false when the queue is full (the packet is
  // dropped and the firmware counts it).
  virtual bool transmit(Packet&& p) = 0;

  // Time since card reset, nanoseconds, and wall-clock (UTC) milliseconds at card reset,
  // so that DTCP timestamps are reproducible in simulation.
  virtual uint64_t now_ns() const = 0;
  virtual uint64_t epoch_ms_at_reset() const = 0;

  // One-shot timer: the host calls Firmware::on_timer() at or after the given time.
  // Re-arming replaces the previous deadline.
  virtual void arm_timer(uint64_t at_ns) = 0;

  // CPU cost meter: the firmware declares the work it did, in core cycles. The model turns
  // cycles into simulated time; the fake HAL just sums them.
  virtual void consume_cycles(uint64_t cycles) = 0;

  // ---- Cost follows work. The firmware declares *what* it does; the host prices
  // it (the card model from its profile, cache and memory model; the fake HAL only counts).
  // Default implementations keep every existing HAL valid: they price nothing.

  // Compute: `n` operations of one kind on the current core. Each kind's cycle cost is a
  // profile parameter of the card model, not a firmware constant.
  enum class Work : uint8_t {
    PacketLoop,     // the driver's poll of one frame and the packet loop around it (declared by the
                    // driver once per frame taken; priced from `dfcsim calibrate`, docs/iss.md)
    HeaderByte,     // parse: per header byte examined
    HeaderDecode,   // parse: per protocol header decoded (Ethernet, VLAN, IPv4, IPv6 ext, L4)
    Hash,           // one flow-key hash
    KeyCompare,     // one flow-key comparison (bucket probe)
    FlowInsert,     // build and insert a flow entry
    ClassifyKey,    // build the classifier key from a parsed packet
    MatchResolve,   // per matching rule: map to its criterion, choose destinations
    CopyBuild,      // build one outer IP-IP header and its transmit descriptor
    HitAccount,     // per matching criterion: packet/byte counters and timeouts
    ControlByte,    // DTCP: per byte parsed and authenticated (requests) or signed (replies)
    ControlOp,      // DTCP: one request's dispatch, source/Seq checks and table operation
    ControlMessage, // DTCP: build one reply or notification (headers, HMAC set-up, UDP)
    CriterionScan,  // DTCP: one criterion (or match term) examined by a table scan
    FrameByte,      // per byte of a frame the driver takes: work that scales with the whole
                    // frame (the image parses it in place, so today ~0; docs/iss.md, Calibration)
    CopyByte,       // per byte of a copy built: its inner packet written after the outer header
                    // (on the image also copied into its transmit buffer)
    kCount
  };
  virtual void work(Work /*kind*/, uint64_t /*n*/ = 1) {}

  // Memory the firmware touches, by modelled address (card_map.hpp). Only the time is
  // modelled here: the data itself lives in ordinary C++ objects. The card prices these
  // through its cache, interconnect and DRAM models.
  virtual void mem_read(uint64_t /*addr*/, uint32_t /*bytes*/) {}
  virtual void mem_write(uint64_t /*addr*/, uint32_t /*bytes*/) {}

  // Values in modelled memory: the receive and transmit descriptor rings and the free-buffer
  // rings (card_map.hpp RX_RING_*, TX_RING_*, FREE_RING_*), which the device blocks and the
  // firmware's driver exchange. Unlike mem_read/mem_write these carry data; they are priced
  // like any access to that address. A host without descriptor memory throws.
  virtual uint32_t load32(uint64_t addr);
  virtual void store32(uint64_t addr, uint32_t value);
  // The frame the ingress DMA wrote into the receive buffer at buf_addr (its bytes live in
  // host memory like all modelled data; what the firmware reads of them it prices with
  // mem_read). Null when that buffer holds no frame.
  virtual Packet* rx_frame(uint64_t /*buf_addr*/) { return nullptr; }
  // A copy the firmware chose but dropped before the doorbell (its transmit ring was full):
  // the card's drop-trace port, so that the host's observers (a scoreboard) learn which copy
  // was lost, as they do for copies the egress refuses. The copy carries its packet id and
  // content destination; nothing is sent.
  virtual void copy_dropped(const Packet& /*copy*/, const char* /*reason*/) {}

  // The card's security engine (docs/model.md, SecurityEngine): HMAC-SHA1 of data[0, n) under
  // the 64-byte key block `key` (RFC 2104's K: the key zero-padded, or its SHA-1 if longer),
  // written to digest[0, 20); the calling thread waits for the engine's answer. Returns false
  // when this host has no engine: the firmware then computes the MAC itself (dtcp/hmac.cpp,
  // which stays the reference and the path of every HAL without one).
  virtual bool hmac_sha1(const uint8_t* /*key*/, const uint8_t* /*data*/, size_t /*n*/, uint8_t* /*digest*/) {
    return false;
  }

  // The firmware context the current handler runs on: the hardware thread, numbered
  // core * threads_per_core + thread (0 on single-threaded hosts).
  virtual unsigned core_id() const { return 0; }

  // Hardware semaphores (card_map.hpp, HW_LOCK_*). acquire() returns when this core holds
  // the lock; other cores that want it wait in simulated time. Any HAL call may let
  // another core run (the model synchronises at TLM transactions and quantum ends), so
  // state shared between cores is only touched under a lock or kept per core.
  virtual void lock_acquire(unsigned /*lock*/) {}
  virtual void lock_release(unsigned /*lock*/) {}

  // Hints to the card's race checker (docs/race-check.md); no effect on behaviour. The reads
  // between SeqReadBegin and SeqReadEnd are one attempt of a sequence-lock reader: they may
  // overlap a writer by design and the attempt is kept only if the sequence word did not move,
  // so the checker does not check them (the writers, under their lock, it still checks).
  enum class RaceHint : uint8_t { SeqReadBegin = 0, SeqReadEnd = 1 };
  virtual void race_hint(RaceHint /*hint*/) {}
};

inline uint32_t Hal::load32(uint64_t) { raise<std::logic_error>("this HAL has no descriptor memory (load32)"); }
inline void Hal::store32(uint64_t, uint32_t) {
  raise<std::logic_error>("this HAL has no descriptor memory (store32)");
}

// Fault injection: one critical section removed at run time, to prove that each one matters
// (docs/race-check.md "Removing a critical section"). Only builds compiled with
// DFC_FAULT_INJECTION have the hook: the race checker's host firmware (dfcsim-race) and the test
// images dfc_firmware_fault.elf / dfc_firmware_no_packet_lock.elf. The product firmware (the
// plain host build, dfc_firmware.elf) has none. Each HwLock names its site; the selection is the
// environment variable DFC_FAULT_SKIP_LOCK on the host, the image variable dfc_fault_skip_lock
// (which the card fills from the same variable at load) in the image.
namespace fault {
// Every critical section (docs/firmware-concurrency.md §5): the names a selection may take.
// image.heap is the image runtime's allocator semaphore. (Its 64-bit atomics' semaphore is not
// a site: the firmware makes no 64-bit atomic operation, docs/firmware-concurrency.md §5.)
// A site is the name of the function that holds the lock (__builtin_FUNCTION(), HwLock's default)
// or, for a function's second lock, a name given where it is taken.
inline constexpr const char* kLockSites[] = {
    "process",                    // Pipeline::process: the hit accounting of a matching packet
    "read_criteria.wait",         // Pipeline::read_criteria: wait for a writer (taken, given back)
    "read_criteria",              // Pipeline::read_criteria: the locked read after failed attempts
    "add_cores",                  // Pipeline::add_cores: per-core state made at run time
    "on_control",                 // Firmware::on_control: one DTCP request
    "on_monitored",               // Firmware::on_monitored: the input-rate window's close
    "on_timer",                   // Firmware::on_timer: timeouts, congestion, aging deadline
    "restart",                    // Firmware::restart
    "flush_transmit",             // Server::flush_transmit: one deferred message popped
    "flush_transmit.tx_dropped",  // Server::flush_transmit: a refused transmit counted
    "pack_lists.take",            // Server::pack_lists: the front LIST answer looked at
    "pack_lists.queue",           // Server::pack_lists: a packed LIST answer queued and popped
    "image.heap",                 // the image's allocator (firmware/image/heap.cpp)
};
// The longest selection the image's variable holds (terminator included).
inline constexpr unsigned kSiteBytes = 32;
#ifdef DFC_FAULT_INJECTION
// True when `site` is the selected critical section (firmware/src/fw/fault_injection.cpp).
bool lock_skipped(const char* site);
#endif
}  // namespace fault

// The fault-injection HwLock is another type (its own inline namespace): a translation unit
// compiled without the hook that links with one compiled with it uses its own, never the other's.
#ifdef DFC_FAULT_INJECTION
inline namespace fault_injection {
#endif
// RAII holder for a hardware semaphore. `site` names the critical section (fault::kLockSites):
// the function that takes the lock unless given.
class HwLock {
 public:
#ifdef DFC_FAULT_INJECTION
  HwLock(Hal& h, unsigned lock, const char* site = __builtin_FUNCTION())
      : h_(h), lock_(lock), skip_(fault::lock_skipped(site)) {
    if (!skip_) h_.lock_acquire(lock_);
  }
  ~HwLock() {
    if (!skip_) h_.lock_release(lock_);
  }
#else
  HwLock(Hal& h, unsigned lock, const char* /*site*/ = nullptr) : h_(h), lock_(lock) { h_.lock_acquire(lock_); }
  ~HwLock() { h_.lock_release(lock_); }
#endif
  HwLock(const HwLock&) = delete;
  HwLock& operator=(const HwLock&) = delete;

 private:
  Hal& h_;
  unsigned lock_;
#ifdef DFC_FAULT_INJECTION
  bool skip_;
#endif
};
#ifdef DFC_FAULT_INJECTION
}  // namespace fault_injection
#endif

// Inside a removed critical section: the few operations that must stay locked for the run to go
// on and report the race (a criterion's deletion: a half-changed map would crash the firmware
// first) take the lock themselves when `site` is the one removed. Nothing in other builds, where
// the caller holds the lock.
#ifdef DFC_FAULT_INJECTION
class FaultRelock {
 public:
  FaultRelock(Hal& h, unsigned lock, const char* site) : h_(h), lock_(lock), on_(fault::lock_skipped(site)) {
    if (on_) h_.lock_acquire(lock_);
  }
  ~FaultRelock() {
    if (on_) h_.lock_release(lock_);
  }
  FaultRelock(const FaultRelock&) = delete;
  FaultRelock& operator=(const FaultRelock&) = delete;

 private:
  Hal& h_;
  unsigned lock_;
  bool on_;
};
#define DFC_FAULT_RELOCK(hal, lock, site) FaultRelock dfc_fault_relock_(hal, lock, site)
#else
#define DFC_FAULT_RELOCK(hal, lock, site) \
  do {                                    \
  } while (false)
#endif

}  // namespace dfc
