// IngressPort: the unit-1 / unit-0 MAC (docs/model.md §1). A monitored frame cannot arrive
// before the previous one is received at the line rate (wire_ps); DTCP (unit 0) arrives on its
// own interface, not paced. The ingress is pulled: the IngressDma asks for the next packet when
// a core asks it for work, so there is no SystemC process and no thread switch per packet.
#pragma once
#include <systemc>

#include <cstdint>

#include "block.hpp"
#include "card_stats.hpp"
#include "dfc/hal/packet.hpp"
#include "profile.hpp"

namespace dfc::model {

// The testbench's side of unit 0 and unit 1: packets in nondecreasing t_arrival_ps.
class IngressSource {
 public:
  enum class Next {
    Packet,  // `out` holds the next packet
    Idle,    // no packet yet; none will arrive before idle_until_ps (live sources: the card
             // fires the timers due until then and asks again)
    End,     // no more packets
  };
  virtual ~IngressSource() = default;
  // next_timer_ps: the card's next timer deadline (UINT64_MAX when none), so that a live
  // source can return Idle in time for it instead of blocking past it.
  virtual Next next(Packet& out, uint64_t next_timer_ps, uint64_t& idle_until_ps) = 0;
};

class IngressPort : public sc_core::sc_module, public Block {
 public:
  IngressPort(sc_core::sc_module_name n, const CardProfile& p, IngressSource& src, CardStats& st);
  enum class Pull { Packet, Idle, End };
  // The next packet from the testbench with its MAC arrival time in t_arrival_ps.
  Pull pull(Packet& out, uint64_t next_timer_ps, uint64_t& idle_until_ps);
  uint64_t busy_ps() const { return busy_ps_; }
  void usage(std::vector<Usage>& out) const override;  // "ingress": the MAC's wire time

 private:
  IngressSource& src_;
  CardStats& st_;
  double bps_;
  uint64_t mac_free_ps_ = 0, busy_ps_ = 0;
  bool first_ = true;
};

}  // namespace dfc::model
