// `dfcsim classbench`: the command line over the dfc_classbench library (classbench.hpp).
#include "classbench_cmd.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <stdexcept>

#include "classifier_lockstep.hpp"
#include "cli/exit_codes.hpp"

void add_classbench_subcommand(CLI::App& app) {
  auto opt = std::make_shared<dfc::classbench::Options>();
  CLI::App* sub = app.add_subcommand(
      "classbench", "Install a ClassBench rule set via the firmware driver and classify headers");
  sub->add_option("--rules", opt->rules, "ClassBench rule file")->required()->check(CLI::ExistingFile);
  sub->add_option("--trace", opt->trace, "header trace (default: headers generated from the rules)")
      ->check(CLI::ExistingFile);
  sub->add_option("--classifier", opt->classifier, "classifier implementation")
      ->check(CLI::IsMember({"rtl", "model", "lockstep"}));
  sub->add_option("--depth", opt->depth, "classifier entries (default: fits the rule set)")
      ->check(CLI::Range(1u, dfc::abi::CLS_MAX_DEPTH));
  sub->add_option("--headers", opt->headers, "headers to generate without --trace");
  sub->add_option("--seed", opt->seed, "seed of the generated headers");
  sub->add_flag("--verify", opt->verify, "compare with a software linear scan (exit 3 on mismatch)");
  sub->add_flag("-q,--quiet", opt->quiet, "print only the summary");
  sub->add_option("--wave", opt->wave,
                  "RTL waveform into DIR/classifier.vcd|fst (--classifier rtl or lockstep; time axis: clocks x 1 ns)")
      ->check(CLI::IsMember({"vcd", "fst"}));
  sub->add_option("--out", opt->out_dir, "output directory of --wave (default: the current directory)");
  sub->callback([opt]() {
    dfc::classbench::Summary s;
    try {
      s = dfc::classbench::run(*opt, std::cout);
      std::cout.flush();
    } catch (const dfc::model::LockstepDivergence& e) {  // run-time failure (exit-code table: 1)
      std::cerr << "dfcsim classbench: " << e.what();
      throw CLI::RuntimeError(dfc::tools::kExitRunFailure);
    } catch (const std::exception& e) {  // bad rules, trace or options
      std::cerr << "dfcsim classbench: " << e.what() << '\n';
      throw CLI::RuntimeError(dfc::tools::kExitBadInput);
    }
    // A verification mismatch is "verification failed" in the shared exit-code table.
    if (opt->verify && s.mismatches != 0) throw CLI::RuntimeError(dfc::tools::kExitExpectations);
  });
}
