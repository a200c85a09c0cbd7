// What the card model's blocks share (docs/model.md §1): SystemC time in picoseconds, the tag
// naming a transaction's initiator, Ethernet wire time, and the Block interface through which
// the Card reaches every block alike (waveform signals, utilisation, statistics) instead of
// naming each one.
#pragma once
#include <systemc>
#include <tlm>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "dfc/hal/packet.hpp"

namespace dfc::model {

class WaveRecorder;
struct CardStats;

inline uint64_t now_ps() { return sc_core::sc_time_stamp().value(); }  // resolution: 1 ps
inline sc_core::sc_time at_ps(uint64_t ps) { return sc_core::sc_time::from_value(ps); }
inline uint64_t ps_of(double seconds) { return static_cast<uint64_t>(seconds * 1e12 + 0.5); }

// Which initiator (core index, or kDmaInitiator) issued a transaction.
struct InitiatorId : tlm::tlm_extension<InitiatorId> {
  explicit InitiatorId(int i = 0) : id(i) {}
  tlm_extension_base* clone() const override { return new InitiatorId(id); }
  void copy_from(const tlm_extension_base& e) override { id = static_cast<const InitiatorId&>(e).id; }
  int id;
};
constexpr int kDmaInitiator = -1;
inline int initiator_of(tlm::tlm_generic_payload& gp) {
  InitiatorId* e = nullptr;
  gp.get_extension(e);
  return e ? e->id : kDmaInitiator;
}

// A fresh single-burst transaction of `bytes` at addr over `data` (a core's register or memory
// access, a DMA burst): every field a target reads is set, so a reused payload carries nothing
// over from its previous transaction.
inline void prepare_payload(tlm::tlm_generic_payload& gp, tlm::tlm_command cmd, uint64_t addr, unsigned char* data,
                            uint32_t bytes) {
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(data);
  gp.set_data_length(bytes);
  gp.set_streaming_width(bytes);
  gp.set_byte_enable_ptr(nullptr);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
}

// A DMA engine's payload for one burst of `bytes` at addr (the data itself is not modelled:
// scratch only gives the payload a buffer of the right size).
inline void prepare_payload(tlm::tlm_generic_payload& gp, std::vector<unsigned char>& scratch, tlm::tlm_command cmd,
                            uint64_t addr, uint32_t bytes) {
  if (scratch.size() < bytes) scratch.resize(bytes);
  prepare_payload(gp, cmd, addr, scratch.data(), bytes);
}

// Wire time of a packet on an Ethernet link: the frame (padded to 64 bytes, FCS included;
// raw-IP packets get a 14-byte Ethernet header) plus preamble+SFD (8) and the minimum IFG (12).
// Both MACs (IngressPort, EgressPort) serialise with it.
inline uint64_t wire_ps(const Packet& p, double bps) {
  size_t frame = p.data.size() + 4 + (p.link == LinkType::Ethernet ? 0 : 14);
  if (frame < 64) frame = 64;
  return static_cast<uint64_t>(std::llround(double(frame + 20) * 8.0 / bps * 1e12));
}

// One resource's busy time over the run, for Card::utilisation(). The kind orders the report:
// cores, the memory system (interconnect, memories), accelerators (classifier), ports, then
// details of a resource already listed (the memory's two halves), which never count as a
// bottleneck of their own.
struct Usage {
  enum class Kind { Core, MemorySystem, Accelerator, Port, Detail };
  std::string name;
  uint64_t busy_ps;
  Kind kind;
};

// Every block of the card implements this besides being an sc_module; the defaults are for
// blocks with nothing to report.
class Block {
 public:
  virtual ~Block() = default;
  // Registers the block's signals (null: waveforms off). Called before sc_start.
  virtual void set_wave(WaveRecorder*) {}
  // Appends the block's resources, in the order the report lists them within their kind.
  virtual void usage(std::vector<Usage>&) const {}
  // Fills the card statistics the block keeps itself.
  virtual void add_stats(CardStats&) const {}
};

}  // namespace dfc::model
