// The host's side of the waveforms (testbench/host/wave.cpp): the classifier's options, the
// card's recorder, and the report's "wave" section.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

#include "card.hpp"
#include "classifier/classifier_device.hpp"
#include "host/wave.hpp"
#include "report/timeline.hpp"

namespace dfc::tb {

// The RTL's waveform (OUT/classifier.<fmt>) on the card's classifier clock, for a classifier kind
// that contains the RTL; no waveform for "model" (the card file is still written).
model::ClassifierOptions classifier_wave_options(const WaveOptions& w, const std::string& out_dir,
                                                 const std::string& kind, double classifier_hz);
// OUT/card.<fmt>; throws std::runtime_error when it cannot be created.
void open_card_wave(model::Card& card, const WaveOptions& w, const std::string& out_dir);
// {"card": {file, first_ps, last_ps, changes}, "classifier": {file, first_ps, last_ps, shifted,
// max_shift_ps}, "from_ps", "to_ps", "timescale": "1ps"}; null when no waveform was asked for.
nlohmann::json wave_report(model::Card& card, const WaveOptions& w, const std::string& out_dir);

// report.json "timeline" after the run: the card sampler's utilisation and receive-queue depth
// in bins over the measurement window (report/timeline.hpp), the DTCP events when the mode
// recorded them (null: none), and the report's overload events as on/off transitions.
nlohmann::json card_timeline(model::Card& card, const nlohmann::json& report, const DtcpTimeline* dtcp);

}  // namespace dfc::tb
