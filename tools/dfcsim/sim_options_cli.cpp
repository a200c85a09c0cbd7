#include "sim_options_cli.hpp"

#include <iostream>
#include <stdexcept>

#include "classifier_lockstep.hpp"
#include "common/file.hpp"
#include "host/wave.hpp"

namespace dfc::tools {

namespace {

// CLI11 validator of --wave-window: the parser's message, or "" when the window is good.
std::string check_wave_window(const std::string& s) {
  tb::WaveOptions w;
  try {
    tb::parse_wave_window(s, w);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

SimOptionsCli::SimOptionsCli(CLI::App* sub, const std::string& outputs, const std::string& quiet) {
  cli_.profile.clear();
  cli_.classifier.clear();
  config_ = sub->add_option("--config", config_path_, "DFC configuration (Junos syntax)")->check(CLI::ExistingFile);
  sub->add_option("--profile", cli_.profile, "card profile: ms3, ms400 or a JSON profile file (model/profiles/)");
  sub->add_option("--set", cli_.profile_sets, "override a profile parameter, KEY=VALUE (repeatable; keys: docs/model.md)")
      ->allow_extra_args(false);
  schedule_seed_opt_ =
      sub->add_option("--schedule-seed", schedule_seed_, "perturb the cores' quanta and sync points (0 = none)")
          ->check(CLI::Validator(  // CLI11 alone would wrap -1 to 2^64-1
              [](std::string& v) {
                return !v.empty() && v.size() <= 19 && v.find_first_not_of("0123456789") == std::string::npos
                           ? std::string()
                           : v + " is not a seed: give a whole number of up to 19 digits (0: no perturbation)";
              },
              "SEED"));
  sub->add_flag("--race-check", cli_.race_check,
                "check the firmware's shared memory for data races (happens-before; docs/race-check.md): races go "
                "to report.json and make the run exit 3");
  sub->add_option("--classifier", cli_.classifier, "classifier implementation (lockstep: RTL and model compared)")
      ->check(CLI::IsMember({"rtl", "model", "lockstep"}));
  sub->add_option("--firmware", cli_.firmware,
                  "run this firmware image (build/bin/dfc_firmware.elf) on the card's instruction-set simulators "
                  "instead of the host-compiled firmware (docs/iss.md)")
      ->check(CLI::ExistingFile);
  gdb_opt_ = sub->add_option("--gdb", gdb_port_,
                             "serve GDB's remote protocol for the image on 127.0.0.1:PORT; the card halts at boot until "
                             "the debugger continues (needs --firmware; gdb-multiarch IMAGE -ex 'target remote :PORT')")
                 ->check(CLI::Range(1, 65535));
  auto* wave = sub->add_option("--wave", cli_.wave.format,
                               "waveforms on SystemC time: DIR/card.vcd|fst (queues, cores, classifier, "
                               "interconnect) and DIR/classifier.vcd|fst (the RTL; --classifier rtl or lockstep)")
                   ->check(CLI::IsMember({"vcd", "fst"}));
  sub->add_option("--wave-window", wave_window_, "dump only FROM_US:TO_US of simulated time (e.g. 100:250.5)")
      ->check(check_wave_window)
      ->needs(wave);
  sub->add_option("--wave-signals", wave_signals_,
                  "write only the card signals matching GLOB[,GLOB] (fnmatch on the hierarchical name, e.g. "
                  "'card.core*.busy,card.drop'; a glob matching nothing is an error)")
      ->check([](const std::string& s) {
        try {
          tb::parse_wave_signals(s);
        } catch (const std::invalid_argument& e) {
          return std::string(e.what());
        }
        return std::string();
      })
      ->needs(wave);
  mode_opt_ = sub->add_option("--mode", cli_.model,
                              "card model: timing (the SystemC/TLM card, default) or fast (a plain-C++ event loop "
                              "with the same firmware and profile, much faster; docs/fast-mode.md)")
                  ->check(CLI::IsMember({"timing", "fast"}));
  sub->add_option("--out", cli_.out_dir, "output directory (" + outputs + ")");
  sub->add_flag("-q,--quiet", cli_.quiet, quiet);
}

void SimOptionsCli::read_config(tb::SimOptions& o) const {
  if (config_path_.empty()) return;
  o.config_text = common::read_file(config_path_, "configuration");
  o.config_name = config_path_;
}

void SimOptionsCli::apply(tb::SimOptions& o) const {
  if (!cli_.profile.empty()) o.profile = cli_.profile;
  for (const auto& kv : cli_.profile_sets) o.profile_sets.push_back(kv);
  if (schedule_seed_opt_->count()) o.schedule_seed = schedule_seed_;
  if (!cli_.classifier.empty()) o.classifier = cli_.classifier;
  if (mode_opt_->count()) o.model = cli_.model;
  if (!cli_.firmware.empty()) o.firmware = cli_.firmware;
  if (gdb_opt_->count()) o.gdb_port = gdb_port_;
  if (cli_.race_check) o.race_check = true;
  tb::WaveOptions wave = cli_.wave;
  if (!wave_window_.empty()) tb::parse_wave_window(wave_window_, wave);
  if (!wave_signals_.empty()) wave.signals = tb::parse_wave_signals(wave_signals_);
  o.wave = wave;
  o.out_dir = cli_.out_dir;
  o.quiet = cli_.quiet;
}

std::shared_ptr<SimOptionsCli> add_sim_options(CLI::App* sub, const std::string& outputs, const std::string& quiet) {
  return std::make_shared<SimOptionsCli>(sub, outputs, quiet);
}

bool report_lockstep_divergence(const std::string& who) {
  const auto d = model::ClassifierLockstep::first_divergence();
  if (!d) return false;
  std::cerr << who << ": " << *d;
  return true;
}

}  // namespace dfc::tools
