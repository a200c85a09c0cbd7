// `dfcsim regress`: runs the regression list (testbench/regress.list) scenario by scenario,
// each as its own `dfcsim run` process (SystemC elaborates once per process), writes JUnit XML
// and prints the exact rerun command of every failure.
#pragma once
#include <CLI/CLI.hpp>

void add_regress_subcommand(CLI::App& app, const char* argv0);
