// The host: the one place that builds a simulation around the card, for `dfcsim run` (batch,
// simulated time) and `dfcsim serve` (real time, UDP sockets). It owns the card, the firmware,
// the classifier device, the content-destination pcap writers, dtcp.log, the scoreboard and
// the report; a mode only brings its ingress source (scripted timeline or live sockets) and
// its own extra report fields.
//
// Event order (the contract the checker consumes, see CheckerSink):
//   * on_ingress() is called for every packet the card takes, in arrival order (non-decreasing
//     t_arrival_ps), before the card processes it: by the card as it admits it (run, whose card
//     pulls ahead of arrivals) or by the live source as it hands it over (serve);
//   * copies, replies, notifications and drops are reported as the card emits them; a copy or
//     drop of packet X always follows on_ingress(X); so does the drop of a DTCP request the card
//     could not admit (on_request_dropped takes back the request on_ingress reported).
// Nothing here keeps per-packet state: pcap writers stream, time series are decimated to a
// bounded number of buckets, latency percentiles come from a bounded reservoir, dtcp.log is
// written in time order as the simulation passes each entry's time.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "dfc/hal/packet.hpp"
#include "checker/checker_sink.hpp"
#include "host/sim_options.hpp"

namespace dfc::config {
struct DfcConfig;
}
namespace dfc::fw {
class Firmware;
}
namespace dfc::model {
class Card;
class IngressSource;
struct CardProfile;
}  // namespace dfc::model

namespace dfc::tb {

class CardEngine;

struct HostOptions {
  SimOptions sim;                 // configuration, profile, classifier, outputs (run and serve alike)
  uint64_t drain_ps = 0;          // simulated time after the last arrival
  bool realtime = false;          // serve: paced to the wall clock, dtcp.log flushed per entry
  // The scoreboard on a second thread behind a bounded queue (async_checker.hpp): the same
  // verdict, less wall time on a machine with two cores or more.
  bool checker_thread = true;
  std::string name = "default";   // scenario name in the report
  std::string why;                // run --why BPF: explain each selected packet in out_dir/why.jsonl
  bool dtcp_pcap = false;         // run: every request, reply and notification in out_dir/dtcp.pcap
  // Why the firmware restarts when a restart marker (restart_event.hpp) reaches it.
  std::string restart_reason = "scenario restart event";
};

class Host {
 public:
  // Parses nothing: cfg is the parsed configuration. Creates out_dir, dtcp.log and one pcap
  // per content destination (named by fw::copy_label). Throws RunFailure (common/errors.hpp)
  // naming the file when an output cannot be created, std::runtime_error for a bad --why.
  Host(const config::DfcConfig& cfg, HostOptions opt);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const model::CardProfile& profile() const;
  const config::DfcConfig& config() const;

  // Replies sent to this "ip:port" belong to this control source (run's agents). Sources are
  // also learned from each request's Csource-ID as it enters.
  void register_endpoint(const std::string& ip_port, const std::string& csource);

  // Mode hooks. control_tap: a reply/notification the card sent on unit 0 (serve forwards it
  // to a socket); it returns a note for dtcp.log ("" for none). copy_tap: a copy written to
  // its pcap, with its 1-based number for that destination (serve's jmirror stream).
  std::function<std::string(const Packet&, const std::string& bytes, bool is_reply)> control_tap;
  std::function<void(const Packet&, uint64_t t_ps, uint64_t n_for_dest)> copy_tap;

  // Every packet the mode's source hands the card (see the event order above). note: extra
  // text for the request's dtcp.log header (serve: the real sender). A restart marker
  // (restart_event.hpp) is logged in dtcp.log as a card restart and not shown to the checker
  // (it learns of the restart from the 599 notifications).
  void on_ingress(const Packet& p, const std::string& note = "");

  // Builds the classifier device, the firmware and the card around the source.
  void build(model::IngressSource& src);
  // sc_start until the source ends; flushes the pcaps and dtcp.log; writes dtcp.pcap and
  // why.jsonl when asked for.
  void run();
  // Flushes the pcap writers (serve calls it periodically).
  void flush();

  // The report (every field both modes share); finishes the checker, so call it once.
  nlohmann::json report();
  // A short human summary of that report.
  std::string summary(const nlohmann::json& report) const;
  // Writes out_dir/report.json and out_dir/report.html (the mode's fields added).
  void write_report(const nlohmann::json& report) const;

  const std::string& classifier_name() const;  // after build()
  fw::Firmware& firmware();
  // The card that ran, whichever model (after build()).
  CardEngine& engine();
  // The timing card (SystemC); throws std::logic_error in fast mode (SimOptions::model).
  model::Card& card();
  uint64_t monitored_in() const;
  uint64_t monitored_bytes_in() const;  // their bytes as captured (link header on)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The Csource-ID parameter of a DTCP request (first occurrence, before Authentication-Info),
// or "".
std::string csource_of(const std::string& request);

}  // namespace dfc::tb
