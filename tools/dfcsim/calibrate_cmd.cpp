#include "calibrate_cmd.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "cli/exit_codes.hpp"
#include "common/errors.hpp"
#include "common/process.hpp"
#include "common/text.hpp"
#include "host/sim_options.hpp"
#include "profile.hpp"
#include "report_exception.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace dfc::tools {

std::vector<double> nnls_normal(const std::vector<std::vector<double>>& a, const std::vector<double>& b,
                                unsigned sweeps) {
  const size_t n = b.size();
  std::vector<double> c(n, 0.0);
  for (unsigned s = 0; s < sweeps; ++s) {
    double moved = 0;
    for (size_t i = 0; i < n; ++i) {
      if (a[i][i] <= 0) continue;
      double r = b[i];
      for (size_t j = 0; j < n; ++j)
        if (j != i) r -= a[i][j] * c[j];
      const double v = std::max(0.0, r / a[i][i]);
      moved = std::max(moved, std::abs(v - c[i]));
      c[i] = v;
    }
    if (moved < 1e-9) break;
  }
  return c;
}

}  // namespace dfc::tools

namespace {

using dfc::common::shell_quote;

struct CalibrateOpts {
  std::string self, firmware, profile = "ms400", out, scenarios, work_dir;
  std::vector<std::string> sets;
  unsigned packets = 3000;
  bool quiet = false;
};

// The traffic mixes: each path of the firmware in its own proportion, so that the kinds of work
// are not declared in fixed ratios (the fit could not tell them apart): flow hits, new flows,
// copies to one and several criteria, IPv6, DTCP requests. All below what the card can take.
struct CalibrationMix {
  const char* name;
  const char* dtcp;
  const char* traffic;
};
const CalibrationMix kMixes[] = {
    {"hits", "one-criterion.dtcp", "rate=10g,load=0.02,size=64,flows=20,locality=0.95,seed=11"},
    {"misses", "one-criterion.dtcp", "rate=10g,load=0.02,size=128,flows=100000,locality=0,order=sweep,seed=12"},
    {"copies", "1k-criteria.dtcp",
     "rate=10g,load=0.02,size=imix,flows=300,locality=0.7,match=0.6,match-dst=10.200.0.1,match-proto=17,"
     "match-dport=1000,seed=13"},
    {"ipv6", "one-criterion.dtcp", "rate=10g,load=0.02,size=256,flows=500,locality=0.5,ipv6=0.5,seed=14"},
    {"wide-copies", "one-criterion.dtcp",
     "rate=10g,load=0.02,size=512,flows=200,locality=0.8,match=0.8,match-dst=10.1.1.0/24,match-proto=17,seed=15"},
    // Full-size frames, few of them copied: the per-byte costs of taking a frame and of building a
    // copy are then not declared in one ratio (the copies mixes copy most of what they take).
    {"large", "one-criterion.dtcp",
     "rate=10g,load=0.02,size=1518,flows=200,locality=0.8,match=0.2,match-dst=10.1.2.0/24,match-proto=17,seed=16"},
};

json run_mix(const CalibrateOpts& o, const CalibrationMix& m) {
  const fs::path dir = fs::path(o.work_dir) / m.name;
  fs::remove_all(dir);
  std::string cmd = shell_quote(o.self) + " run -q --config " + shell_quote(o.scenarios + "/configs/one-source.conf") +
                    " --dtcp " + shell_quote(o.scenarios + "/dtcp/" + m.dtcp) + " --traffic " + shell_quote(m.traffic) +
                    " --packets " + std::to_string(o.packets) + " --profile " + shell_quote(o.profile) +
                    " --firmware " + shell_quote(o.firmware) + " --out " + shell_quote(dir.string());
  for (const auto& s : o.sets) cmd += " --set " + shell_quote(s);
  const dfc::common::CommandResult child = dfc::common::run_command(cmd);
  std::ifstream f(dir / "report.json");
  json r = json::parse(f, nullptr, false);
  if (!child.started || child.exit_code() != 0 || !r.is_object() || !r.contains("iss"))
    throw dfc::tb::RunFailure(std::string("calibration mix '") + m.name + "' failed (exit " +
                              std::to_string(child.exit_code()) + "):\n" + child.output + "rerun it with: " + cmd);
  return r;
}

// The input files: the scenarios under share/dfcsim of an installed dfcsim, else the source tree.
std::string scenarios_dir(const std::string& self) {
  const fs::path installed = fs::path(self).parent_path().parent_path() / "share/dfcsim/scenarios";
  std::error_code ec;
  if (fs::exists(installed / "configs/one-source.conf", ec)) return installed.string();
  return std::string(DFC_SOURCE_DIR) + "/testbench/scenarios";
}

// long-function: one linear story (run the mixes, sum, fit, write, print) kept in one place.
int calibrate_command(CalibrateOpts& o) {
  try {
    std::error_code ec;
    if (auto p = fs::read_symlink("/proc/self/exe", ec); !ec) o.self = p.string();
    if (!fs::exists(o.firmware)) throw std::invalid_argument("--firmware " + o.firmware + ": not found");
    const dfc::model::CardProfile base = dfc::model::load_profile(o.profile, o.sets);  // bad input: before any run
    o.scenarios = scenarios_dir(o.self);
    o.work_dir = (fs::path(o.out).parent_path().empty() ? fs::path(".") : fs::path(o.out).parent_path()).string() +
                 "/" + fs::path(o.out).stem().string() + ".runs";
    fs::create_directories(o.work_dir);
    const size_t k = static_cast<size_t>(dfc::Hal::Work::kCount);
    std::vector<std::vector<double>> a(k, std::vector<double>(k, 0.0));
    std::vector<double> b(k, 0.0), units(k, 0.0);
    double yty = 0, frames = 0;
    json mixes = json::array();
    for (const CalibrationMix& m : kMixes) {
      if (!o.quiet) std::cout << "calibrate: mix " << m.name << " ..." << std::flush;
      const json r = run_mix(o, m);
      const json& w = r["iss"]["work"];
      for (size_t i = 0; i < k; ++i) {
        b[i] += w["xty"][i].get<double>();
        units[i] += w["units"][i].get<double>();
        for (size_t j = 0; j < k; ++j) a[i][j] += w["xtx"][i][j].get<double>();
      }
      yty += w["yty"].get<double>();
      frames += w["frames"].get<double>();
      mixes.push_back({{"name", m.name}, {"dtcp", m.dtcp}, {"traffic", m.traffic}, {"frames", w["frames"]},
                       {"per_path", r["iss"]["per_path"]}});
      if (!o.quiet) std::cout << " " << w["frames"].get<uint64_t>() << " passes\n";
    }
    const std::vector<double> c = dfc::tools::nnls_normal(a, b);
    // Residual: ||Xc - y||^2 = c'Ac - 2c'b + y'y, per pass.
    double cac = 0, cb = 0;
    for (size_t i = 0; i < k; ++i) {
      cb += c[i] * b[i];
      for (size_t j = 0; j < k; ++j) cac += c[i] * a[i][j] * c[j];
    }
    const double rms = frames > 0 ? std::sqrt(std::max(0.0, cac - 2 * cb + yty) / frames) : 0.0;
    const double mean_y = frames > 0 ? std::sqrt(yty / frames) : 0.0;

    json prof = json::object();
    json sources = json::object();
    prof["name"] = base.name + "-calibrated";
    prof["description"] = "Profile " + base.name + " with the firmware's work costs measured on the image " +
                          o.firmware + " by dfcsim calibrate (docs/iss.md, Calibration).";
    for (const auto& [key, v] : base.values()) {
      prof[key] = v;
      sources[key] = "as " + base.name;
    }
    json fit = json::array();
    for (size_t i = 0; i < k; ++i) {
      const char* key = dfc::model::CardProfile::work_key(static_cast<dfc::Hal::Work>(i));
      const bool seen = a[i][i] > 0;
      const double v = seen ? std::round(c[i] * 100) / 100 : base.work_cycles[i];
      prof[key] = v;
      std::ostringstream s;
      if (seen)
        s << "measured: cycles per declared unit (instructions + L1 load-to-use per load) of " << o.firmware
          << ", least squares over " << uint64_t(frames) << " passes of the packet loop in " << std::size(kMixes)
          << " mixes (dfcsim calibrate)";
      else
        s << "as " << base.name << ": not declared in the calibration mixes";
      sources[key] = s.str();
      fit.push_back({{"key", key}, {"hand", base.work_cycles[i]}, {"measured", seen ? json(v) : json(nullptr)},
                     {"units", units[i]}});
    }
    // The fit's record goes with the sources (a profile's other keys are numbers).
    sources["calibration"] = {{"image", o.firmware}, {"frames", frames}, {"rms_cycles_per_pass", rms},
                              {"rms_of_the_passes", mean_y}, {"mixes", mixes}, {"fit", fit}};
    prof["sources"] = sources;
    std::ofstream(o.out) << prof.dump(2) << "\n";
    if (!std::ifstream(o.out)) throw dfc::tb::RunFailure("cannot write " + o.out);
    dfc::model::load_profile(o.out);  // what we wrote loads as a profile
    if (!o.quiet) {
      std::cout << "\nkind                   hand  measured  units declared\n";
      for (const json& f : fit)
        std::cout << std::left << std::setw(22) << f["key"].get<std::string>().substr(5) << std::right << std::setw(6)
                  << f["hand"].get<double>() << std::setw(10)
                  << (f["measured"].is_null() ? std::string("-") : std::to_string(std::lround(f["measured"].get<double>())))
                  << std::setw(16) << std::fixed << std::setprecision(0) << f["units"].get<double>() << "\n";
      std::cout << "fit: " << uint64_t(frames) << " passes, rms error " << std::setprecision(0) << rms
                << " cycles per pass (passes' rms " << mean_y << ")\ncalibrate: " << o.out << "\n";
    }
    return dfc::tools::kExitOk;
  } catch (const std::invalid_argument& e) {
    std::cerr << "dfcsim calibrate: " << e.what() << "\n";
    return dfc::tools::kExitBadInput;
  } catch (...) {
    return dfc::tools::report_exception("dfcsim calibrate");
  }
}

}  // namespace

void add_calibrate_subcommand(CLI::App& app, const char* argv0) {
  auto* cmd = app.add_subcommand("calibrate", "learn the host-compiled firmware's work costs from the firmware image "
                                              "(instruction-set simulators), and write them into a profile");
  auto o = std::make_shared<CalibrateOpts>();
  o->self = argv0;
  cmd->add_option("--firmware", o->firmware, "the firmware image (build/bin/dfc_firmware.elf)")->required();
  cmd->add_option("--profile", o->profile, "the profile to calibrate (ms3, ms400 or a JSON file; default ms400)");
  cmd->add_option("--set", o->sets, "profile override KEY=VALUE, repeatable (as for run)")->allow_extra_args(false);
  cmd->add_option("--out", o->out, "the calibrated profile to write (JSON; use it with --profile FILE)")->required();
  cmd->add_option("--packets", o->packets, "packets per traffic mix (default 3000)")->check(CLI::Range(100, 10000000));
  cmd->add_flag("-q,--quiet", o->quiet, "no progress and no table");
  cmd->callback([o]() {
    const int rc = calibrate_command(*o);
    if (rc != dfc::tools::kExitOk) throw CLI::RuntimeError(rc);
  });
}
