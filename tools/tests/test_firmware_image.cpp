// `dfcsim run --firmware IMAGE`: the card running the big-endian MIPS image on its
// instruction-set simulators (docs/iss.md). Against the host-compiled firmware on the same
// scenario: the same copies and DTCP answers; what the code costs is measured (report.json
// `iss`); a byte-order slip in the parser that every host-compiled test passes is caught; and
// unannotated extra work in the packet handler lowers the card's throughput.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <unistd.h>

#include "cli_test_util.hpp"
#include "build_paths.hpp"  // DFCSIM_BIN and the other programs of bin/

namespace {
namespace fs = std::filesystem;
using dfc::test::sh;
using dfc::test::slurp;
using nlohmann::json;

const std::string kDfcsim = DFCSIM_BIN;
const std::string kBin = DFC_BIN_DIR;
const std::string kScenarios = std::string(DFC_SOURCE_DIR) + "/testbench/scenarios";

std::string image(const std::string& name) { return kBin + "/" + name; }

fs::path fresh_dir(const std::string& tag) {
  const fs::path p = fs::temp_directory_path() / ("dfcsim-image-" + std::to_string(getpid()) + "-" + tag);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

struct Outcome {
  int rc = -1;
  std::string out;
  json report;
  fs::path dir;
};

Outcome run(const std::string& args, const std::string& tag) {
  Outcome r;
  r.dir = fresh_dir(tag);
  const auto c = sh("'" + kDfcsim + "' run " + args + " --out '" + r.dir.string() + "' 2>&1");
  r.rc = c.rc;
  r.out = c.out;
  const std::string text = slurp((r.dir / "report.json").string());
  if (!text.empty()) r.report = json::parse(text);
  return r;
}

// Every copy's bytes per destination file, sorted: threads whose code costs differ finish in
// another order, so a file's order may differ between the two builds; its contents may not.
std::map<std::string, std::vector<std::string>> copies(const fs::path& dir) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("cdest-", 0) != 0) continue;
    const std::string d = slurp(e.path().string());
    std::vector<std::string>& v = out[name];
    for (size_t o = 24; o + 16 <= d.size();) {
      const auto* h = reinterpret_cast<const unsigned char*>(d.data() + o + 8);
      const uint32_t len = uint32_t{h[0]} | uint32_t{h[1]} << 8 | uint32_t{h[2]} << 16 | uint32_t{h[3]} << 24;
      v.push_back(d.substr(o + 16, len));
      o += 16 + len;
    }
    std::sort(v.begin(), v.end());
  }
  return out;
}

size_t count(const std::map<std::string, std::vector<std::string>>& c) {
  size_t n = 0;
  for (const auto& [k, v] : c) n += v.size();
  return n;
}

class FirmwareImage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(image("dfc_firmware.elf")))
      GTEST_SKIP() << "no firmware image in " << kBin << " (the MIPS cross compiler: scripts/setup-deps.sh)";
  }
};

