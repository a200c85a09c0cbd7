// Internal to the classifier driver (classifier_driver.cpp): how a MatchTerm becomes TCAM
// entries and range-check units, and the same term evaluated in software against a key.
// Every key position comes from the generated contract (dfc/hal/classifier_abi.hpp).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "dfc/fw/match_term.hpp"
#include "dfc/hal/classifier_abi.hpp"

namespace dfc::fw::detail {

// The driver's range-check units: a port interval that is not a single prefix asks for one.
class RangeUnitSource {
 public:
  // A unit comparing `field` with [lo, hi] (shared when one already does), or -1 when all
  // units are taken; the caller releases what it acquired.
  virtual int acquire(abi::RangeField field, uint16_t lo, uint16_t hi) = 0;

 protected:
  ~RangeUnitSource() = default;
};

// Appends the entries of term t to out (valid, group 0) and the units they reference to
// units_taken. Returns false when they would exceed `cap` entries; a term that matches
// nothing appends no entry and returns true.
bool compile_term(const MatchTerm& t, size_t cap, RangeUnitSource& units, std::vector<abi::Entry>& out,
                  std::vector<unsigned>& units_taken);

// Software evaluation of one term against a key (same semantics as the TCAM encoding).
bool term_matches(const MatchTerm& t, const abi::KeyWords& k);

}  // namespace dfc::fw::detail
