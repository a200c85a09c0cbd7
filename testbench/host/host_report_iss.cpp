// report.json when the card runs the firmware image (docs/iss.md): the firmware's counters stay
// inside the image, so the report has what the card and the testbench saw, and `iss`: what the
// code cost, measured by the instruction-set simulators.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "host/host_impl.hpp"
#include "iss/elf_image.hpp"

namespace dfc::tb {
using nlohmann::json;

namespace {

constexpr size_t kTopFunctions = 25;

// The kTopFunctions functions of a profile with the most instructions, most first: each one's
// instructions, share of total, calls and, for a path's passes, instructions per packet.
json top_functions(const std::vector<std::string>& names, const iss::MipsIss::Profile& prof, uint64_t total,
                   uint64_t packets) {
  const std::vector<uint64_t>& v = prof.instructions;
  std::vector<size_t> order;
  for (size_t i = 0; i < v.size() && i < names.size(); ++i)
    if (v[i]) order.push_back(i);
  const size_t n = std::min(order.size(), kTopFunctions);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(n), order.end(),
                    [&v](size_t a, size_t b) { return v[a] != v[b] ? v[a] > v[b] : a < b; });
  json out = json::array();
  for (size_t k = 0; k < n; ++k) {
    const size_t i = order[k];
    json f = {{"function", names[i]}, {"instructions", v[i]}, {"share", total ? double(v[i]) / double(total) : 0.0},
              {"calls", i < prof.calls.size() ? prof.calls[i] : 0}};
    if (packets) f["per_packet"] = double(v[i]) / double(packets);
    out.push_back(f);
  }
  return out;
}

// iss.functions (shares of every instruction from time 0) and iss.functions_per_path (shares of
// the path's passes): where the image spends its instructions (docs/iss.md).
void profile_json(const model::IssCard& ic, json& out) {
  const std::vector<std::string>& names = ic.iss().profile_functions();
  const iss::MipsIss::Profile all = ic.function_totals();
  out["functions"] = top_functions(names, all, all.total(), 0);
  const model::IssCard::PathStats& p = ic.paths();
  json per_path = json::object();
  auto path = [&](const char* key, const iss::MipsIss::Profile& v, uint64_t packets) {
    const uint64_t total = v.total();
    per_path[key] = {{"packets", packets}, {"instructions", total}, {"functions", top_functions(names, v, total, packets)}};
  };
  path("hit", p.hit.functions, p.hit.packets);
  path("miss", p.miss.functions, p.miss.packets);
  path("copy", p.copy.functions, p.copy.packets);
  path("dtcp", p.dtcp.functions, p.dtcp.packets);
  path("other", p.other.functions, p.other.packets);
  path("frameless", ic.frameless_functions(), 0);  // passes that took no frame: timers, polls
  for (const auto& [key, x] : {std::pair<const char*, const model::IssCard::Path*>{"hit", &p.hit}, {"miss", &p.miss},
                               {"copy", &p.copy}, {"dtcp", &p.dtcp}, {"other", &p.other}})
    per_path[key]["max_per_packet"] = x->max;
  out["functions_per_path"] = per_path;
}

json iss_json(const model::Card& card, const model::CardStats& cs, double core_hz) {
  const model::IssCard& ic = *card.image();
  const iss::MipsIss& e = ic.iss();
  json threads = json::array();
  uint64_t instructions = 0, loads = 0, stores = 0;
  size_t ctx = 0;
  for (const model::CoreStalls& core : cs.stalls)
    for (const model::StallTimes& t : core.threads) {
      if (ctx >= e.contexts()) break;
      const auto c = ic.since_boot(static_cast<unsigned>(ctx));
      // Cycles: the thread's busy time (issuing, or stalled on memory, a lock or the classifier)
      // at the core clock.
      const uint64_t busy_ps = t.compute_ps + t.memory_ps + t.lock_ps + t.classifier_ps;
      threads.push_back({{"thread", ctx}, {"instructions", c.instructions},
                         {"cycles", static_cast<uint64_t>(double(busy_ps) * core_hz / 1e12)}, {"loads", c.loads},
                         {"stores", c.stores}});
      instructions += c.instructions, loads += c.loads, stores += c.stores;
      ++ctx;
    }
  const model::IssCard::PathStats& p = ic.paths();
  auto mean = [](const model::IssCard::Path& x) {
    return x.packets ? json(double(x.instructions) / double(x.packets)) : json(nullptr);
  };
  json per_path = {{"hit", mean(p.hit)}, {"miss", mean(p.miss)}, {"copy", mean(p.copy)}, {"dtcp", mean(p.dtcp)},
                   {"other", mean(p.other)}};
  json packets = {{"hit", p.hit.packets}, {"miss", p.miss.packets}, {"copy", p.copy.packets},
                  {"dtcp", p.dtcp.packets}, {"other", p.other.packets}};
  // The work the image declared and what its frames took (`dfcsim calibrate` sums these).
  const model::IssCard::WorkFit& f = ic.work_fit();
  json kinds = json::array(), units = json::array(), xty = json::array(), xtx = json::array();
  for (size_t i = 0; i < model::IssCard::kKinds; ++i) {
    kinds.push_back(model::CardProfile::work_key(static_cast<Hal::Work>(i)));
    units.push_back(f.units[i]);
    xty.push_back(f.xty[i]);
    json row = json::array();
    for (size_t j = 0; j < model::IssCard::kKinds; ++j) row.push_back(f.xtx[i][j]);
    xtx.push_back(row);
  }
  const json work = {{"frames", f.frames}, {"kinds", kinds}, {"units", units}, {"xtx", xtx}, {"xty", xty}, {"yty", f.yty}};
  const iss::MipsIss::Stats& st = e.stats();
  uint64_t boot = 0;
  for (unsigned c = 0; c < e.contexts(); ++c) boot += ic.boot_counters(c).instructions;
  json out = {{"isa", "mips32r2 big-endian (24Kf, Unicorn " + iss::MipsIss::engine_version() + ")"},
          {"image", ic.image().path()},
          {"instructions", instructions},  // from time 0; the boot (before time 0) apart
          {"boot_instructions", boot},
          {"loads", loads},
          {"stores", stores},
          {"threads", threads},
          {"per_path", per_path},
          {"per_path_packets", packets},
          {"work", work},
          {"engine", {{"emu_starts", st.emu_starts}, {"device_blocks", st.device_blocks},
                      {"hooked_instructions", st.hooked_instructions}}},
          {"console", ic.console()}};
  profile_json(ic, out);
  return out;
}

}  // namespace

void Host::Impl::report_image(json& r, json& drops) const {
  const model::CardStats& cs = card->stats();
  r["bytes_in"] = monitored_bytes;
  for (const auto& [why, n] : image_drops) drops[why] = n;
  r["drops"] = drops;
  uint64_t copies = 0;
  json per_dest = json::object();
  for (const auto& [id, w] : writers) {
    copies += copies_written.at(id);
    per_dest[id] = {{"copies", copies_written.at(id)}, {"pcap", w->path()}};
  }
  r["copies_sent"] = copies;  // the copies that left the card
  r["copies_per_destination"] = per_dest;
  r["classifier"] = {{"implementation", cls_name}, {"depth", prof.classifier_depth}, {"lookups", cs.bus_transactions}};
  r["iss"] = iss_json(*card, cs, prof.core_hz);
}

iss::FirmwareCounters Host::Impl::image_counters() const {
  return card->image()->collect_stats();
}

}  // namespace dfc::tb