TEST_F(FirmwareImage, DefaultScenarioSameCopiesAndAnswersWithTheCostMeasured) {
  const Outcome host = run("", "default-host");
  const Outcome iss = run("--firmware '" + image("dfc_firmware.elf") + "'", "default-iss");
  ASSERT_EQ(host.rc, 0) << host.out;
  ASSERT_EQ(iss.rc, 0) << iss.out;
  const auto hc = copies(host.dir), ic = copies(iss.dir);
  EXPECT_GT(count(hc), 0u);
  EXPECT_EQ(hc, ic);
  EXPECT_EQ(host.report["dtcp"]["status_counts"], iss.report["dtcp"]["status_counts"]);
  EXPECT_EQ(host.report["dtcp"]["replies"], iss.report["dtcp"]["replies"]);
  EXPECT_TRUE(iss.report["scoreboard"]["pass"].get<bool>()) << iss.out;
  const json& s = iss.report["iss"];
  EXPECT_NE(s["isa"].get<std::string>().find("mips32"), std::string::npos);
  EXPECT_GT(s["instructions"].get<uint64_t>(), 0u);
  EXPECT_GT(s["boot_instructions"].get<uint64_t>(), 1'000'000u);  // the firmware's boot: tables cleared
  EXPECT_EQ(s["threads"].size(), 32u);  // ms400: 8 cores x 4 hardware threads
  for (const json& t : s["threads"]) {
    EXPECT_TRUE(t.contains("cycles") && t.contains("loads") && t.contains("stores"));
    EXPECT_LE(t["loads"].get<uint64_t>() + t["stores"].get<uint64_t>(), t["instructions"].get<uint64_t>() + 0);
  }
  // The board measured a flow miss at ~3,000 instructions and a signed ADD at ~157,000
  // (docs/iss.md); the card's per-path means are of the same code.
  EXPECT_GT(s["per_path"]["miss"].get<double>(), 1000.0);
  EXPECT_LT(s["per_path"]["miss"].get<double>(), 20000.0);
  EXPECT_GT(s["per_path"]["dtcp"].get<double>(), 20000.0);
  EXPECT_LT(s["per_path"]["dtcp"].get<double>(), 1'000'000.0);
  EXPECT_EQ(s["per_path_packets"]["dtcp"].get<uint64_t>(), 1u);
  EXPECT_FALSE(host.report.contains("iss"));
  // report.html shows what the code cost.
  const std::string html = slurp((iss.dir / "report.html").string());
  EXPECT_NE(html.find("<h2>Firmware image</h2>"), std::string::npos);
  EXPECT_NE(html.find("instructions per packet"), std::string::npos);
  EXPECT_EQ(slurp((host.dir / "report.html").string()).find("<h2>Firmware image</h2>"), std::string::npos);
}

// 1,000 criteria installed by DTCP, then traffic the card handles without loss in either build
// (so that the same packets are copied): flows repeat, so most packets are flow-table hits.
TEST_F(FirmwareImage, ThousandCriteriaMixSameCopiesAndAFlowHitCostsLessThanAMiss) {
  const fs::path dir = fresh_dir("mix-scenario");
  const json scenario = {
      {"config", kScenarios + "/configs/one-source.conf"},
      {"dtcp", kScenarios + "/dtcp/1k-criteria.dtcp"},
      {"traffic", "rate=1g,load=0.3,size=128,packets=3000,flows=100,locality=0.9,match=0.3,match-dst=10.200.0.1,"
                  "match-proto=17,match-dport=1000,seed=3"},
      {"profile", "ms400"},
      {"drain_ms", 1}};
  std::ofstream(dir / "mix.json") << scenario.dump(2);
  const std::string sc = "'" + (dir / "mix.json").string() + "'";
  const Outcome host = run(sc, "mix-host");
  const Outcome iss = run(sc + " --firmware '" + image("dfc_firmware.elf") + "'", "mix-iss");
  ASSERT_EQ(host.rc, 0) << host.out;
  ASSERT_EQ(iss.rc, 0) << iss.out;
  for (const Outcome* r : {&host, &iss}) {
    EXPECT_EQ(r->report["drops"]["ingress_buffer_full"].get<uint64_t>(), 0u);
    EXPECT_EQ(r->report["drops"]["rx_ring_full"].get<uint64_t>(), 0u);
  }
  const auto hc = copies(host.dir), ic = copies(iss.dir);
  EXPECT_GT(count(hc), 100u);
  EXPECT_EQ(hc, ic);
  EXPECT_EQ(host.report["dtcp"]["status_counts"], iss.report["dtcp"]["status_counts"]);
  EXPECT_TRUE(iss.report["scoreboard"]["pass"].get<bool>()) << iss.out;
  const json& p = iss.report["iss"]["per_path"];
  EXPECT_GT(iss.report["iss"]["per_path_packets"]["hit"].get<uint64_t>(), 1000u);
  EXPECT_GT(p["hit"].get<double>(), 500.0);
  EXPECT_LT(p["hit"].get<double>(), p["miss"].get<double>());
  EXPECT_LT(p["miss"].get<double>(), p["copy"].get<double>() + p["miss"].get<double>());
}

