// The options every simulation takes (dfc::tb::SimOptions: --config, --profile, --set,
// --schedule-seed, --classifier, --mode, --wave, --wave-window, --wave-signals, --out, -q), added to `run` and `serve`
// by one function so both spell and check them alike.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <string>

#include "host/sim_options.hpp"

namespace dfc::tools {

class SimOptionsCli {
 public:
  // Adds the options to `sub`. `outputs`: what --out holds for this command; `quiet`: what -q
  // leaves out.
  SimOptionsCli(CLI::App* sub, const std::string& outputs, const std::string& quiet);

  CLI::Option* config() const { return config_; }
  const std::string& config_path() const { return config_path_; }

  // Reads --config FILE (when given) into o.config_text / config_name.
  void read_config(tb::SimOptions& o) const;
  // The options given on the command line over o (a scenario's settings or the defaults):
  // --set appends to the scenario's overrides; --out and -q always apply.
  void apply(tb::SimOptions& o) const;

 private:
  tb::SimOptions cli_;  // what the command line says (defaults where it says nothing)
  std::string config_path_, wave_window_, wave_signals_;
  uint64_t schedule_seed_ = 0;
  int gdb_port_ = -1;
  CLI::Option* gdb_opt_ = nullptr;
  CLI::Option* config_ = nullptr;
  CLI::Option* schedule_seed_opt_ = nullptr;
  CLI::Option* mode_opt_ = nullptr;
};

// Creates the options on `sub`; the returned object outlives the parse (callbacks hold it).
std::shared_ptr<SimOptionsCli> add_sim_options(CLI::App* sub, const std::string& outputs, const std::string& quiet);

// After a simulation: when the lockstep classifier found the RTL and the model disagreeing,
// prints the divergence after "<who>: " and returns true (a run-time failure, exit 1).
bool report_lockstep_divergence(const std::string& who);

}  // namespace dfc::tools
