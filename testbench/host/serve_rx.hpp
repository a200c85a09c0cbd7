// `dfcsim serve`'s control receive thread: it drains the service-port sockets as datagrams
// arrive, whatever the card model is doing, so that a burst of requests waits in memory rather
// than overflowing the kernel's socket buffer while the model is busy.
//  * Each datagram carries the kernel's receive time (SO_TIMESTAMPNS, converted to the steady
//    clock), so its arrival time is right even when this thread was scheduled late.
//  * The receive buffers are enlarged (SO_RCVBUFFORCE when permitted, else SO_RCVBUF up to the
//    kernel's rmem_max); what the kernel granted is reported (rcvbuf_bytes).
//  * Datagrams the kernel dropped because a buffer was full are counted: SO_RXQ_OVFL (the
//    socket's cumulative drop counter, delivered with each datagram) and, at the end, the
//    socket's `drops` column of /proc/net/udp{,6} (drops after the last datagram received).
#pragma once
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace dfc::tb {

struct RxDatagram {
  size_t port = 0;        // index into the fds given to ControlRx
  std::string bytes;
  sockaddr_storage from{};  // the sender
  socklen_t from_len = 0;
  uint64_t t_ps = 0;      // kernel receive time, picoseconds since the start (start())
};

class ControlRx {
 public:
  // fds: bound UDP sockets, owned by the caller and open until this is destroyed. Their receive
  // buffers are enlarged to rcvbuf_request bytes (as far as the kernel allows) here.
  ControlRx(std::vector<int> fds, int rcvbuf_request);
  ~ControlRx();
  ControlRx(const ControlRx&) = delete;
  ControlRx& operator=(const ControlRx&) = delete;

  // Starts the thread; times are measured from t0.
  void start(std::chrono::steady_clock::time_point t0);
  void stop();
  // Moves every queued datagram to the back of out; false when there was none.
  bool take(std::deque<RxDatagram>& out);
  // Reads every datagram already in the sockets' buffers, in the calling thread, into the queue:
  // the caller is about to declare that nothing arrived before now, and the receive thread may
  // not have run since (two busy cores).
  void drain_now() {
    for (size_t i = 0; i < fds_.size(); ++i) drain(i);
  }
  // Blocks until a datagram is queued or the deadline passes.
  void wait_until(std::chrono::steady_clock::time_point deadline);

  // Receive buffer per socket as the kernel reports it (SO_RCVBUF: the kernel doubles the
  // request for its bookkeeping, so this is the usable size times about two).
  const std::vector<int>& rcvbuf_bytes() const { return rcvbuf_; }
  // Datagrams the kernel dropped on these sockets (full buffer), per socket.
  std::vector<uint64_t> kernel_drops() const;
  uint64_t received() const { return received_.load(); }
  uint64_t queue_peak() const { return peak_.load(); }

 private:
  void loop();
  void drain(size_t i);

  std::vector<int> fds_;
  std::vector<int> rcvbuf_;
  std::vector<std::atomic<uint64_t>> ovfl_;  // SO_RXQ_OVFL, latest value per socket
  int wake_fd_ = -1;                         // eventfd: stop()
  std::chrono::steady_clock::time_point t0_;
  std::thread th_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<RxDatagram> q_;
  std::atomic<uint64_t> received_{0}, peak_{0};
  std::atomic<bool> stop_{false};
};

}  // namespace dfc::tb
