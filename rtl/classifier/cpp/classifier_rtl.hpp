// ClassifierRtl: rtl/classifier/rtl/classifier.sv, Verilated (--cc), behind the ClassifierDevice interface.
// SystemC-free and Verilator-free header (pimpl): only classifier_rtl.cpp includes the
// Verilated model. The RTL is compiled for the contract's rtl_depths; a device of depth
// d uses the smallest one >= d and never touches the entries above d.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "classifier_device.hpp"

namespace dfc::rtl {

class ClassifierRtl final : public model::ClassifierDevice {
 public:
  // The compiled depths come from rtl/classifier/data/classifier.json (rtl_depths); kMaxDepth is its last.
  static const uint32_t kMaxDepth;
  static std::vector<uint32_t> compiled_depths();  // ascending

  // Which Verilated variant: None has no trace code (the fast one); Vcd and Fst can record a
  // waveform (open_trace), and are off until asked.
  enum class Wave { None, Vcd, Fst };
  // Throws std::invalid_argument if depth > kMaxDepth.
  explicit ClassifierRtl(uint32_t depth, Wave wave = Wave::None);
  ~ClassifierRtl() override;
  ClassifierRtl(const ClassifierRtl&) = delete;
  ClassifierRtl& operator=(const ClassifierRtl&) = delete;

  uint32_t depth() const override;
  void write_entry(uint32_t index, const abi::Entry& e) override;
  void write_range_unit(uint32_t unit, const abi::RangeUnit& r) override;
  void set_group_enable(uint32_t group, bool enable) override;
  // Presents the key and clocks the RTL until lk_done (the result window is complete), then
  // drains the rest of the match stream. LookupResult::cycles = clocks counted at the ports
  // from the key edge to lk_done (docs/classifier.md §7).
  abi::LookupResult lookup(const abi::KeyWords& key) override;
  std::string name() const override { return "rtl"; }
  // The next operation's clock edges start at t_ps on the waveform (SystemC time, ps), or
  // right after the previous operation's last edge if that is later (see wave_timing()).
  void at_time(uint64_t t_ps) override;

  uint32_t hw_depth() const;     // N the RTL was compiled with
  uint64_t clocks() const;       // clock cycles simulated so far

  // Waveforms (variants Vcd and Fst): open_trace() returns false (and does nothing) on the
  // variant None or when the file cannot be created. The trace is closed by close_trace() or
  // destruction. Timescale 1 ps. Each clock is a rising edge at the time given by at_time() (or
  // one clock_ps after the previous rising edge) and a falling edge half a clock later; only
  // edges in [from_ps, to_ps] are dumped. Without at_time() (classbench) the axis is simply
  // clocks x clock_ps. The RTL is clocked only while an operation runs: between operations the
  // waveform shows no edges.
  bool open_trace(const std::string& path);
  void close_trace();
  void set_wave_time(uint64_t clock_ps, uint64_t from_ps = 0, uint64_t to_ps = UINT64_MAX);
  // How far the waveform's edges stray from the times at_time() gave: decoupled cores present
  // operations out of time order, and an operation whose time is before the previous one's
  // last edge is moved after it (monotonic timestamps). Counted while a trace is open.
  using WaveTiming = model::ClassifierWaveTiming;
  // nullptr unless a trace is open.
  const WaveTiming* wave_timing() const override;

  // Cycle-level access (tests of pipelining and write atomicity). One call = one clock:
  // the given lookup and/or writes are presented at that clock edge; the outputs are the
  // registered outputs after it.
  struct CycleIn {
    const abi::KeyWords* key = nullptr;
    std::optional<uint32_t> entry_index;  // with `entry`
    abi::Entry entry{};
    std::optional<uint32_t> group;  // with `group_enable`
    bool group_enable = false;
  };
  struct CycleOut {
    bool res_valid = false, res_hit = false;
    uint32_t res_first = 0, res_count = 0;
    bool m_valid = false;
    uint32_t m_idx = 0;
    bool lk_done = false;
  };
  CycleOut step(const CycleIn& in);

  struct Impl;  // implementation detail (classifier_rtl.cpp)

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dfc::rtl
