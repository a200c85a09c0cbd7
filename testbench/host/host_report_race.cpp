// report.json `race_check` and `races` (docs/race-check.md): what the card's race checker saw,
// with each race's address named (a symbol of the firmware, or the heap block it is in) and its
// two accesses' threads, times, kinds and code locations.
#include "host/host_report_race.hpp"

#include <sstream>

#include "card.hpp"
#include "race/symbolize.hpp"

namespace dfc::tb {

namespace {

using json = nlohmann::json;

// The summary's short form of a C++ name: template arguments elided ("std::_Hashtable<...>::size()").
std::string brief(const std::string& name) {
  std::string out;
  int depth = 0;
  for (char ch : name) {
    if (ch == '<' && depth++ == 0) out += "<...";
    if (depth == 0) out += ch;
    if (ch == '>' && depth > 0 && --depth == 0) out += '>';
  }
  return out;
}

}  // namespace

json race_report(const model::Card& card) {
  const race::Detector* d = card.race();
  if (!d) return json();
  const model::IssCard* image = card.image();
  std::vector<uint64_t> pcs, addrs;
  for (const race::Race& r : d->races()) {
    pcs.push_back(r.first.pc);
    pcs.push_back(r.second.pc);
    addrs.push_back(r.address);
  }
  // Host mode names what the dfcsim-race executable holds; image mode what the ELF holds.
  std::unique_ptr<race::HostSymbols> host;
  // (Only when there is something to name: it reads the executable's symbol table.)
  if (!image && !d->races().empty()) host = std::make_unique<race::HostSymbols>(pcs, addrs);
  const auto code = [&](uint64_t pc) { return image ? image->code_location(pc) : host->code(pc); };
  const auto data = [&](uint64_t a) { return image ? image->data_symbol(a) : host->data(a); };
  json races = json::array();
  for (const race::Race& r : d->races()) {
    json acc = json::array();
    for (const race::Access* a : {&r.first, &r.second})
      acc.push_back({{"thread", a->thread},
                     {"time_ps", a->time_ps},
                     {"op", a->write ? "write" : "read"},
                     {"code", code(a->pc)},
                     {"pc", race::hex(a->pc)}});
    races.push_back({{"address", race::hex(r.address)}, {"symbol", data(r.address)}, {"accesses", acc}});
  }
  json sync = json::object();
  for (size_t k = 0; k < static_cast<size_t>(race::Sync::kCount); ++k)
    sync[race::sync_name(static_cast<race::Sync>(k))] = d->sync_events(static_cast<race::Sync>(k));
  json rc = {{"mode", image ? "image" : "host"},
             {"threads", d->threads()},
             {"accesses", d->accesses()},
             // Reads inside sequence-lock attempts (Hal::race_hint): validated, not checked.
             {"unchecked_reads", image ? image->race_hinted_reads() : d->skipped_reads()},
             // Image mode: accesses the engine could not tie to an instruction of their block (their
             // code location is then the block's); 0 expected.
             {"unattributed_accesses", image ? image->iss().stats().unattributed_accesses : 0},
             {"racing_accesses", d->races_total()},
             {"races_reported", d->races().size()},
             {"sync_events", sync},
             {"checked", image ? "every load and store of the image to DRAM (LL/SC as atomics)"
                               : "every load and store of the firmware library's code (GCC -fsanitize=thread "
                                 "instrumentation), std::atomic operations as atomics; not: copies done by libc "
                                 "(memcpy, memmove, memset) and the reads of sequence-lock attempts"}};
  return json{{"race_check", rc}, {"races", races}};
}

std::string race_summary(const json& report) {
  if (!report.contains("race_check")) return "";
  const json& rc = report["race_check"];
  std::ostringstream s;
  s << "  race check (" << rc["mode"].get<std::string>() << "): " << rc["accesses"].get<uint64_t>()
    << " accesses checked, " << report["races"].size() << " race(s)";
  s << "\n";
  size_t shown = 0;
  for (const json& r : report["races"]) {
    if (shown++ == 5) {
      s << "    ... (report.json races)\n";
      break;
    }
    const json& a = r["accesses"];
    s << "    " << r["address"].get<std::string>();
    if (!r["symbol"].get<std::string>().empty()) s << " (" << brief(r["symbol"].get<std::string>()) << ")";
    s << ": " << a[0]["op"].get<std::string>() << " by thread " << a[0]["thread"].get<unsigned>() << " in "
      << brief(a[0]["code"].get<std::string>()) << ", " << a[1]["op"].get<std::string>() << " by thread "
      << a[1]["thread"].get<unsigned>() << " in " << brief(a[1]["code"].get<std::string>()) << "\n";
  }
  return s.str();
}

}  // namespace dfc::tb
