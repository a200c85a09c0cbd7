#include "common/file.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace dfc::common {

std::optional<std::string> try_read_file(const std::filesystem::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

std::string read_file(const std::filesystem::path& path, const std::string& what) {
  auto text = try_read_file(path);
  if (!text) throw std::runtime_error(path.string() + ": cannot open " + what + " file");
  return std::move(*text);
}

std::string read_file_or_empty(const std::filesystem::path& path) { return try_read_file(path).value_or(""); }

}  // namespace dfc::common
