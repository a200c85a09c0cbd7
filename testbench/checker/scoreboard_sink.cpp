// The scoreboard behind the CheckerSink interface (checker_sink.hpp), online.
#include <sstream>

#include "checker/checker_sink.hpp"
#include "checker/scoreboard.hpp"

namespace dfc::tb {
namespace {
using nlohmann::json;

class ScoreboardSink : public CheckerSink {
 public:
  // c: read from the configuration text by the scoreboard's own reader (make_scoreboard_sink,
  // not the firmware's parser). Online: each packet is checked once later arrivals pass it by
  // the lag, and forgotten (docs/scoreboard.md).
  explicit ScoreboardSink(const ScoreboardConfig& c) : sb_(c) {
    sb_.set_online(2 * c.timeout_window_ps + c.install_slack_ps);
  }
  void on_request(uint64_t t, const std::string& cs, const std::string& b) override { sb_.on_request(t, cs, b); }
  void on_request_taken(uint64_t t, const std::string& cs, const std::string& b, uint64_t taken) override {
    sb_.on_request_taken(t, cs, b, taken);
  }
  void on_request_dropped(uint64_t t, const std::string& cs, const std::string& b, const std::string& why) override {
    sb_.on_request_dropped(t, cs, b, why);
  }
  void on_reply(uint64_t t, const std::string& cs, const std::string& b) override { sb_.on_reply(t, cs, b); }
  void on_notification(uint64_t t, const std::string& cs, const std::string& b) override {
    sb_.on_notification(t, cs, b);
  }
  void on_packet(const Packet& p, uint64_t t_taken, uint64_t t_done) override { sb_.on_packet(p, t_taken, t_done); }
  void on_packet_dropped(uint64_t id, const std::string& why) override { sb_.on_packet_dropped(id, why); }
  void on_copy(const Packet& c, uint64_t t) override { sb_.on_copy(c, t); }
  void on_copy_dropped(const Packet& c, const std::string& why) override { sb_.on_copy_dropped(c, why); }
  void on_copy_drops(const std::map<std::string, uint64_t>& d) override { sb_.on_copy_drops(d); }
  void on_end(uint64_t t) override { sb_.on_end(t); }
  json finish() override {
    const Scoreboard::Result r = sb_.finish();
    std::ostringstream s;
    s << (r.pass ? "PASS" : "FAIL") << " (" << r.matched_copies << " copies checked, " << r.missing_copies
      << " missing, " << r.unexpected_copies << " unexpected, " << r.explained_missing
      << " explained by counted drops";
    if (r.dropped_requests) s << "; " << r.dropped_requests << " DTCP request(s) dropped at ingress, not judged";
    s << ")";
    json errs = json::array();
    for (size_t i = 0; i < r.errors.size() && i < 5; ++i) errs.push_back(r.errors[i]);
    return {{"scoreboard", r.to_json()}, {"coverage", r.coverage}, {"pass", r.pass}, {"summary", s.str()},
            {"errors", errs}};
  }

 private:
  Scoreboard sb_;
};

}  // namespace

std::unique_ptr<CheckerSink> make_scoreboard_sink(const std::string& config_text, uint64_t install_slack_ps,
                                                  uint64_t classifier_depth) {
  ScoreboardConfig c = ScoreboardConfig::parse(config_text);
  c.install_slack_ps = install_slack_ps;
  c.classifier_depth = classifier_depth;
  return std::make_unique<ScoreboardSink>(c);
}

}  // namespace dfc::tb
