// Maps the exception in flight to the shared exit-code table (needs dfc_tb: RunFailure, and
// the card's ProfileError).
#pragma once
#include <filesystem>
#include <iostream>
#include <new>
#include <string>

#include "dfc/config/config.hpp"
#include "common/errors.hpp"
#include "cli/exit_codes.hpp"
#include "profile.hpp"

namespace dfc::tools {

// Prints the exception in flight and returns its exit code. Call inside a catch (...) block.
inline int report_exception(const std::string& who) {
  try {
    throw;
  } catch (const CLI::RuntimeError& e) {
    return e.get_exit_code();
  } catch (const config::ConfigError& e) {
    std::cerr << who << ": configuration error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const model::ProfileError& e) {  // --profile, --set or a scenario's profile keys
    std::cerr << who << ": profile error: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const tb::RunFailure& e) {
    std::cerr << who << ": error: " << e.what() << "\n";
    return kExitRunFailure;
  } catch (const std::filesystem::filesystem_error& e) {
    std::cerr << who << ": error: " << e.what() << "\n";
    return kExitRunFailure;
  } catch (const std::bad_alloc&) {
    std::cerr << who << ": error: out of memory\n";
    return kExitRunFailure;
  } catch (const std::exception& e) {
    std::cerr << who << ": error: " << e.what() << "\n";
    return kExitBadInput;
  }
}

}  // namespace dfc::tools
