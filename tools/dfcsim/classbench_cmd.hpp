// `dfcsim classbench`: the command line over the dfc_classbench library.
#pragma once
#include "classbench.hpp"

namespace CLI {
class App;
}

void add_classbench_subcommand(CLI::App& app);
