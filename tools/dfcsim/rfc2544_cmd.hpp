// `dfcsim rfc2544`: RFC 2544 §26.1 throughput per frame size (testbench/report/rfc2544.cpp does
// the search); each trial is a `dfcsim run` child process (SystemC elaborates once per
// process). Writes DIR/rfc2544.json and DIR/report.html.
#pragma once
#include <CLI/CLI.hpp>

void add_rfc2544_subcommand(CLI::App& app, const char* argv0);
