// `dfcsim classbench`: the command line over the dfc_classbench library (classbench.hpp).
#include "classbench_cmd.hpp"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <stdexcept>

void add_classbench_subcommand(CLI::App& app) {
  auto opt = std::make_shared<dfc::classbench::Options>();
  CLI::App* sub = app.add_subcommand(
      "classbench", "Install a ClassBench rule set via the firmware driver and classify headers");
  sub->add_option("--rules", opt->rules, "ClassBench rule file")->required()->check(CLI::ExistingFile);
  sub->add_option("--trace", opt->trace, "header trace (default: headers generated from the rules)")
      ->check(CLI::ExistingFile);
  sub->add_option("--classifier", opt->classifier, "classifier implementation")
      ->check(CLI::IsMember({"rtl", "model"}));
  sub->add_option("--depth", opt->depth, "classifier entries (default: fits the rule set)")
      ->check(CLI::Range(1u, dfc::abi::CLS_MAX_DEPTH));
  sub->add_option("--headers", opt->headers, "headers to generate without --trace");
  sub->add_option("--seed", opt->seed, "seed of the generated headers");
  sub->add_flag("--verify", opt->verify, "compare with a software linear scan (exit 1 on mismatch)");
  sub->add_flag("-q,--quiet", opt->quiet, "print only the summary");
  sub->add_option("--wave", opt->wave, "RTL waveform file (build with -DDFC_RTL_TRACE=VCD|FST)");
  sub->callback([opt]() {
    try {
      const dfc::classbench::Summary s = dfc::classbench::run(*opt, std::cout);
      std::cout.flush();
      if (opt->verify && s.mismatches != 0) throw CLI::RuntimeError(1);
    } catch (const std::runtime_error& e) {
      std::cerr << "dfcsim classbench: " << e.what() << '\n';
      throw CLI::RuntimeError(2);
    } catch (const std::invalid_argument& e) {
      std::cerr << "dfcsim classbench: " << e.what() << '\n';
      throw CLI::RuntimeError(2);
    }
  });
}
