// The race detector's core (model/race/detector.hpp) against hand-built histories whose answer is
// known: which pairs of accesses are ordered by which synchronisation, and which race.
#include "race/detector.hpp"

#include <gtest/gtest.h>

namespace {

using dfc::race::Detector;
using dfc::race::Sync;

constexpr uint64_t kX = 0x1000, kY = 0x2000;

TEST(RaceDetector, UnsynchronisedWriteThenReadRaces) {
  Detector d(2);
  d.access(0, kX, 4, true, 0x10, 100);
  d.access(1, kX, 4, false, 0x20, 200);
  ASSERT_EQ(d.races().size(), 1u);
  const auto& r = d.races()[0];
  EXPECT_EQ(r.address, kX);
  EXPECT_EQ(r.first.thread, 0u);
  EXPECT_TRUE(r.first.write);
  EXPECT_EQ(r.first.pc, 0x10u);
  EXPECT_EQ(r.first.time_ps, 100u);
  EXPECT_EQ(r.second.thread, 1u);
  EXPECT_FALSE(r.second.write);
  EXPECT_EQ(r.second.pc, 0x20u);
  EXPECT_EQ(d.accesses(), 2u);
}

TEST(RaceDetector, ReadsNeverRaceWithReads) {
  Detector d(3);
  for (unsigned t = 0; t < 3; ++t) d.access(t, kX, 8, false, 0x10 + t, t);
  EXPECT_TRUE(d.races().empty());
}

TEST(RaceDetector, SameThreadNeverRaces) {
  Detector d(2);
  d.access(1, kX, 4, true, 0x10, 1);
  d.access(1, kX, 4, false, 0x14, 2);
  d.access(1, kX, 4, true, 0x18, 3);
  EXPECT_TRUE(d.races().empty());
}

TEST(RaceDetector, LockOrdersTheCriticalSections) {
  Detector d(2);
  d.acquire(0, Sync::Lock, 1);
  d.access(0, kX, 4, true, 0x10, 1);
  d.release(0, Sync::Lock, 1);
  d.acquire(1, Sync::Lock, 1);
  d.access(1, kX, 4, true, 0x20, 2);
  d.access(1, kX, 4, false, 0x24, 3);
  d.release(1, Sync::Lock, 1);
  EXPECT_TRUE(d.races().empty());
  EXPECT_EQ(d.sync_events(Sync::Lock), 4u);
}

TEST(RaceDetector, AnotherLockDoesNotOrder) {
  Detector d(2);
  d.acquire(0, Sync::Lock, 1);
  d.access(0, kX, 4, true, 0x10, 1);
  d.release(0, Sync::Lock, 1);
  d.acquire(1, Sync::Lock, 2);  // a different semaphore
  d.access(1, kX, 4, true, 0x20, 2);
  d.release(1, Sync::Lock, 2);
  EXPECT_EQ(d.races().size(), 1u);
}

TEST(RaceDetector, WritesAfterTheReleaseAreNotCovered) {
  Detector d(2);
  d.acquire(0, Sync::Lock, 1);
  d.release(0, Sync::Lock, 1);
  d.access(0, kX, 4, true, 0x10, 1);  // after the release: not ordered before thread 1's acquire
  d.acquire(1, Sync::Lock, 1);
  d.access(1, kX, 4, false, 0x20, 2);
  EXPECT_EQ(d.races().size(), 1u);
}

TEST(RaceDetector, HappensBeforeIsTransitive) {
  Detector d(3);
  d.access(0, kX, 4, true, 0x10, 1);
  d.release(0, Sync::Lock, 1);
  d.acquire(1, Sync::Lock, 1);
  d.release(1, Sync::Buffer, 0x8000);  // thread 1 hands a buffer on to thread 2
  d.acquire(2, Sync::Buffer, 0x8000);
  d.access(2, kX, 4, true, 0x20, 2);
  EXPECT_TRUE(d.races().empty());
}

TEST(RaceDetector, SyncKindsAreSeparateNameSpaces) {
  Detector d(2);
  d.access(0, kX, 4, true, 0x10, 1);
  d.release(0, Sync::Lock, 7);
  d.acquire(1, Sync::Timer, 7);  // same number, other kind: no edge
  d.access(1, kX, 4, true, 0x20, 2);
  EXPECT_EQ(d.races().size(), 1u);
}

TEST(RaceDetector, AtomicsOrderAndDoNotRace) {
  Detector d(2);
  d.access(0, kX, 4, true, 0x10, 1);
  d.atomic(0, kY);  // e.g. a flag set with an atomic store
  d.atomic(1, kY);  // the other thread sees it
  d.access(1, kX, 4, false, 0x20, 2);
  EXPECT_TRUE(d.races().empty());
  EXPECT_EQ(d.sync_events(Sync::Atomic), 4u);
}

TEST(RaceDetector, DisjointBytesOfOneGranuleDoNotRace) {
  Detector d(2);
  d.access(0, kX, 2, true, 0x10, 1);      // bytes 0..1
  d.access(1, kX + 4, 4, true, 0x20, 2);  // bytes 4..7 of the same 8-byte granule
  d.access(1, kX + 2, 1, false, 0x24, 3);
  EXPECT_TRUE(d.races().empty());
  d.access(1, kX + 1, 1, false, 0x28, 4);  // byte 1: thread 0 wrote it
  ASSERT_EQ(d.races().size(), 1u);
  EXPECT_EQ(d.races()[0].address, kX + 1);
}

TEST(RaceDetector, RangesSpanGranules) {
  Detector d(2);
  d.access(0, kX, 64, true, 0x10, 1);
  d.access(1, kX + 60, 2, false, 0x20, 2);
  ASSERT_EQ(d.races().size(), 1u);
  EXPECT_EQ(d.races()[0].address, kX + 60);
}

TEST(RaceDetector, ReadThenUnorderedWriteRaces) {
  Detector d(3);
  d.access(0, kX, 4, false, 0x10, 1);
  d.access(1, kX, 4, false, 0x14, 2);
  d.release(1, Sync::Lock, 1);
  d.acquire(2, Sync::Lock, 1);
  d.access(2, kX, 4, true, 0x20, 3);  // ordered after thread 1's read, not thread 0's
  ASSERT_EQ(d.races().size(), 1u);
  EXPECT_EQ(d.races()[0].first.thread, 0u);
  EXPECT_FALSE(d.races()[0].first.write);
}

TEST(RaceDetector, ForgetEndsTheHistory) {
  Detector d(2);
  d.access(0, kX, 16, true, 0x10, 1);
  d.forget(kX, 16);  // freed and handed out again
  d.access(1, kX, 16, true, 0x20, 2);
  EXPECT_TRUE(d.races().empty());
}

TEST(RaceDetector, EachPairOfCodeLocationsIsReportedOnce) {
  Detector d(2);
  for (int i = 0; i < 10; ++i) {
    d.access(0, kX + 8 * i, 4, true, 0x10, 1);
    d.access(1, kX + 8 * i, 4, true, 0x20, 2);
  }
  EXPECT_EQ(d.races().size(), 1u);
  EXPECT_EQ(d.races_total(), 10u);
}

TEST(RaceDetector, SharedAccessIsFlagged) {
  Detector d(2);
  EXPECT_FALSE(d.access(0, kX, 4, true, 0x10, 1));
  EXPECT_FALSE(d.access(0, kX, 4, false, 0x10, 2));
  d.release(0, Sync::Lock, 1);
  d.acquire(1, Sync::Lock, 1);
  EXPECT_TRUE(d.access(1, kX, 4, false, 0x20, 3));
}

TEST(RaceDetector, RejectsBadThreadCounts) {
  EXPECT_THROW(Detector(0), std::invalid_argument);
  Detector d(2);
  EXPECT_FALSE(d.access(5, kX, 4, true, 0, 0));  // an unknown thread is ignored, not a crash
  EXPECT_EQ(d.accesses(), 0u);
}

}  // namespace
