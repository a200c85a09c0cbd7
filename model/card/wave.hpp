// WaveRecorder: the card-level waveform (`dfcsim run --wave vcd|fst`, docs/model.md §12).
// SystemC-free. Blocks report value changes as signed steps of a counter at the simulated time
// they happen (a queue entry +1 at its arrival, -1 when it leaves; a busy interval +1/-1), in
// whatever order the host runs them: the cores are temporally decoupled, so a core that lags
// reports times older than a core that leads. The recorder buffers the steps, and flush(floor)
// sorts and writes every step older than `floor`, a time before which no block can report any
// more (the card supplies it). So the file's timestamps are exact (1 ps) and monotonic.
// A `Count` signal dumps the counter (a depth, lookups in flight); a `Busy` signal dumps
// counter > 0 (one bit). Steps outside [from_ps, to_ps] cost one compare: those before the
// window fold into the counter's start value, those after are dropped.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace dfc::model {

class WaveRecorder {
 public:
  enum class Format { Vcd, Fst };
  enum class Kind { Count, Busy };
  // Throws std::runtime_error when the file cannot be created.
  WaveRecorder(const std::string& path, Format f, uint64_t from_ps, uint64_t to_ps);
  ~WaveRecorder();
  WaveRecorder(const WaveRecorder&) = delete;
  WaveRecorder& operator=(const WaveRecorder&) = delete;

  // Before the first step. scope: "card.core0"; width: bits of a Count (Busy is 1 bit).
  int add(const std::string& scope, const std::string& name, Kind k, unsigned width = 16);
  void step(int sig, uint64_t t_ps, int32_t d) { put(sig, t_ps, d, false); }
  // An absolute value from t_ps on (a packet id, a reason code), not a step of a counter.
  void set(int sig, uint64_t t_ps, int64_t v) { put(sig, t_ps, v, true); }
  void interval(int sig, uint64_t t0, uint64_t t1) {
    if (t1 <= t0) return;
    step(sig, t0, +1);
    step(sig, t1, -1);
  }
  // `--wave-signals`: only signals whose hierarchical name ("card.core0.busy") matches one of
  // these fnmatch(3) globs are written (all when empty). Any time before the first step.
  void select(const std::vector<std::string>& globs);
  // The globs of select() that match no signal, and every signal's hierarchical name.
  std::vector<std::string> unmatched_globs() const;
  std::vector<std::string> names() const;
  // Where flush() may cut: a time before which no block reports any more steps.
  void set_floor(std::function<uint64_t()> f) { floor_ = std::move(f); }
  // Writes every step with t < floor_ps (sorted by time, then report order).
  void flush(uint64_t floor_ps);
  // Writes the rest up to end_ps (steps after it are dropped) and closes the file. Idempotent.
  void close(uint64_t end_ps);

  uint64_t first_ps() const { return first_ps_; }  // UINT64_MAX until something was written
  uint64_t last_ps() const { return last_ps_; }
  uint64_t changes() const { return changes_; }

  class Sink;  // a file format (wave.cpp: VCD, FST)

 private:
  struct Step {
    uint64_t t, seq;
    uint32_t sig;
    bool set;   // d is the value from t on, not a step
    int64_t d;
  };
  void put(int sig, uint64_t t_ps, int64_t d, bool set) {
    const auto i = static_cast<size_t>(sig);
    if (!sel_.empty() && !sel_[i]) return;  // not written: not buffered either
    if (t_ps < from_) {
      start_[i] = set ? d : start_[i] + d;
      return;
    }
    if (t_ps > to_) return;
    buf_.push_back({t_ps, seq_++, static_cast<uint32_t>(sig), set, d});
    if (buf_.size() >= flush_at_ && floor_) flush(floor_());
  }
  struct Sig {
    std::string scope, name;
    Kind kind;
    unsigned width;
    int64_t value = 0;           // running counter
    int64_t shown = INT64_MIN;   // last written value
  };
  static constexpr size_t kFlushAt = 1 << 16;
  size_t flush_at_ = kFlushAt;  // grows when a flush leaves much behind (no sort per step)
  void begin();
  bool shown(size_t i) const { return sel_.empty() || sel_[i]; }
  bool matches(const std::string& name) const;
  void emit_changes(uint64_t t);

  std::unique_ptr<Sink> sink_;
  uint64_t from_, to_;
  std::vector<Sig> sigs_;
  std::vector<int64_t> start_;
  std::vector<std::string> globs_;
  std::vector<bool> sel_;  // per signal: written (empty: all)
  std::vector<Step> buf_;
  std::vector<uint32_t> touched_;
  uint64_t seq_ = 0;
  std::function<uint64_t()> floor_;
  bool begun_ = false, closed_ = false;
  uint64_t first_ps_ = UINT64_MAX, last_ps_ = 0, changes_ = 0, written_t_ = UINT64_MAX;
};

}  // namespace dfc::model
