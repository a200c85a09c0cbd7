#include "host/serve_rx.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace dfc::tb {

namespace {

using Clock = std::chrono::steady_clock;

// The socket's `drops` column in /proc/net/udp or udp6 (matched by the socket's inode); 0 when
// it cannot be read (not Linux, no /proc).
uint64_t proc_drops(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return 0;
  for (const char* f : {"/proc/net/udp", "/proc/net/udp6"}) {
    std::ifstream in(f);
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
      std::istringstream is(line);
      std::array<std::string, 13> c;
      for (auto& x : c) is >> x;
      if (c[12].empty()) continue;
      try {
        if (std::stoull(c[9]) == st.st_ino) return std::stoull(c[12]);
      } catch (const std::exception&) {
        continue;  // a line not shaped as expected: not ours
      }
    }
  }
  return 0;
}

}  // namespace

ControlRx::ControlRx(std::vector<int> fds, int rcvbuf_request)
    : fds_(std::move(fds)), rcvbuf_(fds_.size(), 0), ovfl_(fds_.size()) {
  for (size_t i = 0; i < fds_.size(); ++i) {
    const int fd = fds_[i];
    // FORCE passes rmem_max when the process may (CAP_NET_ADMIN); otherwise the plain request
    // is capped at rmem_max by the kernel. Either way the granted size is read back.
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_request, sizeof rcvbuf_request) != 0)
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_request, sizeof rcvbuf_request);
    socklen_t l = sizeof rcvbuf_[i];
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf_[i], &l);
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof on);
    setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    ovfl_[i] = 0;
  }
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

ControlRx::~ControlRx() {
  stop();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ControlRx::start(Clock::time_point t0) {
  t0_ = t0;
  th_ = std::thread([this] { loop(); });
}

void ControlRx::stop() {
  if (!th_.joinable()) return;
  stop_ = true;
  const uint64_t one = 1;
  if (wake_fd_ >= 0 && write(wake_fd_, &one, sizeof one) < 0) {
    // The eventfd cannot be full (one write); the thread also polls with a timeout.
  }
  th_.join();
}

bool ControlRx::take(std::deque<RxDatagram>& out) {
  std::lock_guard<std::mutex> l(mu_);
  if (q_.empty()) return false;
  for (auto& d : q_) out.push_back(std::move(d));
  q_.clear();
  return true;
}

void ControlRx::wait_until(Clock::time_point deadline) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_until(l, deadline, [this] { return !q_.empty(); });
}

std::vector<uint64_t> ControlRx::kernel_drops() const {
  std::vector<uint64_t> d(fds_.size());
  for (size_t i = 0; i < fds_.size(); ++i) d[i] = std::max<uint64_t>(ovfl_[i].load(), proc_drops(fds_[i]));
  return d;
}

void ControlRx::loop() {
  std::vector<pollfd> p;
  for (int fd : fds_) p.push_back({fd, POLLIN, 0});
  p.push_back({wake_fd_, POLLIN, 0});
  while (!stop_) {
    // The timeout only bounds how long a missed wake-up could keep the thread alive.
    if (poll(p.data(), p.size(), 200) < 0 && errno != EINTR) break;
    for (size_t i = 0; i < fds_.size(); ++i)
      if (p[i].revents & (POLLIN | POLLERR)) drain(i);  // a read clears a pending socket error
  }
}

// Every datagram queued on socket i, without blocking, each with its kernel receive time.
void ControlRx::drain(size_t i) {
  // On the heap: drain_now() runs on a SystemC thread's small stack.
  std::vector<char> buf(65536);
  alignas(cmsghdr) std::array<char, 256> ctl;
  std::deque<RxDatagram> got;
  for (;;) {
    RxDatagram d;
    iovec iov{buf.data(), buf.size()};
    msghdr m{};
    m.msg_name = &d.from;
    m.msg_namelen = sizeof d.from;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.data();
    m.msg_controllen = ctl.size();
    const ssize_t n = recvmsg(fds_[i], &m, MSG_DONTWAIT);
    if (n < 0) break;  // EAGAIN: drained (or an error poll reports again)
    const Clock::time_point mono = Clock::now();
    timespec real_now{};
    clock_gettime(CLOCK_REALTIME, &real_now);
    Clock::time_point at = mono;
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != SOL_SOCKET) continue;
      if (c->cmsg_type == SO_RXQ_OVFL) {
        uint32_t v = 0;
        std::memcpy(&v, CMSG_DATA(c), sizeof v);
        ovfl_[i] = v;
      } else if (c->cmsg_type == SO_TIMESTAMPNS) {
        timespec ts{};
        std::memcpy(&ts, CMSG_DATA(c), sizeof ts);
        // The kernel stamps with the real-time clock: its age now, taken off the steady clock.
        const int64_t age_ns = (int64_t(real_now.tv_sec) - ts.tv_sec) * 1'000'000'000 + (real_now.tv_nsec - ts.tv_nsec);
        if (age_ns > 0 && age_ns < 10'000'000'000) at = mono - std::chrono::nanoseconds(age_ns);
      }
    }
    d.port = i;
    d.from_len = m.msg_namelen;
    d.bytes.assign(buf.data(), static_cast<size_t>(n));
    const auto since = std::chrono::duration_cast<std::chrono::nanoseconds>(at - t0_).count();
    d.t_ps = since > 0 ? static_cast<uint64_t>(since) * 1000 : 0;
    got.push_back(std::move(d));
    ++received_;
  }
  if (got.empty()) return;
  {
    std::lock_guard<std::mutex> l(mu_);
    for (auto& d : got) q_.push_back(std::move(d));
    peak_ = std::max<uint64_t>(peak_.load(), q_.size());
  }
  cv_.notify_all();
}

}  // namespace dfc::tb
