// `--wave vcd|fst [--wave-window FROM_US:TO_US]`: which waveforms a run records (SystemC-free).
// The files (docs/user-guide.md, "Waveforms"): OUT/card.<fmt> (card-level signals, every
// classifier kind) and OUT/classifier.<fmt> (the classifier RTL; --classifier rtl or lockstep).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace dfc::tb {

struct WaveOptions {
  std::string format;  // "" (off), "vcd" or "fst"
  uint64_t from_ps = 0, to_ps = UINT64_MAX;
  // --wave-signals: fnmatch(3) globs over the card file's hierarchical signal names
  // ("card.core*.busy"); only matching signals are written. Empty: every signal.
  std::vector<std::string> signals;
  bool on() const { return !format.empty(); }
};

// "FROM_US:TO_US" (decimal microseconds, FROM < TO; either side may be empty: from the start /
// to the end) into ps. Throws std::invalid_argument with what is wrong and how to write it (the
// caller names the option).
void parse_wave_window(const std::string& s, WaveOptions& w);
// "GLOB[,GLOB...]" into globs; throws std::invalid_argument for an empty list or glob.
std::vector<std::string> parse_wave_signals(const std::string& s);

}  // namespace dfc::tb
