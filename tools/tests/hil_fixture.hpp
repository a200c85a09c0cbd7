// The hardware-in-the-loop tests' fixture (test_serve_*.cpp, test_dtcpctl_*.cpp,
// test_dissector.cpp): processes spawned with their output in files, loopback UDP sockets, and
// `dfcsim serve` started on fresh ports with a one-source configuration.
// Every test binds fresh loopback ports, every wait is bounded, every spawned process is
// ended (SIGTERM, then SIGKILL) by the fixture.
#pragma once
#include <netinet/in.h>
#include <sys/types.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dfc::hil {

namespace fs = std::filesystem;
using nlohmann::json;

inline const char* kKey = "hil-test-key";

// ---- processes ---------------------------------------------------------------------------------
struct Proc {
  pid_t pid = -1;
  std::string out_path, err_path;
};

// Starts argv with stdout/stderr in DIR/TAG.out and DIR/TAG.err; DTCP_KEY unset unless in env.
Proc spawn(const std::vector<std::string>& argv, const fs::path& dir, const std::string& tag,
           const std::map<std::string, std::string>& env = {});
// Exit code (or -signal); -1000 when it did not end in time (then killed).
int wait_for(Proc& p, double seconds);
std::string slurp(const std::string& path);  // "" when it cannot be read
bool wait_file_contains(const std::string& path, const std::string& what, double seconds);

struct Result {
  int rc;
  std::string out, err;
};

// ---- sockets -----------------------------------------------------------------------------------
int udp_socket(uint16_t port, uint16_t* bound = nullptr);  // bound on 127.0.0.1; -1 on failure
uint16_t free_udp_port();
bool recv_timeout(int s, std::string& data, sockaddr_in& from, int ms);
void send_to(int s, const std::string& data, const sockaddr_in& to);

uint64_t pcap_records(const std::string& path);

// ---- fixture -----------------------------------------------------------------------------------
class Hil : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Writes DIR/dfc.conf: one control source cs1 (source-address 10.36.41.1) on service_port_,
  // notifications to 127.0.0.1:notify_port_, one content destination cd1.
  void write_config();
  // Starts `dfcsim serve` on fresh loopback ports; waits for its ready line.
  void start_serve(const std::vector<std::string>& extra = {});
  // SIGTERM to serve; returns its report.
  json stop_serve();

  std::vector<std::string> ctl_args(const std::vector<std::string>& args, bool with_key = true);
  Result run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {},
             double seconds = 15);
  Result ctl(const std::vector<std::string>& args) { return run(ctl_args(args)); }

  fs::path dir_;
  std::string key_file_, seq_file_;
  std::vector<Proc> procs_;
  size_t serve_ = 0;
  uint16_t service_port_ = 0, notify_port_ = 0;
  int runs_ = 0;
};

}  // namespace dfc::hil
