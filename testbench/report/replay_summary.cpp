#include "report/replay_summary.hpp"

#include <cstdio>

namespace dfc::tb {

namespace {
std::string si(double v, const char* unit) {
  const char* p[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (v >= 999.95 && i < 4) v /= 1000, ++i;  // (%.4g would print 999.99995 as "1000")
  char b[48];
  std::snprintf(b, sizeof b, "%.4g %s%s", v, p[i], unit);
  return b;
}

std::string seconds(double s) {
  if (s >= 1) return si(s, "s");
  char b[32];
  if (s >= 1e-3) std::snprintf(b, sizeof b, "%.4g ms", s * 1e3);
  else std::snprintf(b, sizeof b, "%.4g us", s * 1e6);
  return b;
}
std::string multiple(double m) {
  char b[48];
  std::snprintf(b, sizeof b, "%.4gx the capture's rate", m);
  return b;
}
}  // namespace

nlohmann::json replay_json(const ReplayFigures& f) {
  nlohmann::json r;
  nlohmann::json req = {{"timing", f.timing}};
  if (f.timing == "pps") req["pps"] = f.requested_pps;
  if (f.timing == "mbps") req["mbps"] = f.requested_mbps;
  if (f.timing == "multiplier") req["multiplier"] = f.multiplier;
  r["requested"] = req;
  r["packets"] = f.packets;
  r["bytes"] = f.bytes;
  const double span = f.last_arrival_ps > f.first_arrival_ps ? double(f.last_arrival_ps - f.first_arrival_ps) / 1e12 : 0;
  r["span_s"] = span;
  // Rates between the first and the last arrival: n - 1 gaps, and the bytes of all but the
  // first packet (the first one's bytes arrived before the span starts).
  const double per_packet = f.packets ? double(f.bytes) / double(f.packets) : 0;
  const double pps = span > 0 && f.packets > 1 ? double(f.packets - 1) / span : 0;
  r["actual_pps"] = pps;
  r["actual_mbps"] = pps * per_packet * 8 / 1e6;
  r["line_bps"] = f.ingress_bps;
  // Held back: asked for more than arrived (1 % for rounding), or line rate asked outright.
  bool limited = f.timing == "line-rate";
  if (f.timing == "pps" && pps > 0) limited = f.requested_pps > pps * 1.01;
  if (f.timing == "mbps" && pps > 0) limited = f.requested_mbps > pps * per_packet * 8 / 1e6 * 1.01;
  r["limited_by_line"] = limited;
  return r;
}

std::string replay_line(const nlohmann::json& r) {
  const nlohmann::json& q = r["requested"];
  const std::string timing = q["timing"].get<std::string>();
  std::string asked = timing == "pps"          ? si(q["pps"].get<double>(), "pps")
                      : timing == "mbps"       ? si(q["mbps"].get<double>() * 1e6, "b/s")
                      : timing == "multiplier" ? multiple(q["multiplier"].get<double>())
                      : timing == "line-rate"  ? std::string("line rate")
                                               : std::string("the capture's timing");
  while (!asked.empty() && asked.back() == ' ') asked.pop_back();
  std::string s = "replay: " + std::to_string(r["packets"].get<uint64_t>()) + " packets, " +
                  std::to_string(r["bytes"].get<uint64_t>()) + " bytes in " + seconds(r["span_s"].get<double>()) +
                  ": asked " + asked + ", actual " + si(r["actual_pps"].get<double>(), "pps") + " (" +
                  si(r["actual_mbps"].get<double>() * 1e6, "b/s") + ")";
  if (r["limited_by_line"].get<bool>())
    s += "; held back by the ingress line (" + si(r["line_bps"].get<double>(), "b/s") +
         "): packets arrived back to back";
  return s;
}

}  // namespace dfc::tb
