// Failure kinds a command turns into its exit code (docs/user-guide.md, "Exit codes"):
// std::runtime_error / std::invalid_argument / config::ConfigError thrown while reading the
// user's input are "bad input" (exit 2); RunFailure is a failure of the environment at run time
// (an output file that cannot be created, a socket that cannot be bound: exit 1).
#pragma once
#include <stdexcept>
#include <string>

namespace dfc::tb {

struct RunFailure : std::runtime_error {
  explicit RunFailure(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace dfc::tb
