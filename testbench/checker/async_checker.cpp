// The checker on its own thread (checker/async_checker.hpp).
#include "checker/async_checker.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace dfc::tb {
namespace {

// One recorded call. Kept as plain fields (not std::function) so that a recycled batch reuses
// the strings' and packets' storage: in steady state a call costs copies, not allocations.
struct Call {
  enum Kind : uint8_t {
    Request, RequestDropped, RequestTaken, Reply, Notification, PacketDone, PacketDropped, Copy, CopyDropped, CopyDrops, End
  };
  Kind kind = Request;
  uint64_t t = 0, t2 = 0;
  std::string a, b, c;
  Packet pkt;
  std::map<std::string, uint64_t> drops;
};

class AsyncChecker : public CheckerSink {
 public:
  AsyncChecker(std::unique_ptr<CheckerSink> inner, size_t batch, size_t max_batches)
      : inner_(std::move(inner)), batch_(batch ? batch : 1), max_batches_(max_batches ? max_batches : 1) {
    worker_ = std::thread([this] { work(); });
  }
  ~AsyncChecker() override { stop(); }

  void on_request(uint64_t t, const std::string& cs, const std::string& bytes) override {
    Call& c = next(Call::Request);
    c.t = t, c.a = cs, c.b = bytes;
  }
  void on_request_dropped(uint64_t t, const std::string& cs, const std::string& bytes,
                          const std::string& reason) override {
    Call& c = next(Call::RequestDropped);
    c.t = t, c.a = cs, c.b = bytes, c.c = reason;
  }
  void on_request_taken(uint64_t t, const std::string& cs, const std::string& bytes, uint64_t taken) override {
    Call& c = next(Call::RequestTaken);
    c.t = t, c.a = cs, c.b = bytes, c.t2 = taken;
  }
  void on_reply(uint64_t t, const std::string& cs, const std::string& bytes) override {
    Call& c = next(Call::Reply);
    c.t = t, c.a = cs, c.b = bytes;
  }
  void on_notification(uint64_t t, const std::string& cs, const std::string& bytes) override {
    Call& c = next(Call::Notification);
    c.t = t, c.a = cs, c.b = bytes;
  }
  void on_packet(const Packet& p, uint64_t t_taken, uint64_t t_done) override {
    Call& c = next(Call::PacketDone);
    c.pkt = p, c.t = t_taken, c.t2 = t_done;
  }
  void on_packet_dropped(uint64_t id, const std::string& reason) override {
    Call& c = next(Call::PacketDropped);
    c.t = id, c.a = reason;
  }
  void on_copy(const Packet& copy, uint64_t t) override {
    Call& c = next(Call::Copy);
    c.pkt = copy, c.t = t;
  }
  void on_copy_dropped(const Packet& copy, const std::string& reason) override {
    Call& c = next(Call::CopyDropped);
    c.pkt = copy, c.a = reason;
  }
  void on_copy_drops(const std::map<std::string, uint64_t>& by_reason) override {
    Call& c = next(Call::CopyDrops);
    c.drops = by_reason;
  }
  void on_end(uint64_t t) override { next(Call::End).t = t; }
  nlohmann::json finish() override {
    stop();
    if (error_) std::rethrow_exception(error_);
    return inner_->finish();
  }

 private:
  // Calls [0, n) are live; the others keep their storage for reuse (never cleared).
  struct Batch {
    std::vector<Call> calls;
    size_t n = 0;
  };

  Call& next(Call::Kind k) {
    if (filling_.n == batch_) hand_over();
    if (filling_.n == filling_.calls.size()) filling_.calls.emplace_back();
    Call& c = filling_.calls[filling_.n++];
    c.kind = k;
    return c;
  }
  Batch take_free() {
    Batch b;
    if (!free_.empty()) {
      b = std::move(free_.back());
      free_.pop_back();
    }
    b.n = 0;
    return b;
  }
  // Queues the batch being filled; waits while max_batches_ are queued (back-pressure).
  void hand_over() {
    std::unique_lock<std::mutex> lk(mu_);
    space_.wait(lk, [&] { return full_.size() < max_batches_ || error_; });
    full_.push_back(std::move(filling_));
    filling_ = take_free();
    ready_.notify_one();
  }
  void stop() {
    if (!worker_.joinable()) return;
    if (filling_.n) hand_over();
    {
      std::lock_guard<std::mutex> lk(mu_);
      closing_ = true;
    }
    ready_.notify_one();
    worker_.join();
  }
  void work() {
    for (;;) {
      Batch b;
      {
        std::unique_lock<std::mutex> lk(mu_);
        ready_.wait(lk, [&] { return !full_.empty() || closing_; });
        if (full_.empty()) return;
        b = std::move(full_.front());
        full_.pop_front();
      }
      space_.notify_one();
      try {
        if (!error_)
          for (size_t i = 0; i < b.n; ++i) apply(b.calls[i]);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu_);
        error_ = std::current_exception();  // rethrown by finish(); later calls are skipped
      }
      std::lock_guard<std::mutex> lk(mu_);
      free_.push_back(std::move(b));
    }
  }
  void apply(const Call& c) {
    CheckerSink& s = *inner_;
    switch (c.kind) {
      case Call::Request: s.on_request(c.t, c.a, c.b); break;
      case Call::RequestDropped: s.on_request_dropped(c.t, c.a, c.b, c.c); break;
      case Call::RequestTaken: s.on_request_taken(c.t, c.a, c.b, c.t2); break;
      case Call::Reply: s.on_reply(c.t, c.a, c.b); break;
      case Call::Notification: s.on_notification(c.t, c.a, c.b); break;
      case Call::PacketDone: s.on_packet(c.pkt, c.t, c.t2); break;
      case Call::PacketDropped: s.on_packet_dropped(c.t, c.a); break;
      case Call::Copy: s.on_copy(c.pkt, c.t); break;
      case Call::CopyDropped: s.on_copy_dropped(c.pkt, c.a); break;
      case Call::CopyDrops: s.on_copy_drops(c.drops); break;
      case Call::End: s.on_end(c.t); break;
    }
  }

  std::unique_ptr<CheckerSink> inner_;
  const size_t batch_, max_batches_;
  Batch filling_;                 // the caller's side only
  std::mutex mu_;                 // guards everything below
  std::condition_variable ready_, space_;
  std::deque<Batch> full_;
  std::vector<Batch> free_;
  bool closing_ = false;
  std::exception_ptr error_;
  std::thread worker_;
};

}  // namespace

std::unique_ptr<CheckerSink> make_async_checker(std::unique_ptr<CheckerSink> inner, size_t batch, size_t max_batches) {
  return std::make_unique<AsyncChecker>(std::move(inner), batch, max_batches);
}

}  // namespace dfc::tb
