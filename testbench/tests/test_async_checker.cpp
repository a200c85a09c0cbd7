// The checker on its own thread must hand the wrapped checker exactly the calls, in exactly
// the order, that it would get inline; and a failure inside it must reach finish().
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "checker/async_checker.hpp"

namespace dfc::tb {
namespace {

// Writes every call as one line (all arguments), so that two streams compare as strings.
class Recorder : public CheckerSink {
 public:
  explicit Recorder(std::vector<std::string>* log, uint64_t throw_on_packet = 0)
      : log_(log), throw_on_(throw_on_packet) {}
  void on_request(uint64_t t, const std::string& cs, const std::string& b) override { add("req", t, cs + "|" + b); }
  void on_request_dropped(uint64_t t, const std::string& cs, const std::string& b, const std::string& why) override {
    add("rdrop", t, cs + "|" + b + "|" + why);
  }
  void on_reply(uint64_t t, const std::string& cs, const std::string& b) override { add("rep", t, cs + "|" + b); }
  void on_notification(uint64_t t, const std::string& cs, const std::string& b) override {
    add("ntf", t, cs + "|" + b);
  }
  void on_packet(const Packet& p, uint64_t a, uint64_t b) override {
    if (throw_on_ && p.id == throw_on_) throw std::runtime_error("checker failed on packet " + std::to_string(p.id));
    add("pkt", a, pkt(p) + "|" + std::to_string(b));
  }
  void on_packet_dropped(uint64_t id, const std::string& why) override { add("drop", id, why); }
  void on_copy(const Packet& c, uint64_t t) override { add("copy", t, pkt(c)); }
  void on_copy_dropped(const Packet& c, const std::string& why) override { add("cdrop", 0, pkt(c) + "|" + why); }
  void on_copy_drops(const std::map<std::string, uint64_t>& d) override {
    std::string s;
    for (const auto& [k, n] : d) s += k + "=" + std::to_string(n) + ",";
    add("drops", 0, s);
  }
  void on_end(uint64_t t) override { add("end", t, ""); }
  nlohmann::json finish() override { return {{"calls", log_->size()}}; }

 private:
  static std::string pkt(const Packet& p) {
    std::string s = std::to_string(p.id) + "@" + std::to_string(p.t_arrival_ps) + ":" + p.cdest_id + ":";
    for (uint8_t b : p.data) s += std::to_string(b) + ".";
    return s;
  }
  void add(const char* k, uint64_t t, const std::string& rest) {
    log_->push_back(std::string(k) + " " + std::to_string(t) + " " + rest);
  }
  std::vector<std::string>* log_;
  uint64_t throw_on_;
};

// A mixed stream whose packets differ in length, so that reused buffers must be resized.
void feed(CheckerSink& s, int n) {
  for (int i = 1; i <= n; ++i) {
    if (i % 50 == 1) s.on_request(uint64_t(i) * 10, "cs" + std::to_string(i % 3), "ADD #" + std::to_string(i));
    if (i % 150 == 1) s.on_request_dropped(uint64_t(i) * 10, "cs" + std::to_string(i % 3), "ADD #" + std::to_string(i),
                                           i % 300 == 1 ? "rx_ring_full" : "ingress_buffer_full");
    Packet p;
    p.id = uint64_t(i);
    p.t_arrival_ps = uint64_t(i) * 100;
    p.data.assign(size_t(i % 37 + 1), uint8_t(i));
    s.on_packet(p, p.t_arrival_ps + 1, p.t_arrival_ps + 7);
    if (i % 7 == 0) {
      Packet c = p;
      c.cdest_id = "cd" + std::to_string(i % 2);
      s.on_copy(c, p.t_arrival_ps + 5);
    }
    if (i % 11 == 0) s.on_packet_dropped(p.id, "ingress_buffer_full");
    if (i % 13 == 0) s.on_copy_dropped(p, "tx_queue_full");
    if (i % 17 == 0) s.on_reply(uint64_t(i) * 10 + 3, "cs1", "DTCP/0.7 200 OK");
    if (i % 19 == 0) s.on_notification(uint64_t(i) * 10 + 4, "cs2", "DTCP/0.7 390 Timeout");
  }
  s.on_copy_drops({{"copies_max_duplicates", 4}, {"copies_tx_queue_full", 2}});
  s.on_end(uint64_t(n) * 100 + 1000);
}

TEST(AsyncChecker, HandsOnEveryCallInOrder) {
  std::vector<std::string> direct, threaded;
  Recorder r(&direct);
  feed(r, 2000);
  // tiny batches and two in flight: the caller must wait for the worker many times
  auto a = make_async_checker(std::make_unique<Recorder>(&threaded), 3, 2);
  feed(*a, 2000);
  const nlohmann::json j = a->finish();
  EXPECT_EQ(j["calls"], direct.size());
  ASSERT_EQ(threaded.size(), direct.size());
  for (size_t i = 0; i < direct.size(); ++i) ASSERT_EQ(threaded[i], direct[i]) << "call " << i;
}

TEST(AsyncChecker, AFailureInsideTheCheckerReachesFinish) {
  std::vector<std::string> log;
  auto a = make_async_checker(std::make_unique<Recorder>(&log, 1234), 16, 2);
  feed(*a, 2000);  // must not block although the worker has stopped checking
  EXPECT_THROW(
      {
        try {
          a->finish();
        } catch (const std::runtime_error& e) {
          EXPECT_NE(std::string(e.what()).find("packet 1234"), std::string::npos);
          throw;
        }
      },
      std::runtime_error);
  EXPECT_LT(log.size(), 2000u * 2);  // the calls after the failure were not checked
}

TEST(AsyncChecker, DestroyedWithoutFinishJoinsCleanly) {
  std::vector<std::string> log;
  {
    auto a = make_async_checker(std::make_unique<Recorder>(&log), 8, 2);
    feed(*a, 100);
  }
  EXPECT_FALSE(log.empty());
}

}  // namespace
}  // namespace dfc::tb
