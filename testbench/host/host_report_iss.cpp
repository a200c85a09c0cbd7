// report.json when the card runs the firmware image (docs/iss.md): the firmware's counters stay
// inside the image, so the report has what the card and the testbench saw, and `iss`: what the
// code cost, measured by the instruction-set simulators.
#include "host/host_impl.hpp"
#include "iss/elf_image.hpp"

namespace dfc::tb {
using nlohmann::json;

namespace {

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
  return {{"isa", "mips32r2 big-endian (24Kf, Unicorn " + iss::MipsIss::engine_version() + ")"},
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

}  // namespace dfc::tb
