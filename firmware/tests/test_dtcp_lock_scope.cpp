// What a DTCP request does with the criteria lock held, and what it does without
// (docs/firmware-concurrency.md §4 rules 9 and 11): admit() parses and authenticates without
// writing shared state, the HMAC of every reply is computed at the flush (outside the lock),
// and a LIST answer is a snapshot taken under the lock and packed after it.
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "dfc/hal/card_map.hpp"
#include "dtcp_test_util.hpp"

namespace dtcp_test {
namespace {

class LockScope : public ServerTest {
 protected:
  LockScope() {
    srv.set_deferred_transmit(true);
    hal.on_hmac = [this] {
      ++macs;
      macs_locked += hal.any_lock_held();
    };
  }
  Packet datagram(const Src& s, const std::string& bytes) const { return ServerTest::datagram(s, bytes, port_of(s)); }
  // As Firmware::on_control: admit without the lock, the request under it, a LIST answer
  // packed without it and queued under it.
  void on_control(const Packet& p, bool pack_between = true) {
    const auto a = srv.admit(p);
    dfc::dtcp::Server::Deferred later;
    hal.lock_acquire(dfc::cardmap::HW_LOCK_CRITERIA);
    srv.on_admitted(p, a, &later);
    hal.lock_release(dfc::cardmap::HW_LOCK_CRITERIA);
    if (!later.list) return;
    if (between) between();
    if (pack_between) srv.format_deferred(later);
    hal.lock_acquire(dfc::cardmap::HW_LOCK_CRITERIA);
    srv.queue_deferred(later);
    hal.lock_release(dfc::cardmap::HW_LOCK_CRITERIA);
  }
  // n criteria of cs1 (192.0.2.1 ..), added the firmware's way; their ids.
  std::vector<uint32_t> add_criteria(int n) {
    std::vector<uint32_t> ids;
    for (int i = 1; i <= n; ++i) {
      on_control(datagram(cs1, build(cs1, "ADD", {{"Cdest-ID", "cd1"}, {"Dest-Address", "192.0.2." + std::to_string(i)}, {"Timeout-Idle", "60"}}, ++seq1)));
      srv.flush_transmit();
      const auto r = collect(cs1);
      EXPECT_EQ(r.size(), 1u);
      ids.push_back(r.empty() ? 0 : static_cast<uint32_t>(std::stoul(r[0].get("Criteria-ID").value_or("0"))));
    }
    return ids;
  }
  unsigned macs = 0, macs_locked = 0;
  std::function<void()> between;  // another core, after the snapshot and before the packing
};

TEST_F(LockScope, AdmitWritesNothingAndTheRefusalIsCountedUnderTheLock) {
  std::string tampered = build(cs1, "NOOP", {}, ++seq1);
  tampered[0] = 'X';  // the signed bytes changed: the digest no longer matches
  const Packet forged = datagram(cs1, tampered);
  const auto before = srv.counters();
  const auto a = srv.admit(forged);
  EXPECT_EQ(a.outcome, dfc::dtcp::Server::Admission::Outcome::BadAuthentication);
  EXPECT_EQ(srv.counters().control_packets, before.control_packets) << "admit counts nothing";
  EXPECT_EQ(srv.counters().bad_authentication, before.bad_authentication);
  EXPECT_EQ(macs, 1u) << "the HMAC is checked in admit";
  EXPECT_EQ(macs_locked, 0u);
  srv.on_admitted(forged, a);
  EXPECT_EQ(srv.counters().control_packets, before.control_packets + 1);
  EXPECT_EQ(srv.counters().bad_authentication, before.bad_authentication + 1);
  EXPECT_EQ(srv.admit(datagram(csa, build(csa, "NOOP", {}, ++seqa))).outcome,
            dfc::dtcp::Server::Admission::Outcome::Admitted);
}

TEST_F(LockScope, EveryReplyIsSignedAtTheFlushWithoutTheLock) {
  const uint64_t s = ++seq1;
  on_control(datagram(cs1, build(cs1, "NOOP", {{"Flags", "SendAsync"}}, s)));
  EXPECT_EQ(macs, 1u) << "only the request's check so far: the reply and the 131 wait unsigned";
  EXPECT_TRUE(srv.flush_transmit());
  EXPECT_EQ(macs, 4u) << "the reply and the 131 to each of cs1's two targets, signed at the flush";
  EXPECT_EQ(macs_locked, 0u) << "no HMAC with the criteria lock held";
  const auto replies = collect(cs1);  // verifies every signature
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].get("Seq").value_or(""), std::to_string(s));
  EXPECT_EQ(take_notes(cs1.key).size(), 2u) << "the 131 to both notification targets, each signed";
  EXPECT_EQ(hal.lock_errors, 0u);
}

