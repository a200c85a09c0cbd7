// `dfcsim run`: one simulation on simulated time (dfc::tb::run_simulation): a scenario file,
// --config with --dtcp and --traffic or --pcap-in, or the built-in default scenario.
#pragma once

namespace CLI {
class App;
}

void add_run_subcommand(CLI::App& app);
