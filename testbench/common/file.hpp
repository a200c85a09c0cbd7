// Reading a whole file (configurations, scripts, scenarios, logs). SystemC-free.
#pragma once
#include <filesystem>
#include <optional>
#include <string>

namespace dfc::common {

// The file's bytes, or nullopt when it cannot be opened.
std::optional<std::string> try_read_file(const std::filesystem::path& path);

// The file's bytes; throws std::runtime_error "<path>: cannot open <what> file" (bad input,
// exit 2 in the tools' table) when it cannot be opened.
std::string read_file(const std::filesystem::path& path, const std::string& what);

// The file's bytes, "" when it cannot be opened (a log that may not exist yet).
std::string read_file_or_empty(const std::filesystem::path& path);

}  // namespace dfc::common
