// Event signals of the card waveform (docs/user-guide.md, "Waveforms"), so a viewer lines a
// packet up with why.jsonl's "id":
//   card.coreC.threadT.packet_id  the id of the monitored packet the hardware thread works on
//                                 (from the firmware's start on it to its end), 0 otherwise;
//   card.drop                     a drop's reason code (drop_code) for 1 ns from the drop;
//   card.drop_id                  the dropped packet's id over the same nanosecond.
// The card calls these where a hardware thread starts on a packet and where it reports a packet
// done or dropped to the host (its done, drop and copy-drop sinks). SystemC-free.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "wave.hpp"

namespace dfc::model {

class WaveEvents {
 public:
  // The reason codes of card.drop: 1 ingress_buffer_full, 2 rx_ring_full, 3 egress_queue_full,
  // 4 tx_ring_full, 5 any other reason.
  static int drop_code(const char* reason) {
    static const char* const kNames[] = {"ingress_buffer_full", "rx_ring_full", "egress_queue_full", "tx_ring_full"};
    for (int i = 0; i < 4; ++i)
      if (reason && std::strcmp(reason, kNames[i]) == 0) return i + 1;
    return 5;
  }
  static constexpr uint64_t kPulsePs = 1000;

  // Before the first step: one packet_id per hardware context (ctx = core * per_core + thread).
  void open(WaveRecorder* w, unsigned contexts, unsigned per_core) {
    w_ = w;
    pid_.clear();
    if (!w) return;
    for (unsigned c = 0; c < contexts; ++c)
      pid_.push_back(w->add("card.core" + std::to_string(c / per_core) + ".thread" + std::to_string(c % per_core),
                            "packet_id", WaveRecorder::Kind::Count, 48));
    open_.assign(contexts, false);
    drop_ = w->add("card", "drop", WaveRecorder::Kind::Count, 4);
    drop_id_ = w->add("card", "drop_id", WaveRecorder::Kind::Count, 48);
  }
  // At the start of the firmware's work on a monitored packet, at once (the handler may sync
  // before it ends, and the recorder takes no step older than what it has written).
  void begin(unsigned ctx, uint64_t t_ps, uint64_t id) {
    if (!w_ || ctx >= pid_.size()) return;
    w_->set(pid_[ctx], t_ps, static_cast<int64_t>(id));
    open_[ctx] = true;
  }
  // When the card reports the packet done (any unit: only an open one is closed).
  void end(unsigned ctx, uint64_t t_ps) {
    if (!w_ || ctx >= pid_.size() || !open_[ctx]) return;
    w_->set(pid_[ctx], t_ps, 0);
    open_[ctx] = false;
  }
  void drop(uint64_t t_ps, const char* reason, uint64_t id) {
    if (!w_) return;
    w_->set(drop_, t_ps, drop_code(reason));
    w_->set(drop_, t_ps + kPulsePs, 0);
    w_->set(drop_id_, t_ps, static_cast<int64_t>(id));
    w_->set(drop_id_, t_ps + kPulsePs, 0);
  }

 private:
  WaveRecorder* w_ = nullptr;
  std::vector<int> pid_;
  std::vector<bool> open_;
  int drop_ = -1, drop_id_ = -1;
};

}  // namespace dfc::model
