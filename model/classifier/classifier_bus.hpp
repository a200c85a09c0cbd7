// Decode of the classifier register map (dfc/hal/classifier_abi.hpp, CLS_*) onto a
// ClassifierDevice. Used by the card's TLM target, the firmware's fake HAL and the
// classbench tool, so every path drives the block through the same registers.
//
// Behaviour (see docs/classifier.md):
//  * Entry windows: value and mask words are staged in ONE staging buffer (as in hardware);
//    writing the control word of entry i commits the staged value/mask to entry i with the
//    valid bit and group from the control word (one write_entry call = one clock).
//  * Range unit u: words 0/1 staged, writing word 2 (hi) commits the unit.
//  * Group enable g: bit CLS_GROUP_EN_ON_BIT of the word.
//  * Key: KEY_IN_WORDS words; the write of the last word starts the lookup. The result
//    window then reads: word 0 = n (saturated at CLS_MAX_RESULTS, CLS_RESULT_OVERFLOW set
//    when more matched), words 1..n = entry indices ascending (from CLS_RESULT_MATCHES_OFF),
//    the cycles at CLS_RESULT_CYCLES_OFF.
//  * CLS_DEPTH reads the table depth. Unmapped addresses inside the span read 0, writes
//    are ignored.
#pragma once
#include <cstddef>
#include <cstdint>

#include "classifier_device.hpp"

namespace dfc::model {

class ClassifierBus {
 public:
  explicit ClassifierBus(ClassifierDevice& dev);

  static bool claims(uint32_t addr) {
    return addr >= abi::CLS_BASE && addr - abi::CLS_BASE < abi::CLS_SPAN;
  }
  void write(uint32_t addr, const uint32_t* words, size_t n);
  void read(uint32_t addr, uint32_t* words, size_t n);

  ClassifierDevice& device() { return dev_; }
  // Statistics: lookups started, entry commits, and the device cycles of all lookups.
  uint64_t lookups() const { return lookups_; }
  uint64_t entry_writes() const { return entry_writes_; }
  uint64_t lookup_cycles() const { return lookup_cycles_; }
  // The result of the last lookup as the device returned it (not saturated).
  const abi::LookupResult& last_result() const { return last_; }

 private:
  void write_word(uint32_t addr, uint32_t v);
  uint32_t read_word(uint32_t addr) const;

  ClassifierDevice& dev_;
  abi::Entry staged_{};
  abi::RangeUnit staged_unit_{};
  abi::KeyWords key_{};
  abi::LookupResult last_{};
  uint32_t result_[abi::CLS_RESULT_CYCLES_OFF / 4 + 1] = {};
  uint64_t lookups_ = 0, entry_writes_ = 0, lookup_cycles_ = 0;
};

}  // namespace dfc::model
