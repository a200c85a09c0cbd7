// `dfcsim rfc2544`: RFC 2544 throughput (§26.1), latency (§26.2), frame-loss rate (§26.3) and
// back-to-back frames (§26.4) per frame size (testbench/report/rfc2544.cpp does the searches);
// each trial is a `dfcsim run` child process (SystemC elaborates once per process). Inputs are
// checked before the first trial. Writes DIR/rfc2544.json and DIR/report.html.
#pragma once
#include <CLI/CLI.hpp>

void add_rfc2544_subcommand(CLI::App& app, const char* argv0);
