// What the timing card's ingress DMA (ingress_dma.cpp) and the fast card (model/fast) do alike
// with frames from the port: keep the staged ones in arrival order, and count a refused frame
// by why it was refused. One definition, so that the two cards cannot drift apart.
#pragma once
#include <cstring>
#include <deque>
#include <iterator>
#include <utility>

#include "card_stats.hpp"
#include "dfc/hal/packet.hpp"

namespace dfc::model {

// s into staged (sorted by p.t_arrival_ps) after every frame that arrives no later than it. The
// port delays monitored frames behind its MAC (line rate) but not DTCP, which has its own
// interface, so a request pulled after a backlogged frame can arrive before it. The cards take
// staged frames from the front and sleep until the first staged arrival: out of order, the
// request would wait for the frame while its thread woke for it again and again (a livelock).
template <class Staged>
void insert_in_arrival_order(std::deque<Staged>& staged, Staged&& s) {
  const uint64_t at = s.p.t_arrival_ps;
  auto pos = staged.end();
  while (pos != staged.begin() && std::prev(pos)->p.t_arrival_ps > at) --pos;
  staged.insert(pos, std::move(s));
}

// A frame the ingress refused: DTCP apart, then a full receive ring or no free receive buffer.
inline void count_ingress_drop(CardStats& st, const Packet& p, const char* why) {
  if (p.unit == Unit::Control)
    ++st.control_dropped;
  else if (std::strcmp(why, "rx_ring_full") == 0)
    ++st.ingress_dropped_ring;
  else
    ++st.ingress_dropped_buffer;
}

}  // namespace dfc::model