// A scenario names its image with "firmware" (relative to the scenario file, or absolute).
TEST_F(FirmwareImage, AScenarioNamesItsImage) {
  const fs::path dir = fresh_dir("scenario-key");
  fs::copy_file(image("dfc_firmware.elf"), dir / "fw.elf");
  const json scenario = {{"config", kScenarios + "/configs/one-source.conf"},
                         {"dtcp", kScenarios + "/dtcp/one-criterion.dtcp"},
                         {"traffic", "rate=1g,load=0.2,size=128,packets=200,flows=20,match=0.5,match-dst=10.1.1.0/24,"
                                     "match-proto=17,seed=4"},
                         {"firmware", "fw.elf"},
                         {"expect", {{"scoreboard", true}}}};
  std::ofstream(dir / "s.json") << scenario.dump(2);
  const Outcome r = run("'" + (dir / "s.json").string() + "'", "scenario-key-run");
  ASSERT_EQ(r.rc, 0) << r.out;
  EXPECT_GT(r.report["iss"]["instructions"].get<uint64_t>(), 0u);
  EXPECT_NE(r.report["iss"]["image"].get<std::string>().find("fw.elf"), std::string::npos);
  std::ofstream(dir / "bad.json") << json{{"config", kScenarios + "/configs/one-source.conf"}, {"firmware", "nope.elf"}}.dump();
  const Outcome bad = run("'" + (dir / "bad.json").string() + "'", "scenario-key-bad");
  EXPECT_EQ(bad.rc, 2) << bad.out;
  EXPECT_NE(bad.out.find("firmware"), std::string::npos) << bad.out;
}

// The image with a deliberate byte-order slip in the parser (DFC_FAULT_BYTE_ORDER): right on a
// little-endian host by accident, wrong on the big-endian target. The host build passes; the
// image's copies differ and the scoreboard fails. (The traffic runs well past the criterion's
// install, so that no packet falls in the install's ambiguity window.)
TEST_F(FirmwareImage, AByteOrderSlipInTheParserIsCaughtInImageMode) {
  const std::string sc = "--config '" + kScenarios + "/configs/one-source.conf' --dtcp '" + kScenarios +
                         "/dtcp/one-criterion.dtcp' --traffic "
                         "rate=1g,load=0.2,size=128,packets=300,flows=50,match=0.5,match-dst=10.1.1.0/24,match-proto=17,seed=2";
  const Outcome host = run(sc, "slip-host");
  const Outcome good = run(sc + " --firmware '" + image("dfc_firmware.elf") + "'", "slip-good");
  const Outcome bad = run(sc + " --firmware '" + image("dfc_firmware_fault_byte_order.elf") + "'", "slip-iss");
  ASSERT_EQ(host.rc, 0) << host.out;
  ASSERT_EQ(good.rc, 0) << good.out;
  EXPECT_GT(count(copies(host.dir)), 50u);
  EXPECT_EQ(copies(host.dir), copies(good.dir));
  ASSERT_TRUE(bad.report.is_object()) << bad.out;
  EXPECT_FALSE(bad.report["scoreboard"]["pass"].get<bool>());
  EXPECT_EQ(bad.rc, 3) << "a failed scoreboard fails the run, scenario or not: " << bad.out;
  EXPECT_GT(bad.report["scoreboard"]["missing_copies"].get<uint64_t>(), 0u);
  EXPECT_NE(copies(host.dir), copies(bad.dir));
}

// 3,000 loop iterations per packet that no Hal::work() annotation declares
// (DFC_EXTRA_PACKET_WORK): at saturation the image card's throughput must fall to at most
// 0.85x, with nothing but the code changed.
TEST_F(FirmwareImage, UnannotatedExtraWorkLowersTheThroughput) {
  const std::string sc = "--config '" + kScenarios + "/configs/one-source.conf' --dtcp '" + kScenarios +
                         "/dtcp/one-criterion.dtcp' --traffic rate=10g,load=1,size=64,packets=6000,flows=200,seed=5";
  const Outcome base = run(sc + " --firmware '" + image("dfc_firmware.elf") + "'", "work-base");
  const Outcome more = run(sc + " --firmware '" + image("dfc_firmware_extra_work.elf") + "'", "work-more");
  ASSERT_TRUE(base.report.is_object()) << base.out;
  ASSERT_TRUE(more.report.is_object()) << more.out;
  const double b = base.report["achieved_pps"].get<double>(), m = more.report["achieved_pps"].get<double>();
  ASSERT_GT(b, 0.0);
  EXPECT_LE(m, 0.85 * b) << "base " << b << " pps, extra work " << m << " pps";
  // The extra instructions are the image's own: per packet, at least the loop's iterations.
  EXPECT_GT(more.report["iss"]["per_path"]["hit"].get<double>(), base.report["iss"]["per_path"]["hit"].get<double>() + 3000);
}

}  // namespace

