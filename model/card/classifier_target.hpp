// ClassifierTarget: the classifier block (RTL through Verilator or the C++ model, behind
// ClassifierDevice) as a TLM target in its own clock domain (docs/model.md §1-§2). Lookups are
// pipelined: one may enter every issue_cycles, and its result is readable after the device's
// own reported cycles. Each core has its own register context (card_map.hpp CLS_CTX_STRIDE)
// over the one shared table.
#pragma once
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <memory>
#include <vector>

#include "block.hpp"
#include "classifier/classifier_bus.hpp"
#include "classifier/classifier_device.hpp"
#include "profile.hpp"
#include "timeline.hpp"

namespace dfc::model {

class ClassifierTarget : public sc_core::sc_module, public Block {
 public:
  tlm_utils::simple_target_socket<ClassifierTarget> socket;
  ClassifierTarget(sc_core::sc_module_name n, std::unique_ptr<ClassifierDevice> dev, const CardProfile& p);
  ClassifierDevice& device() { return *dev_; }
  uint64_t lookups() const { return lookups_; }
  uint64_t busy_ps() const { return issue_.busy_ps(); }
  // The boot's table writes (before time 0) occupy nothing.
  void start_of_simulation() override { issue_.reset(); }
  // Waveform (null: off): busy (the issue slot), lookups_in_flight (issue to result ready).
  void set_wave(WaveRecorder* w) override;
  void usage(std::vector<Usage>& out) const override;
  void add_stats(CardStats& st) const override;
  // Extra sync points (schedule seed): the calling core's thread syncs at every access to a
  // context when set.
  bool sync_all = false;

 private:
  void b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay);
  struct Context {
    std::unique_ptr<ClassifierBus> bus;
    uint64_t ready_ps = 0;  // the last lookup's result is readable from then
    int last_core = -2;
    bool shared = false;    // more than one core has used this context
  };
  std::unique_ptr<ClassifierDevice> dev_;
  std::vector<Context> ctx_;
  Occupancy issue_;
  uint64_t cycle_ps_, issue_ps_, reg_ps_;
  uint64_t lookups_ = 0;
  WaveRecorder* wave_ = nullptr;
  int w_busy_ = 0, w_flight_ = 0;
};

}  // namespace dfc::model
