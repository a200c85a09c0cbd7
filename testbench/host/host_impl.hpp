// The host's state (host.hpp's Host::Impl), shared by host.cpp (building and running the card,
// the event hooks, dtcp.log) and host_report.cpp (report.json and the summary). Private to
// testbench/host/.
#pragma once
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "card.hpp"
#include "card_engine.hpp"
#include "fast_card.hpp"
#include "dfc/config/config.hpp"
#include "iss/abi_io.hpp"
#include "host/host.hpp"
#include "profile.hpp"
#include "report/dtcp_pcap.hpp"
#include "report/stats.hpp"
#include "report/why.hpp"
#include "stimulus/pcap_io.hpp"

namespace dfc::tb {

using HostClock = std::chrono::steady_clock;

// "12.345678 us": a simulated time in dtcp.log headers and the summary.
std::string fmt_time_ps(uint64_t ps);

struct Host::Impl {
  config::DfcConfig cfg;
  HostOptions opt;
  model::CardProfile prof;
  HostClock::time_point wall0 = HostClock::now(), card_wall0;
  double card_wall_s = 0, wall_s = 0;

  // dtcp.log: entries are written in (time, requests first, arrival) order once the
  // simulation has passed their time (the previous ingress arrival: every later emission is at
  // or after it), so only the entries of the last moments are held.
  struct LogEvent {
    uint64_t t_ps;
    int kind;  // 0 request, 1 reply/notification
    uint64_t order;
    std::string text;
    bool operator>(const LogEvent& o) const {
      return t_ps != o.t_ps ? t_ps > o.t_ps : kind != o.kind ? kind > o.kind : order > o.order;
    }
  };
  std::ofstream dlog;
  std::priority_queue<LogEvent, std::vector<LogEvent>, std::greater<LogEvent>> pending_log;
  uint64_t log_order = 0, watermark_ps = 0;
  DtcpPcap dtcp_pcap;                // the same messages as dtcp.log, as UDP/IP packets (run)
  std::unique_ptr<WhyLog> why_log;   // --why: per-packet explanations (why.jsonl)

  void add_dtcp_pcap(uint64_t t, const Packet& p, const std::string& bytes) {
    if (opt.dtcp_pcap)
      dtcp_pcap.add(t, static_cast<int>(log_order), p.src_ip, p.src_port, p.dst_ip, p.dst_port, bytes);
  }

  std::map<std::string, std::unique_ptr<PcapWriter>> writers;
  std::map<std::string, uint64_t> copies_written;
  std::map<std::string, size_t> copy_series;
  std::unique_ptr<CheckerSink> checker;
  std::string checker_summary;
  nlohmann::json checker_errors = nlohmann::json::array();
  TimeSeries series;
  size_t s_offered = 0, s_dropped = 0, s_achieved = 0;
  LatencyStats latency;

  std::map<std::string, std::string> csource_by_endpoint, key_by_endpoint, key_by_csource;
  std::map<std::string, std::string> method_by_seq;  // "ip:port#seq" -> method, until answered
  std::map<std::string, uint64_t> status_counts;
  uint64_t replies = 0, notifications = 0, bad_signatures = 0, monitored = 0;
  uint64_t monitored_bytes = 0;  // captured bytes of the monitored packets that arrived (replay summary)
  nlohmann::json criteria_added = nlohmann::json::array();

  fw::Firmware* fw = nullptr;
  // The card that runs: the timing card (card) or the fast one (fast_card), behind engine.
  std::unique_ptr<model::Card> card;  // null in fast mode
  std::unique_ptr<fast::FastCard> fast_card;
  std::unique_ptr<CardEngine> engine;
  std::string cls_name;
  HostClock::time_point last_progress;
  bool progress_shown = false;

  void log(uint64_t t, int kind, std::string text) {
    if (opt.realtime) {
      write_log(text);
      dlog.flush();
      return;
    }
    pending_log.push({t, kind, log_order++, std::move(text)});
  }
  void write_log(const std::string& text) {
    dlog << text << (text.size() >= 2 && text.compare(text.size() - 2, 2, "\n\n") == 0 ? "" : "\n");
  }
  void flush_log_before(uint64_t t) {
    while (!pending_log.empty() && pending_log.top().t_ps < t) {
      write_log(pending_log.top().text);
      pending_log.pop();
    }
  }

  void on_control(const Packet& p, uint64_t t_ps, const std::function<std::string(const Packet&, const std::string&, bool)>& tap);
  void on_copy(const Packet& p, uint64_t t_ps, const std::function<void(const Packet&, uint64_t, uint64_t)>& tap);
  void progress(const Packet& p);
  nlohmann::json report_dtcp_server() const;
  // report.json's firmware part, from the firmware's own counters: the host-compiled
  // firmware's objects (host_counters) or the image's statistics record (image_counters,
  // host_report_iss.cpp, which runs the image after the run: call it after report_image).
  nlohmann::json report_accounting(const iss::FirmwareCounters& c) const;
  void report_firmware(nlohmann::json& r, nlohmann::json& drops, const iss::FirmwareCounters& c) const;
  iss::FirmwareCounters host_counters() const;
  iss::FirmwareCounters image_counters() const;
  // Everything report.json takes from the firmware's counters (either build), and the
  // scoreboard's copy-drop totals from them.
  void report_counters(nlohmann::json& r, nlohmann::json& drops) const;
  // Image mode: what the card and the testbench saw, and `iss` (what the code cost).
  void report_image(nlohmann::json& r, nlohmann::json& drops) const;
  std::map<std::string, uint64_t> image_copy_drops() const { return image_drops; }
  std::map<std::string, uint64_t> image_drops;  // image mode: copy drops the card reported, by reason
};

}  // namespace dfc::tb