// The answer shows the table as it was when the request was handled, even if a criterion goes
// (another core's packet timeout) before it is packed.
TEST_F(LockScope, AListAnswerIsTheSnapshotTakenUnderTheLock) {
  const std::vector<uint32_t> ids = add_criteria(3);
  bool deferred = false;
  between = [&] {
    deferred = true;
    EXPECT_FALSE(hal.any_lock_held()) << "packed without the lock";
    EXPECT_FALSE(srv.flush_transmit()) << "nothing of the answer is queued before it is packed";
    EXPECT_TRUE(srv.delete_criterion(ids[1], dfc::dtcp::DeleteReason::Explicit));
  };
  const uint64_t s = ++seq1;
  on_control(datagram(cs1, build(cs1, "LIST", {}, s)));
  EXPECT_TRUE(deferred) << "the answer is left to pack after the lock";
  EXPECT_TRUE(srv.flush_transmit());
  const auto replies = collect(cs1);
  ASSERT_EQ(replies.size(), 1u);
  const Message& m = replies[0];
  EXPECT_EQ(m.get("Seq").value_or(""), std::to_string(s));
  EXPECT_EQ(m.get("Criteria-Count").value_or(""), "3") << "the deletion came after the snapshot";
  std::vector<std::string> listed;
  for (const auto& prm : m.params)
    if (prm.name == "Criteria-ID") listed.push_back(prm.value);
  EXPECT_EQ(listed, (std::vector<std::string>{std::to_string(ids[0]), std::to_string(ids[1]), std::to_string(ids[2])}));
  EXPECT_EQ(macs_locked, 0u);
  EXPECT_EQ(hal.lock_errors, 0u);
}

// Without a place to defer to (on_datagram, the unit tests' and single-core hosts' path) the
// answer is packed and queued at once: the same bytes.
TEST_F(LockScope, AListPackedAtOnceIsTheSameAnswer) {
  add_criteria(2);
  const uint64_t s1 = ++seq1;
  on_control(datagram(cs1, build(cs1, "LIST", {{"Flags", "Both"}}, s1)));
  srv.flush_transmit();
  const auto deferred = hal.sent;
  hal.sent.clear();
  seq1 = s1 - 1;  // the same Seq again: the window was reset below
  srv.reset_sequence("cs1");
  deliver(cs1, build(cs1, "LIST", {{"Flags", "Both"}}, s1));
  srv.flush_transmit();
  ASSERT_EQ(hal.sent.size(), deferred.size());
  for (size_t i = 0; i < deferred.size(); ++i) EXPECT_EQ(hal.sent[i].data, deferred[i].data) << "packet " << i;
}

