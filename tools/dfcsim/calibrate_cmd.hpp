// `dfcsim calibrate --firmware IMAGE --profile P --out FILE.json`: the host-compiled mode learns
// what the firmware's declared work costs from the image itself (docs/iss.md "Calibration").
// Each traffic mix is a `dfcsim run --firmware` child; the image reports, per pass of its packet
// loop, the units of every Hal::Work kind it declared and the core cycles the pass took
// (report.json iss.work, as least-squares normal equations). Summed over the mixes, a
// non-negative least-squares fit gives cycles per unit of each kind; the output is profile P
// with those work.* values (and their sources), for `--profile FILE.json`.
#pragma once
#include <CLI/CLI.hpp>

#include <cstddef>
#include <vector>

void add_calibrate_subcommand(CLI::App& app, const char* argv0);

namespace dfc::tools {

// min ||X c - y||^2 subject to c >= 0, from the normal equations (A = X^T X, b = X^T y), by
// projected Gauss-Seidel. Unknowns with A[i][i] == 0 (never declared) stay 0.
std::vector<double> nnls_normal(const std::vector<std::vector<double>>& a, const std::vector<double>& b,
                                unsigned sweeps = 20000);

}  // namespace dfc::tools
