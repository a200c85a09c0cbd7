// ClassifierLockstep: two classifier devices driven in lockstep, in the style of OpenTitan
// OTBN's model/RTL co-simulation. Every table write (entries, range units, group enables) is
// applied to both; every lookup is presented to both and their answers (matching indices and
// cycles) are compared. The first difference stops the run with a LockstepDivergence naming
// the lookup number, the key (and the range-unit bits it produces), both answers, and every
// entry on which they disagree (value, mask, group, group enable, and whether the entry matches
// the key by the ternary rule). The primary's answer is what the firmware sees.
// `--classifier lockstep` (dfcsim run, classbench) = primary Verilated RTL, shadow C++ model.
// dfcsim exits with code 1 on a divergence (docs/classifier.md, "Lockstep").
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "classifier_device.hpp"
#include "classifier_ref.hpp"

namespace dfc::model {

class LockstepDivergence : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ClassifierLockstep final : public ClassifierDevice {
 public:
  // Both devices must have the same depth (std::invalid_argument otherwise).
  ClassifierLockstep(std::unique_ptr<ClassifierDevice> primary, std::unique_ptr<ClassifierDevice> shadow);
  uint32_t depth() const override { return primary_->depth(); }
  void write_entry(uint32_t index, const abi::Entry& e) override;
  void write_range_unit(uint32_t unit, const abi::RangeUnit& r) override;
  void set_group_enable(uint32_t group, bool enable) override;
  // Throws LockstepDivergence on the first lookup where the two devices disagree, or, with a
  // divergence handler (ClassifierOptions::on_divergence), calls it once and answers with the
  // primary's result.
  abi::LookupResult lookup(const abi::KeyWords& key) override;
  std::string name() const override { return "lockstep"; }

  void set_on_divergence(std::function<void(const std::string&)> fn) { on_divergence_ = std::move(fn); }
  ClassifierDevice& primary() { return *primary_; }
  uint64_t lookups() const { return lookups_; }
  uint64_t writes() const { return writes_; }

  // The message of the first divergence in this process, if any (a SystemC thread's exception
  // reaches sc_start's caller re-wrapped; the host uses this to tell a divergence apart).
  static std::optional<std::string> first_divergence();

 private:
  std::string describe(const abi::KeyWords& key, const abi::LookupResult& a, const abi::LookupResult& b) const;

  std::unique_ptr<ClassifierDevice> primary_, shadow_;
  ClassifierRef mirror_;  // what was written, for the divergence report
  uint64_t lookups_ = 0, writes_ = 0;
  uint64_t inject_at_ = 0;  // DFC_LOCKSTEP_INJECT_AT (0: never)
  std::function<void(const std::string&)> on_divergence_;
  bool diverged_ = false;
};

}  // namespace dfc::model