// A multi-core card's way (Firmware::on_idle): the answer is handed over under the lock and
// packed a few entries per call by whichever thread has time, one thread at a time; a request
// handled meanwhile is answered first; the answer is the one packed at once.
TEST_F(LockScope, AListAnswerIsPackedInChunksAndLaterRepliesDoNotWaitForIt) {
  add_criteria(5);
  const uint64_t s_list = ++seq1;
  const Packet list = datagram(cs1, build(cs1, "LIST", {{"Flags", "Both"}}, s_list));
  {
    const auto a = srv.admit(list);
    dfc::dtcp::Server::Deferred later;
    hal.lock_acquire(dfc::cardmap::HW_LOCK_CRITERIA);
    srv.on_admitted(list, a, &later);
    ASSERT_TRUE(later.list);
    srv.defer_list(later);
    hal.lock_release(dfc::cardmap::HW_LOCK_CRITERIA);
  }
  const uint64_t s_noop = ++seq1;
  on_control(datagram(cs1, build(cs1, "NOOP", {}, s_noop)));
  EXPECT_TRUE(srv.flush_transmit());
  auto first = collect(cs1);
  ASSERT_EQ(first.size(), 1u) << "only the NOOP's reply: the answer is not packed yet";
  EXPECT_EQ(first[0].get("Seq").value_or(""), std::to_string(s_noop));
  // Five entries, two a call: three calls pack it, the last queues it. A second core that
  // comes while one packs returns at once.
  unsigned calls = 0, other_core = 0;
  hal.on_lock_acquire = [&](unsigned) {
    if (srv.pack_lists(2)) ++other_core;
  };
  while (srv.pack_lists(2)) {
    ++calls;
    if (calls < 3) {
      EXPECT_FALSE(srv.flush_transmit()) << "nothing queued before the answer is whole";
    }
    ASSERT_LE(calls, 5u);
  }
  hal.on_lock_acquire = nullptr;
  EXPECT_EQ(calls, 3u);
  EXPECT_EQ(other_core, 0u);
  EXPECT_TRUE(srv.flush_transmit());
  const auto chunked = hal.sent;
  const auto answer = collect(cs1);
  ASSERT_FALSE(answer.empty());
  EXPECT_EQ(answer[0].get("Seq").value_or(""), std::to_string(s_list));
  EXPECT_EQ(answer[0].get("Criteria-Count").value_or(""), "5");
  // The same request answered at once (the Seq window reset to take it again).
  srv.reset_sequence("cs1");
  deliver(cs1, build(cs1, "LIST", {{"Flags", "Both"}}, s_list));
  srv.flush_transmit();
  ASSERT_EQ(hal.sent.size(), chunked.size());
  for (size_t i = 0; i < chunked.size(); ++i) EXPECT_EQ(hal.sent[i].data, chunked[i].data) << "packet " << i;
  EXPECT_EQ(macs_locked, 0u);
  EXPECT_EQ(hal.lock_errors, 0u);
}

// A LIST answer of several packets waits in its own queue: a reply queued after it leaves first,
// and the answer's packets then leave in order (firmware-concurrency.md §4 rule 12).
TEST_F(LockScope, AReplyQueuedAfterALongListAnswerLeavesBeforeIt) {
  add_criteria(40);
  const uint64_t s_list = ++seq1;
  on_control(datagram(cs1, build(cs1, "LIST", {{"Flags", "Both"}}, s_list)));
  const uint64_t s_noop = ++seq1;
  on_control(datagram(cs1, build(cs1, "NOOP", {}, s_noop)));
  ASSERT_TRUE(srv.flush_transmit(1));
  auto first = collect(cs1);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].get("Seq").value_or(""), std::to_string(s_noop)) << "the NOOP's reply, queued last, leaves first";
  srv.flush_transmit();
  const auto answer = collect(cs1);
  ASSERT_GT(answer.size(), 1u) << "40 criteria take several packets";
  for (const auto& m : answer) EXPECT_EQ(m.get("Seq").value_or(""), std::to_string(s_list));
  EXPECT_EQ(answer[0].get("Criteria-Count").value_or(""), "40");
  EXPECT_EQ(hal.lock_errors, 0u);
}

}  // namespace
}  // namespace dtcp_test