namespace {

// A TCP port on 127.0.0.1 nothing listens on now (the kernel's pick for port 0).
int free_port() {
  const auto c = sh("python3 -c \"import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])\"");
  return c.rc == 0 ? std::stoi(c.out) : -1;
}

// --gdb: gdb-multiarch in batch mode, as a firmware engineer would attach it. The card waits at
// boot; gdb lists every hardware thread, breaks on the packet handler, reads registers and
// memory, single-steps, and detaches; the run then completes with its copies.
TEST_F(FirmwareImage, GdbAttachesListsTheHardwareThreadsAndStopsOnThePacketHandler) {
  if (sh("command -v gdb-multiarch").rc != 0) GTEST_SKIP() << "gdb-multiarch is not installed (scripts/setup-deps.sh)";
  const int port = free_port();
  ASSERT_GT(port, 0);
  const fs::path dir = fresh_dir("gdb");
  const std::string elf = image("dfc_firmware.elf");
  const std::string target = "127.0.0.1:" + std::to_string(port);
  // gdb retries the connection (tcp auto-retry) while dfcsim starts and begins to listen.
  const auto c = sh("( timeout 120 '" + kDfcsim + "' run --firmware '" + elf + "' --gdb " + std::to_string(port) +
                    " --out '" + dir.string() + "' > '" + (dir / "dfcsim.log").string() + "' 2>&1; echo \"dfcsim exit $?\" >> '" +
                    (dir / "dfcsim.log").string() + "' ) & timeout 100 gdb-multiarch -nx -batch '" + elf +
                    "' -ex 'set tcp connect-timeout 30' -ex 'target remote " + target +
                    "' -ex 'info threads' -ex 'rbreak on_packet' -ex continue -ex 'info registers pc' -ex stepi "
                    "-ex 'info registers pc' -ex 'x/2xw $sp' -ex detach 2>&1; wait");
  const std::string log = slurp((dir / "dfcsim.log").string());
  size_t threads = 0;
  for (size_t at = c.out.find("(hardware thread "); at != std::string::npos; at = c.out.find("(hardware thread ", at + 1))
    ++threads;
  EXPECT_GE(threads, 28u) << c.out;  // ms400: 32 hardware threads
  EXPECT_NE(c.out.find("hit Breakpoint"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("in dfc::fw::Firmware::on_packet"), std::string::npos) << c.out;
  EXPECT_NE(c.out.find("pc: 0x"), std::string::npos) << c.out;
  EXPECT_NE(log.find("waits for a debugger on 127.0.0.1:" + std::to_string(port)), std::string::npos) << log;
  EXPECT_NE(log.find("dfcsim exit 0"), std::string::npos) << log;  // detached: the run completes
  EXPECT_EQ(count(copies(dir)), 4u) << log;
}

TEST_F(FirmwareImage, GdbWithoutAnImageIsRefused) {
  const Outcome r = run("--gdb 1", "gdb-no-image");
  EXPECT_EQ(r.rc, 2);  // bad input
  EXPECT_NE(r.out.find("--gdb debugs a firmware image"), std::string::npos) << r.out;
}

}  // namespace

namespace {

// `dfcsim calibrate`: the image's declared work and measured cycles per pass, fitted into a
// profile the host-compiled mode uses. The calibrated host mode must land nearer the image's
// own throughput than the built-in profile's hand annotations do, and the file is a profile.
TEST_F(FirmwareImage, CalibrateWritesAProfileThatBringsTheHostModeNearerTheImage) {
  const fs::path dir = fresh_dir("calibrate");
  const std::string prof = (dir / "ms3-cal.json").string();
  const auto c = sh("'" + kDfcsim + "' calibrate -q --firmware '" + image("dfc_firmware.elf") +
                    "' --profile ms3 --packets 300 --out '" + prof + "' 2>&1");
  ASSERT_EQ(c.rc, 0) << c.out;
  const json p = json::parse(slurp(prof));
  EXPECT_EQ(p["name"], "ms3-calibrated");
  const json& cal = p["sources"]["calibration"];
  // Single coefficients are not all identifiable: every pass declares about as many headers as
  // the next (packet_loop against header_decode), and the mixes' requests are all about as
  // long (control_op against control_byte). Measured: one image fitted control_op 59 633 and
  // control_byte 20, the next (the same work per request, its HMAC moved to the flush)
  // control_op 0 and control_byte 207 -- the same cost for a request of ~340 bytes. What the fit
  // pins is the cost of a typical pass, checked here per path.
  std::map<std::string, std::pair<double, double>> fitted;  // kind -> (cycles per unit, units)
  for (const json& f : cal["fit"])
    if (!f["measured"].is_null())
      fitted[f["key"].get<std::string>()] = {f["measured"].get<double>(), f["units"].get<double>()};
  const auto per = [&](const char* kind, const char* per_kind) {  // fitted cycles of `kind` per `per_kind` unit
    return fitted.at(kind).first * fitted.at(kind).second / fitted.at(per_kind).second;
  };
  const double pass = per("work.packet_loop", "work.packet_loop") + per("work.header_byte", "work.packet_loop") +
                      per("work.header_decode", "work.packet_loop");
  EXPECT_GT(pass, 100.0) << "the driver, the loop and the parse: hundreds of instructions a pass";
  const double request = per("work.control_op", "work.control_op") + per("work.control_byte", "work.control_op");
  EXPECT_GT(request, 10000.0) << "a signed DTCP request and its reply: tens of thousands of instructions";
  // The per-byte kinds are declared (frames taken, copies built) and so measured.
  EXPECT_GT(fitted.at("work.frame_byte").second, 300.0 * 64);
  EXPECT_GT(fitted.at("work.copy_byte").second, 0.0);
  EXPECT_GT(cal["frames"].get<double>(), 1000.0);
  EXPECT_LT(cal["rms_cycles_per_pass"].get<double>(), cal["rms_of_the_passes"].get<double>());
  EXPECT_NE(p["sources"]["work.hash"].get<std::string>().find("measured"), std::string::npos);

  const std::string sc = "--config '" + kScenarios + "/configs/one-source.conf' --dtcp '" + kScenarios +
                         "/dtcp/one-criterion.dtcp' --traffic rate=10g,load=1,size=64,packets=4000,flows=500,"
                         "locality=0.5,match=0.1,match-dst=10.1.1.0/24,match-proto=17,seed=1";
  const Outcome iss = run(sc + " --profile ms3 --firmware '" + image("dfc_firmware.elf") + "'", "cal-iss");
  const Outcome cal_host = run(sc + " --profile '" + prof + "'", "cal-host");
  const Outcome hand = run(sc + " --profile ms3", "cal-hand");
  ASSERT_EQ(iss.rc, 0) << iss.out;
  ASSERT_EQ(cal_host.rc, 0) << cal_host.out;
  ASSERT_EQ(hand.rc, 0) << hand.out;
  const double i = iss.report["achieved_pps"].get<double>(), h = cal_host.report["achieved_pps"].get<double>(),
               b = hand.report["achieved_pps"].get<double>();
  EXPECT_LT(std::abs(h - i), std::abs(b - i)) << "image " << i << " pps, calibrated host " << h << ", hand " << b;
  EXPECT_LT(std::abs(h - i) / i, 0.5) << "image " << i << " pps, calibrated host " << h;
}

TEST_F(FirmwareImage, CalibrateRefusesBadInputBeforeAnyRun) {
  const fs::path dir = fresh_dir("calibrate-bad");
  const auto c = sh("'" + kDfcsim + "' calibrate -q --firmware '" + image("dfc_firmware.elf") +
                    "' --profile nosuch --out '" + (dir / "x.json").string() + "' 2>&1");
  EXPECT_EQ(c.rc, 2) << c.out;
  EXPECT_NE(c.out.find("nosuch"), std::string::npos) << c.out;
  EXPECT_FALSE(fs::exists(dir / "x.runs"));
}

// report.json iss.functions: where the image's instructions go, per function. churn.json mixes
// signed DTCP requests with traffic: the DTCP passes' profile is the DTCP server's code (its
// HMAC, its parsing), not the packet path's, and it adds up to the counters' per-path figures.
TEST_F(FirmwareImage, TheProfileSaysWhereTheDtcpPathsInstructionsGo) {
  const Outcome r = run("'" + kScenarios + "/churn.json' -q --firmware '" + image("dfc_firmware.elf") + "'", "profile");
  ASSERT_TRUE(r.report.is_object()) << r.out;  // the scenario's own expectations may fail: the report is written
  const json& s = r.report["iss"];
  const json& all = s["functions"];
  ASSERT_FALSE(all.empty());
  EXPECT_LE(all.size(), 25u);
  double shares = 0;
  uint64_t before = UINT64_MAX;
  for (const json& f : all) {
    const uint64_t n = f["instructions"].get<uint64_t>();
    EXPECT_LE(n, before) << "most instructions first";
    before = n;
    EXPECT_GT(f["share"].get<double>(), 0.0);
    shares += f["share"].get<double>();
  }
  EXPECT_LE(shares, 1.0 + 1e-9);
  // Every instruction from time 0 is in one split: the passes with a frame by path, those without
  // (frameless), and the few each context ran after its last pass.
  const json& pp = s["functions_per_path"];
  uint64_t profiled = 0;
  for (const auto& [key, v] : pp.items()) profiled += v["instructions"].get<uint64_t>();
  const auto instructions = s["instructions"].get<uint64_t>();
  EXPECT_LE(profiled, instructions);
  EXPECT_GT(double(profiled), 0.99 * double(instructions));
  // The DTCP passes: the same passes per_path averages, and a mean that hides costlier ones.
  const json& d = pp["dtcp"];
  const auto requests = s["per_path_packets"]["dtcp"].get<uint64_t>();
  ASSERT_GT(requests, 100u);
  EXPECT_EQ(d["packets"].get<uint64_t>(), requests);
  const double mean = s["per_path"]["dtcp"].get<double>();
  EXPECT_NEAR(double(d["instructions"].get<uint64_t>()) / double(requests), mean, 1e-6 * mean);
  EXPECT_GE(double(d["max_per_packet"].get<uint64_t>()), mean);
  double per_request = 0;
  for (const json& f : d["functions"]) per_request += f["per_packet"].get<double>();
  EXPECT_LE(per_request, mean * (1 + 1e-9));
  // What a request spends most on, the C runtime aside (memcpy and memset come first since the
  // security engine signs and the reply is signed in a later pass: both paths call them),
  // is DTCP code, which the flow-table hits never run.
  const json& dtop = d["functions"], &htop = pp["hit"]["functions"];
  ASSERT_FALSE(htop.empty());
  std::set<std::string> hit_names;
  for (const json& f : htop) hit_names.insert(f["function"].get<std::string>());
  const std::set<std::string> runtime = {"memcpy", "memset", "memmove", "memcmp", "memchr", "strlen", "malloc", "free"};
  std::vector<std::string> top;
  for (const json& f : dtop)
    if (top.size() < 3 && !runtime.count(f["function"].get<std::string>())) top.push_back(f["function"].get<std::string>());
  ASSERT_EQ(top.size(), 3u) << dtop;
  size_t dtcp_only = 0;
  for (const std::string& f : top) dtcp_only += hit_names.count(f) == 0;
  EXPECT_GE(dtcp_only, 2u) << dtop;
  bool dtcp_code = false;
  for (const std::string& f : top) dtcp_code |= f.rfind("dfc::dtcp::", 0) == 0;
  EXPECT_TRUE(dtcp_code) << dtop;
  EXPECT_NE(slurp((r.dir / "report.html").string()).find("where a DTCP request's instructions go"), std::string::npos);
}


// The image's own counters reach report.json (docs/iss.md, "The firmware's counters"): after the
// run the host asks the image for its statistics record, and the report code host mode uses
// builds flow_table, accounting, the match counts, the drops and the classifier's use from it.
// Both builds process the same packets with the same criteria, so the counts that do not depend
// on the threads' timing agree.
TEST_F(FirmwareImage, TheImagesOwnCountersReachTheReport) {
  const Outcome host = run("", "counters-host");
  const Outcome iss = run("--firmware '" + image("dfc_firmware.elf") + "'", "counters-iss");
  ASSERT_EQ(host.rc, 0) << host.out;
  ASSERT_EQ(iss.rc, 0) << iss.out;
  const json &h = host.report, &i = iss.report;
  for (const char* k : {"flow_table", "accounting", "packets_matched", "packets_unmatched", "copies_chosen",
                        "bytes_in", "dtcp_server"})
    ASSERT_TRUE(i.contains(k)) << k << " missing in image mode";
  EXPECT_EQ(i["accounting"]["balanced"].get<int>(), 1) << i["accounting"].dump(2);
  EXPECT_EQ(i["accounting"]["matched"], h["accounting"]["matched"]);
  const auto lookups = [](const json& r) {
    return r["flow_table"]["hits"].get<uint64_t>() + r["flow_table"]["misses"].get<uint64_t>() +
           r["flow_table"]["stale"].get<uint64_t>();
  };
  EXPECT_GT(lookups(i), 0u);
  EXPECT_EQ(lookups(i), lookups(h));
  for (const char* k : {"packets_matched", "packets_unmatched", "copies_chosen", "copies_sent", "bytes_in"})
    EXPECT_EQ(i[k], h[k]) << k;
  EXPECT_GT(i["packets_matched"].get<uint64_t>(), 0u);
  EXPECT_EQ(i["classifier"]["entries_used"], h["classifier"]["entries_used"]);
  EXPECT_EQ(i["classifier"]["rules"], h["classifier"]["rules"]);
  EXPECT_GT(i["classifier"]["rules"].get<uint64_t>(), 0u);
  EXPECT_EQ(i["drops"], h["drops"]);
  EXPECT_EQ(i["dtcp_server"], h["dtcp_server"]);
  EXPECT_EQ(i["criteria_active"], h["criteria_active"]);
  EXPECT_EQ(i["control_sources"], h["control_sources"]);
  EXPECT_EQ(i["content_destinations"], h["content_destinations"]);
  EXPECT_EQ(i["content_destinations"]["cd1"]["matched_packets"].get<uint64_t>(), 4u);
  ASSERT_TRUE(i["control_sources"].contains("cs1")) << i["control_sources"];
  EXPECT_EQ(i["control_sources"]["cs1"]["add_requests"].get<uint64_t>(), 1u);
  EXPECT_EQ(i["control_sources"]["cs1"]["group"], "g1");
  EXPECT_EQ(i["overload"], h["overload"]);  // thresholds from the configuration, no event
  EXPECT_TRUE(i["overload"]["thresholds"].contains("hard_pps"));
  // Per destination: the firmware's bytes next to the copies the testbench wrote.
  for (const auto& [id, d] : i["copies_per_destination"].items()) {
    ASSERT_TRUE(h["copies_per_destination"].contains(id)) << id;
    EXPECT_EQ(d["bytes"], h["copies_per_destination"][id]["bytes"]) << id;
  }
  EXPECT_TRUE(i["scoreboard"]["pass"].get<bool>()) << iss.out;
}

// churn.json's expectations read accounting.balanced and flow_table.stale: in image mode they
// are numbers in the report now, and the image's flow table sees the churn's invalidations. The
// image is too slow for the churn's signed requests (its rings overflow), so the scenario's
// other expectations may fail; the firmware's own balances (every packet it took matched, not
// matched or not intercepted; every copy it chose sent or dropped) hold.
TEST_F(FirmwareImage, ChurnExpectationsReadTheImagesCounters) {
  const Outcome r = run("'" + kScenarios + "/churn.json' -q --firmware '" + image("dfc_firmware.elf") + "'", "churn-counters");
  ASSERT_TRUE(r.report.is_object()) << r.out;
  EXPECT_EQ(r.out.find("not a number in the report"), std::string::npos) << r.out;
  const json& a = r.report["accounting"];
  EXPECT_TRUE(a["balanced"].is_number()) << a.dump(2);
  EXPECT_EQ(a["processing_balanced"].get<int>(), 1) << a.dump(2);
  EXPECT_EQ(a["copies_balanced"].get<int>(), 1) << a.dump(2);
  // The frames the card handed the image are the packets the image counted.
  uint64_t counted = a["matched"].get<uint64_t>() + a["unmatched"].get<uint64_t>();
  for (const auto& [why, n] : a["not_intercepted"].items()) counted += n.get<uint64_t>();
  EXPECT_EQ(a["processed"].get<uint64_t>(), counted) << a.dump(2);
  EXPECT_GE(r.report["flow_table"]["stale"].get<uint64_t>(), 100u);
}

}  // namespace
