// The report's accounting equations (report/accounting.hpp).
#include <gtest/gtest.h>

#include "report/accounting.hpp"

using dfc::tb::AccountingInputs;
using dfc::tb::accounting_json;

namespace {
AccountingInputs balanced() {
  AccountingInputs a;
  a.packets_in = 100;
  a.processed = a.fw_packets_in = 90;
  a.ingress_drops["ingress_buffer_full"] = 10;
  a.matched = 40;
  a.unmatched = 45;
  a.not_intercepted = {{"non_ip", 3}, {"mpls", 2}};
  a.copies_chosen = 60;
  a.copies_sent = 50;
  a.copies_max_duplicates = 6;
  a.copies_tx_queue_full = 3;
  a.copies_unknown_destination = 1;
  a.copies_per_destination_sum = 50;
  a.egress_accepted = 50;
  a.egress_dropped_queue = 3;
  a.copies_written = 50;
  return a;
}
}  // namespace

TEST(Accounting, BalancedWhenEveryPacketAndCopyIsCountedOnce) {
  const auto j = accounting_json(balanced());
  EXPECT_EQ(j["balanced"], 1);
  EXPECT_TRUE(j["errors"].empty());
  EXPECT_EQ(j["egress"]["handed"], 53);
}

TEST(Accounting, EachEquationIsChecked) {
  auto a = balanced();
  a.ingress_drops["ingress_buffer_full"] = 9;
  auto j = accounting_json(a);
  EXPECT_EQ(j["balanced"], 0);
  EXPECT_EQ(j["ingress_balanced"], 0);
  a = balanced();
  a.not_intercepted["mpls"] = 3;
  EXPECT_EQ(accounting_json(a)["processing_balanced"], 0);
  a = balanced();
  a.copies_max_duplicates = 7;
  EXPECT_EQ(accounting_json(a)["copies_balanced"], 0);
  a = balanced();
  a.egress_dropped_queue = 6;  // a tx-queue drop counted twice
  j = accounting_json(a);
  EXPECT_EQ(j["egress_balanced"], 0);
  EXPECT_EQ(j["balanced"], 0);
  ASSERT_EQ(j["errors"].size(), 1u);
  a = balanced();
  a.copies_written = 49;
  EXPECT_EQ(accounting_json(a)["egress_balanced"], 0);
}
