// Per-control-source replay protection (reference §1.7, Juniper "liberal sequence windowing"):
// numbers up to +256 above and down to -256 below the highest accepted number are accepted,
// each at most once. Arithmetic is modulo 2^64, so a step of at most +256 across 2^64-1 -> 0
// is the rollover (it is only possible when the current number's most significant byte is
// 0xFF, hence also its most significant bit: the draft's "MSB all-ones" ambiguity is moot for
// a 256 window). The first number ever seen from a source is accepted unconditionally.
#pragma once
#include <bitset>
#include <cstdint>

namespace dfc::dtcp {

class SeqWindow {
 public:
  static constexpr uint64_t kWindow = 256;
  enum class Result { Accepted, AcceptedRollover, Duplicate, Stale, TooFarAhead };

  Result check_and_record(uint64_t seq);
  // Same classification without recording (for diagnostics).
  Result classify(uint64_t seq) const;

  bool has_value() const { return have_; }
  uint64_t highest() const { return max_; }
  void reset() { have_ = false; max_ = 0; seen_.reset(); }  // operator reset

  static bool accepted(Result r) { return r == Result::Accepted || r == Result::AcceptedRollover; }

 private:
  bool have_ = false;
  uint64_t max_ = 0;
  std::bitset<kWindow + 1> seen_;  // bit i: number max_ - i already seen (bit 0 = max_)
};

const char* to_string(SeqWindow::Result r);

}  // namespace dfc::dtcp
