// SecurityEngine: the processor's security acceleration engine, used for HMAC-SHA1 (docs/model.md
// §1, docs/model-sources.md S13). On the XLR the engine is a station of the message ring: a
// thread sends it a descriptor naming the HMAC key (the 64-byte key block K of RFC 2104, which
// the engine loads into its registers and pads itself), the message and where the digest goes;
// the engine reads them from memory by DMA, hashes, writes the digest back and answers with a
// message. Here:
//  * the reads and the write are DMA transactions through the interconnect (its initiator socket,
//    like the egress DMA's), so they take ring and memory time and wait behind other traffic;
//  * one SHA-1 core hashes a 64-byte block in cycles_per_block of its clock; requests from
//    different threads share it (an Occupancy timeline: a request that finds it busy queues);
//  * a HMAC is the blocks K^ipad, the message's padded blocks, K^opad and the outer hash's one:
//    the engine recomputes the pads from the key each time (its descriptor carries the key, not
//    precomputed states);
//  * the digest itself is a real HMAC-SHA1 (OpenSSL: the model is not firmware).
// hmac() answers at once with the digest and the time the requester may see it (after the
// digest's write-back); the caller waits until then (HwThread::accelerator_wait).
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "block.hpp"
#include "profile.hpp"
#include "timeline.hpp"

namespace dfc::model {

class SecurityEngine : public sc_core::sc_module, public Block {
 public:
  using Digest = std::array<uint8_t, 20>;
  static constexpr size_t kKeyBlock = 64;
  tlm_utils::simple_initiator_socket<SecurityEngine> socket;
  SecurityEngine(sc_core::sc_module_name n, const CardProfile& p);
  // The profile's security.engine: a card without it answers Hal::hmac_sha1 with "no engine".
  bool present() const { return present_; }

  // Where a request's bytes lie in the card's address space (what the DMA reads and writes).
  struct Addresses {
    uint64_t key, data, digest;
  };
  struct Answer {
    Digest digest;
    uint64_t done_ps;  // the digest is in memory and the answer is back: the requester goes on
  };
  // HMAC-SHA1 of data[0, n) under the key block `key` (64 bytes), requested at t_ps.
  Answer hmac(uint64_t t_ps, const uint8_t* key, const uint8_t* data, size_t n, const Addresses& at);
  // The 64-byte blocks a HMAC of n bytes hashes: K^ipad, the padded message, K^opad, the outer.
  static uint64_t blocks_for(size_t n) { return 1 + message_blocks(n) + 2; }
  // The inner hash's blocks after K^ipad: the message, its 0x80 byte and 8-byte length, padded.
  static uint64_t message_blocks(size_t n) { return (uint64_t{n} + 9 + 63) / 64; }

  uint64_t block_ps() const { return block_ps_; }
  uint64_t requests() const { return requests_; }
  uint64_t blocks() const { return blocks_; }
  uint64_t busy_ps() const { return core_.busy_ps(); }
  uint64_t wait_ps() const { return core_.wait_ps(); }
  void start_of_simulation() override { core_.reset(); }
  void set_wave(WaveRecorder* w) override;  // busy: the SHA-1 core; requests_in_flight
  void usage(std::vector<Usage>& out) const override;

 private:
  uint64_t dma(tlm::tlm_command cmd, uint64_t addr, uint32_t bytes, uint64_t t);
  bool present_;
  Occupancy core_;
  uint64_t block_ps_;
  uint64_t requests_ = 0, blocks_ = 0;
  tlm::tlm_generic_payload gp_;
  std::vector<unsigned char> scratch_;
  WaveRecorder* wave_ = nullptr;
  int w_busy_ = 0, w_flight_ = 0;
};

}  // namespace dfc::model
