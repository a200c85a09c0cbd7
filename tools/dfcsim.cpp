// dfcsim: the command line of the simulator.
//   dfcsim run [--config FILE --dtcp FILE --pcap-in FILE ...]   simulate the card
//   dfcsim classbench --rules FILE [--trace FILE]                 the classifier benchmark
// Without --config, `run` uses the built-in default scenario.
#include <systemc>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#if DFC_HAVE_CLASSBENCH
#include "classbench_cmd.hpp"
#endif
#include "dfc/config/config.hpp"
#include "dfc/tb/harness.hpp"

namespace {

std::string read_file(const std::string& path, const char* what) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(path + ": cannot open " + what + " file");
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// --dtcp FILE: requests in wire format, each ended by an empty line.
std::vector<std::string> split_requests(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) {
    std::string bare = line;
    if (!bare.empty() && bare.back() == '\r') bare.pop_back();
    if (bare.empty()) {
      if (!cur.empty()) out.push_back(cur + (line.size() ? "\r\n" : "\n"));
      cur.clear();
      continue;
    }
    cur += line + "\n";
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

int sc_main(int argc, char* argv[]) {
  // The SystemC banner is noise on a tool's stdout.
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  CLI::App app{"dfcsim: hardware-in-the-loop simulator of a dynamic-flow-capture service card"};
  app.require_subcommand(1);

  auto* run = app.add_subcommand("run", "simulate the card on a scenario (built-in default without --config)");
  std::string config_path, dtcp_path, pcap_in, out_dir = "out", profile = "ms400", classifier = "rtl";
  run->add_option("--config", config_path, "DFC configuration (Junos syntax)")->check(CLI::ExistingFile);
  run->add_option("--dtcp", dtcp_path, "DTCP requests in wire format, each ended by an empty line")
      ->check(CLI::ExistingFile);
  run->add_option("--pcap-in", pcap_in, "monitored traffic to replay (Ethernet or raw-IP pcap)")
      ->check(CLI::ExistingFile);
  run->add_option("--out", out_dir, "output directory (report.json, cdest-<id>.pcap, dtcp.log)");
  run->add_option("--profile", profile, "card profile")->check(CLI::IsMember({"ms3", "ms400"}));
  run->add_option("--classifier", classifier, "classifier implementation")->check(CLI::IsMember({"rtl", "model"}));
  bool quiet = false;
  run->add_flag("-q,--quiet", quiet, "no summary");

#if DFC_HAVE_CLASSBENCH
  add_classbench_subcommand(app);
#endif

  CLI11_PARSE(app, argc, argv);

  if (run->parsed()) {
    try {
      dfc::tb::RunOptions o;
      if (config_path.empty()) {
        if (!dtcp_path.empty() || !pcap_in.empty())
          throw std::runtime_error("--dtcp and --pcap-in need --config (the default scenario brings its own)");
        o = dfc::tb::default_scenario();
      } else {
        o.config_text = read_file(config_path, "configuration");
        o.config_name = config_path;
        if (!dtcp_path.empty()) {
          o.dtcp_requests = split_requests(read_file(dtcp_path, "DTCP"));
          o.dtcp_name = dtcp_path;
        }
        o.pcap_in = pcap_in;
      }
      o.out_dir = out_dir;
      o.profile = profile;
      o.classifier = classifier;
      const auto res = dfc::tb::run_simulation(o);
      if (!quiet) std::cout << res.summary;
      return 0;
    } catch (const dfc::config::ConfigError& e) {
      std::cerr << "dfcsim: configuration error: " << e.what() << "\n";
      return 2;
    } catch (const std::exception& e) {
      std::cerr << "dfcsim: error: " << e.what() << "\n";
      return 1;
    }
  }
  return 0;
}
