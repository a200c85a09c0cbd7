#include "dfc/dtcp/seq_window.hpp"

namespace dfc::dtcp {

SeqWindow::Result SeqWindow::classify(uint64_t seq) const {
  if (!have_) return Result::Accepted;
  const uint64_t fwd = seq - max_;  // modulo 2^64
  const uint64_t back = max_ - seq;
  if (fwd == 0) return Result::Duplicate;
  if (fwd <= kWindow) return seq < max_ ? Result::AcceptedRollover : Result::Accepted;
  if (back <= kWindow) return seen_.test(static_cast<size_t>(back)) ? Result::Duplicate : Result::Accepted;
  // Outside both windows: behind the negative window is stale, anything else too far ahead.
  return back < (uint64_t{1} << 63) ? Result::Stale : Result::TooFarAhead;
}

SeqWindow::Result SeqWindow::check_and_record(uint64_t seq) {
  Result r = classify(seq);
  if (!accepted(r)) return r;
  if (!have_) {
    have_ = true;
    max_ = seq;
    seen_.reset();
    seen_.set(0);
    return r;
  }
  const uint64_t fwd = seq - max_;
  if (fwd >= 1 && fwd <= kWindow) {
    seen_ <<= static_cast<size_t>(fwd);
    seen_.set(0);
    max_ = seq;
  } else {
    seen_.set(static_cast<size_t>(max_ - seq));
  }
  return r;
}

const char* to_string(SeqWindow::Result r) {
  switch (r) {
    case SeqWindow::Result::Accepted: return "accepted";
    case SeqWindow::Result::AcceptedRollover: return "accepted (rollover)";
    case SeqWindow::Result::Duplicate: return "duplicate";
    case SeqWindow::Result::Stale: return "stale";
    case SeqWindow::Result::TooFarAhead: return "too far ahead";
  }
  return "?";
}

}  // namespace dfc::dtcp
