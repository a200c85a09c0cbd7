// A checker on its own thread: every CheckerSink call is copied into a bounded queue, in call
// order, and a worker thread makes the same calls, in the same order, on the wrapped checker.
// The wrapped checker therefore sees exactly the stream it would see inline, so its verdict is
// the same (a test compares both ways); the simulation only pays for the copy.
//
// Why: the online scoreboard was about a third of a `dfcsim run` (docs/performance.md), and the
// target machine has two cores. Why bounded: memory must not grow with the run when the
// checker is slower than the card; the card then waits for it (back-pressure), it is never
// dropped from.
#pragma once
#include <cstddef>
#include <memory>

#include "checker/checker_sink.hpp"

namespace dfc::tb {

// batch: calls handed over at once (amortises the lock); max_batches: batches in flight before
// the caller waits. Memory is bounded by batch * max_batches calls (each a packet copy).
std::unique_ptr<CheckerSink> make_async_checker(std::unique_ptr<CheckerSink> inner, size_t batch = 256,
                                                size_t max_batches = 8);

}  // namespace dfc::tb
