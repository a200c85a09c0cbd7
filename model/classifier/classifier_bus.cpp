#include "classifier_bus.hpp"

namespace dfc::model {

using namespace dfc::abi;

ClassifierBus::ClassifierBus(ClassifierDevice& dev) : dev_(dev) {}

void ClassifierBus::write(uint32_t addr, const uint32_t* words, size_t n) {
  for (size_t i = 0; i < n; ++i) write_word(addr + static_cast<uint32_t>(4 * i), words[i]);
}

void ClassifierBus::read(uint32_t addr, uint32_t* words, size_t n) {
  for (size_t i = 0; i < n; ++i) words[i] = read_word(addr + static_cast<uint32_t>(4 * i));
}

void ClassifierBus::write_word(uint32_t addr, uint32_t v) {
  if (addr >= CLS_ENTRY && addr < CLS_ENTRY + dev_.depth() * CLS_ENTRY_STRIDE) {
    const uint32_t index = (addr - CLS_ENTRY) / CLS_ENTRY_STRIDE;
    const uint32_t off = (addr - CLS_ENTRY) % CLS_ENTRY_STRIDE;
    if (off < ENTRY_WORDS * 4) {
      staged_.value[off / 4] = v;
    } else if (off < 2 * ENTRY_WORDS * 4) {
      staged_.mask[off / 4 - ENTRY_WORDS] = v;
    } else if (off == CLS_ENTRY_CTRL_OFF) {
      staged_.valid = (v & CLS_ENTRY_VALID) != 0;
      staged_.group = static_cast<uint16_t>(((v >> CLS_ENTRY_GROUP_SHIFT) & CLS_ENTRY_GROUP_MAX) % GROUPS);
      dev_.write_entry(index, staged_);
      ++entry_writes_;
    }
    return;
  }
  if (addr >= CLS_RANGE && addr < CLS_RANGE + RANGE_UNITS * CLS_RANGE_STRIDE) {
    const uint32_t unit = (addr - CLS_RANGE) / CLS_RANGE_STRIDE;
    switch ((addr - CLS_RANGE) % CLS_RANGE_STRIDE) {
      case CLS_RANGE_FIELD_OFF:
        staged_unit_.field = v <= 2 ? static_cast<RangeField>(v) : RangeField::Disabled;
        break;
      case CLS_RANGE_LO_OFF:
        staged_unit_.lo = static_cast<uint16_t>(v);
        break;
      case CLS_RANGE_HI_OFF:
        staged_unit_.hi = static_cast<uint16_t>(v);
        dev_.write_range_unit(unit, staged_unit_);
        break;
      default:
        break;
    }
    return;
  }
  if (addr >= CLS_GROUP_EN && addr < CLS_GROUP_EN + GROUPS * CLS_GROUP_EN_STRIDE) {
    if ((addr - CLS_GROUP_EN) % CLS_GROUP_EN_STRIDE == 0)
      dev_.set_group_enable((addr - CLS_GROUP_EN) / CLS_GROUP_EN_STRIDE, (v & CLS_GROUP_EN_ON) != 0);
    return;
  }
  if (addr >= CLS_KEY && addr < CLS_KEY + KEY_IN_WORDS * 4) {
    const uint32_t w = (addr - CLS_KEY) / 4;
    key_[w] = v;
    if (w == KEY_IN_WORDS - 1) {
      last_ = dev_.lookup(key_);
      ++lookups_;
      lookup_cycles_ += last_.cycles;
      const size_t n = last_.matches.size();
      const uint32_t shown = n > CLS_MAX_RESULTS ? CLS_MAX_RESULTS : static_cast<uint32_t>(n);
      result_[0] = shown | (n > CLS_MAX_RESULTS ? CLS_RESULT_OVERFLOW : 0u);
      for (uint32_t i = 0; i < shown; ++i) result_[CLS_RESULT_MATCHES_OFF / 4 + i] = last_.matches[i];
      for (uint32_t i = shown; i < CLS_MAX_RESULTS; ++i) result_[CLS_RESULT_MATCHES_OFF / 4 + i] = 0;
      result_[CLS_RESULT_CYCLES_OFF / 4] = last_.cycles;
    }
    return;
  }
}

uint32_t ClassifierBus::read_word(uint32_t addr) const {
  if (addr == CLS_DEPTH) return dev_.depth();
  if (addr >= CLS_RESULT && addr < CLS_RESULT + CLS_RESULT_CYCLES_OFF + 4)
    return result_[(addr - CLS_RESULT) / 4];
  if (addr >= CLS_KEY && addr < CLS_KEY + KEY_IN_WORDS * 4) return key_[(addr - CLS_KEY) / 4];
  if (addr >= CLS_ENTRY && addr < CLS_ENTRY + dev_.depth() * CLS_ENTRY_STRIDE) {
    const uint32_t off = (addr - CLS_ENTRY) % CLS_ENTRY_STRIDE;
    if (off < ENTRY_WORDS * 4) return staged_.value[off / 4];
    if (off < 2 * ENTRY_WORDS * 4) return staged_.mask[off / 4 - ENTRY_WORDS];
  }
  return 0;
}

}  // namespace dfc::model
