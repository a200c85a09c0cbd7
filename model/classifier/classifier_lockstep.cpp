#include "classifier_lockstep.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <set>
#include <sstream>

namespace dfc::model {
namespace {

std::mutex g_mu;
std::optional<std::string> g_first;

std::string hex_words(const uint32_t* w, size_t n) {
  std::string s;
  char buf[12];
  for (size_t i = n; i-- > 0;) {  // most significant word first
    std::snprintf(buf, sizeof buf, "%08x", w[i]);
    s += buf;
    if (i) s += '_';
  }
  return s;
}

std::string list(const std::vector<uint32_t>& v) {
  std::ostringstream o;
  o << "[";
  for (size_t i = 0; i < v.size(); ++i) o << (i ? " " : "") << v[i];
  o << "]";
  return o.str();
}

}  // namespace

ClassifierLockstep::ClassifierLockstep(std::unique_ptr<ClassifierDevice> primary,
                                       std::unique_ptr<ClassifierDevice> shadow)
    : primary_(std::move(primary)), shadow_(std::move(shadow)), mirror_(primary_ ? primary_->depth() : 1) {
  if (!primary_ || !shadow_ || primary_->depth() != shadow_->depth())
    throw std::invalid_argument("lockstep classifier: both devices needed, with equal depths");
  // Fault injection, to test the checker end to end (ctest model.lockstep_divergence_exit_code):
  // DFC_LOCKSTEP_INJECT_AT=N alters the shadow's answer of lookup N.
  if (const char* v = std::getenv("DFC_LOCKSTEP_INJECT_AT")) inject_at_ = std::strtoull(v, nullptr, 10);
}

void ClassifierLockstep::write_entry(uint32_t index, const abi::Entry& e) {
  ++writes_;
  primary_->write_entry(index, e);
  shadow_->write_entry(index, e);
  mirror_.write_entry(index, e);
}

void ClassifierLockstep::write_range_unit(uint32_t unit, const abi::RangeUnit& r) {
  ++writes_;
  primary_->write_range_unit(unit, r);
  shadow_->write_range_unit(unit, r);
  mirror_.write_range_unit(unit, r);
}

void ClassifierLockstep::set_group_enable(uint32_t group, bool enable) {
  ++writes_;
  primary_->set_group_enable(group, enable);
  shadow_->set_group_enable(group, enable);
  mirror_.set_group_enable(group, enable);
}

abi::LookupResult ClassifierLockstep::lookup(const abi::KeyWords& key) {
  ++lookups_;
  abi::LookupResult a = primary_->lookup(key);
  abi::LookupResult b = shadow_->lookup(key);
  if (lookups_ == inject_at_) {  // injected fault: one entry more or less in the shadow's answer
    if (b.matches.empty())
      b.matches.push_back(0);
    else
      b.matches.pop_back();
  }
  if (a.matches != b.matches || a.cycles != b.cycles) {
    std::string msg = describe(key, a, b);
    {
      std::lock_guard<std::mutex> l(g_mu);
      if (!g_first) g_first = msg;
    }
    if (!on_divergence_) throw LockstepDivergence(msg);
    if (!diverged_) on_divergence_(msg);
    diverged_ = true;
  }
  return a;
}

std::string ClassifierLockstep::describe(const abi::KeyWords& key, const abi::LookupResult& a,
                                         const abi::LookupResult& b) const {
  const abi::EntryWords ext = mirror_.extend(key);
  std::ostringstream o;
  o << "classifier lockstep divergence at lookup " << lookups_ << " (after " << writes_ << " table writes)\n"
    << "  key            " << hex_words(key.data(), key.size()) << "\n"
    << "  range-unit bits " << hex_words(ext.data() + abi::KEY_IN_WORDS, abi::ENTRY_WORDS - abi::KEY_IN_WORDS) << "\n"
    << "  " << primary_->name() << " answer  " << list(a.matches) << " (" << a.cycles << " cycles)\n"
    << "  " << shadow_->name() << " answer  " << list(b.matches) << " (" << b.cycles << " cycles)\n";
  std::set<uint32_t> sa(a.matches.begin(), a.matches.end()), sb(b.matches.begin(), b.matches.end()), diff;
  std::set_symmetric_difference(sa.begin(), sa.end(), sb.begin(), sb.end(), std::inserter(diff, diff.end()));
  if (diff.empty()) {  // same set: order or cycles differ; show the first few entries reported
    for (uint32_t i : sa)
      if (diff.size() < 4) diff.insert(i);
  }
  o << "  entries on which they disagree (as written):\n";
  size_t shown = 0;
  for (uint32_t i : diff) {
    if (++shown > 16) {
      o << "    ... " << diff.size() - 16 << " more\n";
      break;
    }
    if (i >= mirror_.depth()) {
      o << "    entry " << i << ": out of range (depth " << mirror_.depth() << ")\n";
      continue;
    }
    const abi::Entry& e = mirror_.entry(i);
    bool ternary = true;
    for (unsigned w = 0; w < abi::ENTRY_WORDS; ++w) ternary = ternary && ((ext[w] & e.mask[w]) == e.value[w]);
    o << "    entry " << i << ": " << primary_->name() << (sa.count(i) ? " matches" : " no match") << ", "
      << shadow_->name() << (sb.count(i) ? " matches" : " no match") << "; valid " << e.valid << " group " << e.group
      << " (enabled " << mirror_.group_enabled(e.group) << "), ternary match " << ternary << "\n"
      << "      value " << hex_words(e.value.data(), e.value.size()) << "\n"
      << "      mask  " << hex_words(e.mask.data(), e.mask.size()) << "\n";
  }
  return o.str();
}

std::optional<std::string> ClassifierLockstep::first_divergence() {
  std::lock_guard<std::mutex> l(g_mu);
  return g_first;
}

}  // namespace dfc::model
