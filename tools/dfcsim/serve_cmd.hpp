// `dfcsim serve`: the card paced to the wall clock, DTCP on real UDP sockets
// (dfc::tb::serve, docs/user-guide-realtime.md).
#pragma once

namespace CLI {
class App;
}

void add_serve_subcommand(CLI::App& app);
