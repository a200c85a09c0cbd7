// The card a host runs, whichever model it is (docs/fast-mode.md): the timing card
// (model/card, SystemC/TLM) or the fast card (model/fast, a plain-C++ event loop). Both take the
// same firmware, profile, classifier and source and report through the same hooks and
// statistics, so the host reaches them alike; what only the timing card has (waveforms, the race
// checker, the firmware image, the usage timeline) the host asks of timing() when it is there.
#pragma once
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "card.hpp"
#include "fast_card.hpp"

namespace dfc::tb {

class CardEngine {
 public:
  virtual ~CardEngine() = default;
  virtual const char* model() const = 0;  // "timing" or "fast" (report.json "model")
  virtual void run() = 0;                 // until the source ends and the drain time has passed
  virtual model::CardStats stats() const = 0;
  virtual std::vector<std::pair<std::string, double>> utilisation() const = 0;
  virtual std::string bottleneck() const = 0;
  virtual uint64_t cores_time_floor_ps() const = 0;
  // A live source (serve): the card holds its time against the wall clock and counts its lag.
  virtual void set_realtime(bool on, uint64_t max_lag_ps) = 0;
  // The SystemC card, or null for the fast one.
  virtual model::Card* timing() { return nullptr; }
};

// Either card behind the interface (Card and FastCard have the same statistics calls).
template <class C>
class CardEngineOf final : public CardEngine {
 public:
  explicit CardEngineOf(C& c) : c_(c) {}
  const char* model() const override { return std::is_same_v<C, model::Card> ? "timing" : "fast"; }
  void run() override {
    if constexpr (std::is_same_v<C, model::Card>)
      sc_core::sc_start();
    else
      c_.run();
  }
  model::CardStats stats() const override { return c_.stats(); }
  std::vector<std::pair<std::string, double>> utilisation() const override { return c_.utilisation(); }
  std::string bottleneck() const override { return c_.bottleneck(); }
  uint64_t cores_time_floor_ps() const override { return c_.cores_time_floor_ps(); }
  void set_realtime(bool on, uint64_t max_lag_ps) override { c_.set_realtime(on, max_lag_ps); }
  model::Card* timing() override {
    if constexpr (std::is_same_v<C, model::Card>)
      return &c_;
    else
      return nullptr;
  }

 private:
  C& c_;
};

}  // namespace dfc::tb
