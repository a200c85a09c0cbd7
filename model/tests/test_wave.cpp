// WaveRecorder (model/card/wave.hpp) on its own: steps reported out of time order come out
// sorted and exact, a window folds what is before it into the start values and drops what is
// after, a flush at a floor writes only what is older, and busy/count signals dump as documented.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtkwave/fstapi.h>

#include "wave.hpp"

namespace dfc::model {
namespace {

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

// The value-change section: "#t" lines and value lines, in order.
std::vector<std::string> changes(const std::string& vcd) {
  std::vector<std::string> out;
  std::istringstream in(vcd.substr(vcd.find("$enddefinitions $end") + 20));
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

TEST(WaveRecorder, SortsOutOfOrderStepsAndDumpsCountsAndBusy) {
  const std::string path = ::testing::TempDir() + "wave_sort.vcd";
  {
    WaveRecorder w(path, WaveRecorder::Format::Vcd, 0, UINT64_MAX);
    const int depth = w.add("card.ingress", "ring_depth", WaveRecorder::Kind::Count, 4);
    const int busy = w.add("card.core0", "busy", WaveRecorder::Kind::Busy);
    w.interval(busy, 300, 500);  // a leading core first
    w.interval(busy, 100, 200);  // then one that lags
    w.interval(busy, 450, 600);  // overlaps: stays high until 600
    w.step(depth, 150, +1);
    w.step(depth, 120, +1);
    w.step(depth, 400, -2);
    w.close(1000);
  }
  const std::string v = slurp(path);
  EXPECT_NE(v.find("$timescale 1ps $end"), std::string::npos);
  EXPECT_NE(v.find("$scope module card $end\n$scope module ingress $end"), std::string::npos) << v;
  const std::vector<std::string> want = {"#0",   "b0000 !", "0\"",  "#100", "1\"", "#120", "b0001 !", "#150",
                                         "b0010 !", "#200", "0\"", "#300", "1\"", "#400", "b0000 !", "#600",
                                         "0\"", "#1000"};
  EXPECT_EQ(changes(v), want) << v;
}

TEST(WaveRecorder, WindowFoldsTheEarlierStepsAndDropsTheLaterOnes) {
  const std::string path = ::testing::TempDir() + "wave_window.vcd";
  {
    WaveRecorder w(path, WaveRecorder::Format::Vcd, 1000, 2000);
    const int d = w.add("card.egress", "queue_depth", WaveRecorder::Kind::Count, 4);
    w.interval(d, 500, 1500);   // queued before the window: 1 at its start
    w.interval(d, 800, 900);    // in and out before it: invisible
    w.interval(d, 1000, 1200);  // at its start: one time point with the start values
    w.interval(d, 1800, 2500);  // leaves after it
    w.step(d, 2600, +1);        // after it: dropped
    w.close(5000);
  }
  const std::vector<std::string> want = {"#1000", "b0001 !", "b0010 !", "#1200", "b0001 !", "#1500",
                                         "b0000 !", "#1800",   "b0001 !", "#2000"};
  EXPECT_EQ(changes(slurp(path)), want);
}

TEST(WaveRecorder, FlushWritesOnlyWhatIsOlderThanTheFloor) {
  const std::string path = ::testing::TempDir() + "wave_flush.vcd";
  WaveRecorder w(path, WaveRecorder::Format::Vcd, 0, UINT64_MAX);
  const int b = w.add("card.interconnect", "busy", WaveRecorder::Kind::Busy);
  w.interval(b, 100, 200);
  w.interval(b, 700, 800);
  w.flush(500);
  EXPECT_EQ(w.last_ps(), 200u);
  w.interval(b, 600, 650);  // older than what is buffered, newer than the floor: still in order
  w.close(1000);
  const std::vector<std::string> want = {"#0", "0!", "#100", "1!", "#200", "0!", "#600", "1!",
                                         "#650", "0!", "#700", "1!", "#800", "0!", "#1000"};
  EXPECT_EQ(changes(slurp(path)), want);
  EXPECT_THROW(WaveRecorder("/nonexistent-dir/x.vcd", WaveRecorder::Format::Vcd, 0, 1), std::runtime_error);
}

TEST(WaveRecorder, FstOpensWithTheFstReader) {
  const std::string path = ::testing::TempDir() + "wave.fst";
  {
    WaveRecorder w(path, WaveRecorder::Format::Fst, 100, UINT64_MAX);
    const int b = w.add("card.core0", "busy", WaveRecorder::Kind::Busy);
    const int d = w.add("card.egress", "queue_depth", WaveRecorder::Kind::Count);
    w.interval(b, 150, 400);
    w.interval(d, 50, 300);
    w.close(1000);
  }
  void* rd = fstReaderOpen(path.c_str());
  ASSERT_NE(rd, nullptr);
  EXPECT_EQ(fstReaderGetTimescale(rd), -12);
  EXPECT_EQ(fstReaderGetStartTime(rd), 100u);
  EXPECT_EQ(fstReaderGetEndTime(rd), 1000u);
  EXPECT_EQ(fstReaderGetVarCount(rd), 2u);
  fstReaderClose(rd);
}

}  // namespace
}  // namespace dfc::model
