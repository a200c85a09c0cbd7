// Harness for the card's blocks on their own (test_<block>.cpp): an initiator that issues one
// blocking transaction at a chosen simulated time, and a target that answers at once and
// records what reached it. Transactions issued before sc_start run at SystemC time 0 with the
// request time as the annotated delay, which is all a loosely-timed block looks at.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <vector>

#include "block.hpp"

namespace dfc::model::test {

// Picoseconds of `ns` nanoseconds, as a test computes them from a profile's parameters.
inline uint64_t ps(double ns) { return static_cast<uint64_t>(ns * 1000.0 + 0.5); }

struct Access {
  uint64_t addr;
  uint32_t bytes;
  bool write;
  uint64_t t_ps;  // when it reached the target
};

class Driver : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Driver> socket;
  explicit Driver(sc_core::sc_module_name n, int initiator = kDmaInitiator) : sc_module(n), socket("socket") {
    gp_.set_extension(new InitiatorId(initiator));
  }
  // A transaction of `words` (its length) at addr, issued at t_ps; returns when it completes.
  uint64_t transport(tlm::tlm_command cmd, uint64_t addr, std::vector<uint32_t>& words, uint64_t t_ps) {
    return transport_bytes(cmd, addr, reinterpret_cast<unsigned char*>(words.data()),
                           static_cast<uint32_t>(words.size() * 4), t_ps);
  }
  uint64_t read(uint64_t addr, uint32_t bytes, uint64_t t_ps) {
    buf_.resize(bytes);
    return transport_bytes(tlm::TLM_READ_COMMAND, addr, buf_.data(), bytes, t_ps);
  }
  uint64_t write(uint64_t addr, uint32_t bytes, uint64_t t_ps) {
    buf_.resize(bytes);
    return transport_bytes(tlm::TLM_WRITE_COMMAND, addr, buf_.data(), bytes, t_ps);
  }
  tlm::tlm_response_status status() const { return gp_.get_response_status(); }
  void set_initiator(int id) {
    InitiatorId* e = nullptr;
    gp_.get_extension(e);
    e->id = id;
  }

 private:
  uint64_t transport_bytes(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, uint32_t bytes, uint64_t t_ps) {
    prepare_payload(gp_, cmd, addr, data, bytes);
    const uint64_t now = now_ps();
    sc_core::sc_time d = sc_core::sc_time::from_value(t_ps - now);
    socket->b_transport(gp_, d);
    return now + d.value();
  }
  tlm::tlm_generic_payload gp_;
  std::vector<unsigned char> buf_;
};

class StubTarget : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<StubTarget> socket;
  std::vector<Access> log;
  explicit StubTarget(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_b_transport(this, &StubTarget::b_transport);
  }

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
    log.push_back({gp.get_address(), gp.get_data_length(), gp.is_write(), now_ps() + delay.value()});
    gp.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

}  // namespace dfc::model::test
