// Reading a configuration file: host only. The card image has no file system; its
// configuration text arrives in memory through the boot block (dfc/hal/iss_abi.hpp), so
// firmware/image leaves src/host/ out.
#include <fstream>
#include <sstream>

#include "dfc/config/config.hpp"

namespace dfc::config {

DfcConfig load_config(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw ConfigError(path, 0, 0, "cannot open file");
  std::ostringstream ss;
  ss << f.rdbuf();
  return parse_config(ss.str(), path);
}

}  // namespace dfc::config
