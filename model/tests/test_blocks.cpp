// SystemC-free pieces of the card model: the cache, the occupancy timeline, the profiles.
#include <gtest/gtest.h>

#include "cache.hpp"
#include "profile.hpp"
#include "timed_words.hpp"
#include "timeline.hpp"

namespace {
using namespace dfc::model;

TEST(Cache, LruEvictsTheLeastRecentlyUsedWay) {
  Cache c(2 * 64, 64, 2);  // one set, two ways
  EXPECT_FALSE(c.access(0, false).hit);
  EXPECT_FALSE(c.access(64, false).hit);
  EXPECT_TRUE(c.access(0, false).hit);   // 0 is now most recent
  EXPECT_FALSE(c.access(128, true).hit); // evicts 64
  EXPECT_TRUE(c.access(0, false).hit);
  EXPECT_FALSE(c.access(64, false).hit); // evicts 128 (dirty)
}

TEST(Cache, DirtyVictimIsWrittenBackWithItsAddress) {
  Cache c(64, 64, 1);
  c.access(0x1000, true);
  const Cache::Result r = c.access(0x2000, false);
  EXPECT_FALSE(r.hit);
  EXPECT_TRUE(r.writeback);
  EXPECT_EQ(r.victim, 0x1000u);
}

TEST(Cache, WorkingSetBeyondCapacityMisses) {
  Cache c(32 * 1024, 64, 4);
  uint64_t hits_small = 0, hits_big = 0;
  for (int pass = 0; pass < 4; ++pass)
    for (uint64_t a = 0; a < 16 * 1024; a += 64) hits_small += c.access(a, false).hit;
  Cache d(32 * 1024, 64, 4);
  for (int pass = 0; pass < 4; ++pass)
    for (uint64_t a = 0; a < 1024 * 1024; a += 64) hits_big += d.access(a, false).hit;
  EXPECT_EQ(hits_small, 3u * 256);  // everything but the first pass hits
  EXPECT_EQ(hits_big, 0u);          // streaming 1 MiB through 32 KiB: LRU never hits
}

TEST(Occupancy, OverlappingRequestsWaitOthersDoNot) {
  Occupancy o;
  EXPECT_EQ(o.book(100, 300), 100u);
  EXPECT_EQ(o.book(150, 300), 400u);  // collides: waits for the first
  EXPECT_EQ(o.book(5000, 10), 5000u); // far later: free
  EXPECT_EQ(o.book(120, 100), 700u);  // a late (out-of-order) request in the busy window
  EXPECT_EQ(o.busy_ps(), 710u);
  EXPECT_EQ(o.wait_ps(), 250u + 580u);
}

TEST(Occupancy, LongBookingMakesOverlappingRequestsWait) {
  Occupancy o;
  EXPECT_EQ(o.book(0, 1500), 0u);
  EXPECT_EQ(o.book(10, 100), 1500u);
}

TEST(Occupancy, RequestNeverWaitsForABookingThatDoesNotOverlapIt) {
  // An idle resource: a booking at 400 ns, then a request at 10 ns (an out-of-order host run)
  // starts at 10 ns, not behind the later booking.
  Occupancy o;
  EXPECT_EQ(o.book(400'000, 20'000), 400'000u);
  EXPECT_EQ(o.book(10'000, 30'000), 10'000u);
  EXPECT_EQ(o.wait_ps(), 0u);
  // A request whose service does not fit the gap before a booking continues after it.
  EXPECT_EQ(o.book(390'000, 20'000), 390'000u + 20'000u);  // 10 ns before, 10 ns after [400, 420)
  EXPECT_EQ(o.book(395'000, 1'000), 430'000u);            // everything from 390 to 430 is taken
}

TEST(Occupancy, ForgetsIntervalsBeforeTheFloor) {
  Occupancy o;
  for (uint64_t i = 0; i < 100; ++i) o.book(i * 1000, 10);
  EXPECT_EQ(o.intervals(), 100u);
  o.book(200'000, 10, 150'000);
  EXPECT_EQ(o.intervals(), 1u);
}

TEST(Profile, BuiltinsLoadAndDiffer) {
  const CardProfile a = load_profile("ms3"), b = load_profile("ms400");
  EXPECT_EQ(a.cores, 2u);
  EXPECT_EQ(b.cores, 8u);
  EXPECT_EQ(b.threads_per_core, 4u);
  EXPECT_GE(b.control_cores, 1u);
  EXPECT_EQ(b.hash_key, 4u);  // layer-4
  EXPECT_LT(a.core_hz, b.core_hz);
  EXPECT_EQ(a.classifier_depth, 2048u);
}

TEST(Profile, SetOverridesAndRejectsUnknownOrBadValues) {
  CardProfile p = load_profile("ms400", {"cores=4", "core_hz=5e8", "l1.bytes=65536"});
  EXPECT_EQ(p.cores, 4u);
  EXPECT_DOUBLE_EQ(p.core_hz, 5e8);
  EXPECT_DOUBLE_EQ(p.get("l1.bytes"), 65536);
  EXPECT_THROW(p.set("no_such_key=1"), ProfileError);
  EXPECT_THROW(p.set("cores=two"), ProfileError);
  EXPECT_THROW(p.set("cores=2.5"), ProfileError);
  EXPECT_THROW(p.set("cores"), ProfileError);
  EXPECT_THROW(load_profile("/nonexistent/profile.json"), ProfileError);
  EXPECT_THROW(parse_profile("{\"cores\": \"x\"}", "t"), ProfileError);
  EXPECT_THROW(parse_profile("{\"bogus\": 1}", "t"), ProfileError);
}

}  // namespace

namespace {

using dfc::model::TimedWords;

TEST(TimedWords, AReadSeesTheLatestWriteAtOrBeforeItsTime) {
  TimedWords w;
  EXPECT_EQ(w.read(0x100, 0, 0), 0u);  // never written
  w.write(0x100, 7, 0, 0);              // boot: settled at once
  w.write(0x100, 9, 5'000, 0);          // a DMA write at 5 ns, ahead of SystemC time
  EXPECT_EQ(w.read(0x100, 4'999, 0), 7u) << "a reader that lags sees the older value";
  EXPECT_EQ(w.read(0x100, 5'000, 0), 9u);
  w.write(0x100, 3, 2'000, 0);  // a write in the past of the pending one, arriving later
  EXPECT_EQ(w.read(0x100, 1'999, 0), 7u);
  EXPECT_EQ(w.read(0x100, 2'000, 0), 3u);
  EXPECT_EQ(w.read(0x100, 6'000, 0), 9u);
}

TEST(TimedWords, WritesBeforeTheFloorSettle) {
  TimedWords w;
  w.write(0x200, 1, 1'000, 0);
  w.write(0x200, 2, 3'000, 0);
  // SystemC time has passed 3 ns: no reader can be earlier, so both writes are settled and a
  // read "at" an earlier time (impossible from now on) sees the last.
  EXPECT_EQ(w.read(0x200, 500, 3'000), 2u);
}

}  // namespace
