#include "hil_fixture.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "common/file.hpp"
#include "stimulus/pcap_io.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace dfc::hil {

using Clock = std::chrono::steady_clock;

Proc spawn(const std::vector<std::string>& argv, const fs::path& dir, const std::string& tag,
           const std::map<std::string, std::string>& env) {
  Proc p;
  p.out_path = (dir / (tag + ".out")).string();
  p.err_path = (dir / (tag + ".err")).string();
  p.pid = fork();
  if (p.pid == 0) {
    const int o = ::open(p.out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int e = ::open(p.err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(o, 1), dup2(e, 2);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    if (!env.count("DTCP_KEY")) unsetenv("DTCP_KEY");
    setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execv(a[0], a.data());
    _exit(127);
  }
  return p;
}

int wait_for(Proc& p, double seconds) {
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  for (;;) {
    int st = 0;
    const pid_t r = waitpid(p.pid, &st, WNOHANG);
    if (r == p.pid) {
      p.pid = -1;
      return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    }
    if (Clock::now() >= end) {
      kill(p.pid, SIGKILL);
      waitpid(p.pid, &st, 0);
      p.pid = -1;
      return -1000;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string slurp(const std::string& path) { return common::read_file_or_empty(path); }

bool wait_file_contains(const std::string& path, const std::string& what, double seconds) {
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    if (slurp(path).find(what) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

int udp_socket(uint16_t port, uint16_t* bound) {
  const int s = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(s);
    return -1;
  }
  if (bound) {
    socklen_t l = sizeof a;
    getsockname(s, reinterpret_cast<sockaddr*>(&a), &l);
    *bound = ntohs(a.sin_port);
  }
  return s;
}

uint16_t free_udp_port() {
  uint16_t p = 0;
  const int s = udp_socket(0, &p);
  close(s);
  return p;
}

bool recv_timeout(int s, std::string& data, sockaddr_in& from, int ms) {
  pollfd pfd{s, POLLIN, 0};
  if (poll(&pfd, 1, ms) <= 0) return false;
  char buf[65536];
  socklen_t l = sizeof from;
  const ssize_t n = recvfrom(s, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &l);
  if (n < 0) return false;
  data.assign(buf, static_cast<size_t>(n));
  return true;
}

void send_to(int s, const std::string& data, const sockaddr_in& to) {
  sendto(s, data.data(), data.size(), 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
}

uint64_t pcap_records(const std::string& path) {
  dfc::tb::PcapReader r(path);
  dfc::Packet p;
  uint64_t t = 0, n = 0;
  while (r.next(p, t)) ++n;
  return n;
}

void Hil::SetUp() {
  dir_ = fs::temp_directory_path() /
         ("dfc-hil-" + std::to_string(getpid()) + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  key_file_ = (dir_ / "key").string();
  std::ofstream(key_file_) << kKey << "\n";
  seq_file_ = (dir_ / "cs1.seq").string();
}

void Hil::TearDown() {
  for (auto& p : procs_)
    if (p.pid > 0) {
      kill(p.pid, SIGTERM);
      wait_for(p, 5);
    }
  if (!HasFailure()) fs::remove_all(dir_);
}

void Hil::write_config() {
  const std::string conf = R"(services {
  dynamic-flow-capture {
    capture-group g1 {
      interfaces dfc-0/0/0;
      control-source cs1 {
        source-addresses 10.36.41.1;
        service-port )" + std::to_string(service_port_) +
                           R"(;
        notification-targets { 127.0.0.1 port )" +
                           std::to_string(notify_port_) + R"(; }
        shared-key ")" + kKey + R"(";
      }
      content-destination cd1 { address 10.36.70.2; ttl 244; }
    }
  }
}
)";
  std::ofstream((dir_ / "dfc.conf").string()) << conf;
}

void Hil::start_serve(const std::vector<std::string>& extra) {
  service_port_ = free_udp_port();
  notify_port_ = free_udp_port();
  write_config();
  std::vector<std::string> argv = {DFCSIM_BIN, "serve", "--config", (dir_ / "dfc.conf").string(), "--out",
                                   (dir_ / "out").string(), "--duration", "60"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  procs_.push_back(spawn(argv, dir_, "serve"));
  serve_ = procs_.size() - 1;
  ASSERT_TRUE(wait_file_contains(procs_[serve_].out_path, "dfcsim serve: ready", 15))
      << slurp(procs_[serve_].out_path) << slurp(procs_[serve_].err_path);
}

json Hil::stop_serve() {
  kill(procs_[serve_].pid, SIGTERM);
  const int rc = wait_for(procs_[serve_], 10);
  EXPECT_EQ(rc, 0) << slurp(procs_[serve_].err_path);
  EXPECT_NE(slurp(procs_[serve_].out_path).find("stopped (SIGTERM)"), std::string::npos);
  std::ifstream f(dir_ / "out" / "report.json");
  EXPECT_TRUE(f.good()) << "no report.json";
  if (!f) return json::object();
  return json::parse(f);
}

std::vector<std::string> Hil::ctl_args(const std::vector<std::string>& args, bool with_key) {
  std::vector<std::string> a = {DTCPCTL_BIN, "--server", "127.0.0.1:" + std::to_string(service_port_),
                                "--csource", "cs1", "--seq-file", seq_file_, "--timeout", "1", "--retries", "1"};
  if (with_key) a.insert(a.end(), {"--key-file", key_file_});
  a.insert(a.end(), args.begin(), args.end());
  return a;
}

Result Hil::run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                double seconds) {
  Proc p = spawn(argv, dir_, "cmd" + std::to_string(++runs_), env);
  Result r;
  r.rc = wait_for(p, seconds);
  r.out = slurp(p.out_path);
  r.err = slurp(p.err_path);
  return r;
}

}  // namespace dfc::hil
