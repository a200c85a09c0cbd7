#!/usr/bin/env python3
"""Mutation campaign over the firmware, RTL, driver, congestion and accounting code.

Applies each mutant in MUTANTS (an exact text patch on one source file), rebuilds only the
test binaries that exercise that code, runs them (with a timeout), restores the file, and
reports how many mutants the tests killed. The source tree is never left modified: every file
is restored after its mutant, on exit, on Ctrl-C and on SIGTERM (and the script refuses to
start on a file that differs from git HEAD, so an interrupted earlier run cannot be mistaken
for the original). Finally the touched targets are rebuilt from the restored sources so the
build directory holds no mutant object.

Usage: scripts/mutate.py [--build DIR] [--only ID|CLASS[,...]] [--skip-rtl] [--timeout S] [--jobs N] [--json FILE]
Every mutant has a class (the kind of code it breaks); --only takes mutant ids and class names,
and the summary gives the catch rate per class.
Works from a clean checkout: configures DIR (default build-mutate) when it has no build yet.
docs/mutation.md documents the mutants, the measured catch rate and how to add mutants.
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

FW = ("firmware_tests", None)
# (binary target, gtest filter) per area; the binary name is also the build target.
CARD = ("card_ingress_tests", None)
ACC = ("traffic_tests", "Accounting*")
RTL = [("rtl_order_tests", None), ("rtl_classifier_tests", "RtlPipeline*:Depths/RtlVsRef.*/1")]
RTL_VARIANTS = [("rtl_classifier_variant_tests", None)]
SB = [("scoreboard_tests", None)]
DEFAULT = ("testbench_tests", "DefaultScenario.*:Scenarios.ScoreboardThreadGivesTheInlineVerdict")
WHY = [("why_reasons_tests", None)]
REGRESS = [("regress_tests", None)]
RFC = [("rfc2544_tests", None)]
PCAP = [("tools_cli_tests", None), ("traffic_tests", None)]
# The race checker on churn, host mode: its dfcsim-race build is the mutated firmware.
RACE = ("race_check_tests", "RaceCheck.HostModeChurnIsRaceFree")
EGRESS = [("model_egress_tests", None), ("model_block_timing_tests", None)]
SEMA = [("model_semaphores_tests", None), ("model_semaphore_exclusion_tests", None)]
ICON = [("model_interconnect_tests", None), ("model_block_timing_tests", None)]

# id, class, file, old text (must occur exactly once), new text, tests, what the bug is
_MUTANTS = [
    # --- DTCP: authentication and replay protection
    ("hmac-partial", "dtcp", "firmware/src/dtcp/hmac.cpp",
     "for (size_t i = 0; i < 20; ++i) {", "for (size_t i = 0; i < 16; ++i) {", [FW],
     "digest compared over only its first 32 hex digits"),
    ("hmac-last-digit-only", "dtcp", "firmware/src/dtcp/hmac.cpp",
     "diff |= ((hi << 4 | lo) ^ expected[i]) & 0xff;", "diff = ((hi << 4 | lo) ^ expected[i]) & 0xff;", [FW],
     "only the last byte (two hex digits) decides"),
    ("seq-duplicate-accepted", "dtcp", "firmware/src/dtcp/seq_window.cpp",
     "if (fwd == 0) return Result::Duplicate;", "if (fwd == 0) return Result::Accepted;", [FW],
     "a replay of the newest Seq is accepted"),
    ("seq-window-bit-ignored", "dtcp", "firmware/src/dtcp/seq_window.cpp",
     "seen_.test(static_cast<size_t>(back)) ? Result::Duplicate : Result::Accepted",
     "Result::Accepted", [FW], "replays inside the window are accepted"),
    ("add-no-version-bump", "dtcp", "firmware/src/dtcp/handlers.cpp",
     "  version_.fetch_add(1, std::memory_order_release);\n  a.rule = *rule;", "  a.rule = *rule;", [FW],
     "flow table not invalidated when a criterion is added"),
    ("remove-no-version-bump", "dtcp", "firmware/src/dtcp/server.cpp",
     "    cls_.remove(c->rule);\n    version_.fetch_add(1, std::memory_order_release);\n",
     "    cls_.remove(c->rule);\n", [FW],
     "flow table not invalidated when a criterion is removed"),
    ("timeout-packets-off-by-one", "dtcp", "firmware/src/dtcp/congestion.cpp",
     "c.matching_packets - c.pkts_base >= c.t_packets", "c.matching_packets - c.pkts_base > c.t_packets", [FW],
     "Timeout-Packets fires one packet late"),
    ("idle-not-refreshed", "dtcp", "firmware/src/dtcp/congestion.cpp",
     "  c.idle_base_ns = std::max(c.idle_base_ns, now);  // idle counts from the last hit\n", "", [FW],
     "hits do not restart Timeout-Idle"),
    # --- congestion (bandwidth limits) and overload thresholds
    ("soft-limit-inverted", "congestion", "firmware/src/dtcp/congestion.cpp",
     "if (!cd.soft_congested && bps > *dc.soft_limit) {", "if (!cd.soft_congested && bps < *dc.soft_limit) {", [FW],
     "soft limit compared the wrong way"),
    ("matching-packets-not-counted", "accounting", "firmware/src/dtcp/congestion.cpp",
     "  ++c.matching_packets;\n  c.matching_bytes += bytes;", "  c.matching_bytes += bytes;", [FW],
     "Matching-Packets never counted"),
    ("pps-threshold-strict", "congestion", "firmware/src/fw/overload.cpp",
     "if (!h.over && pps >= h.high)", "if (!h.over && pps > h.high)", [FW],
     "input-rate threshold needs one packet more"),
    ("pps-no-hysteresis", "congestion", "firmware/src/fw/overload.cpp",
     "else if (h.over && pps < h.low)", "else if (h.over && pps < h.high)", [FW],
     "clears at the high watermark (no hysteresis)"),
    ("mem-pct-scale", "congestion", "firmware/src/fw/overload.cpp",
     "flows * 100 / flow_capacity", "flows * 10 / flow_capacity", [FW],
     "flow-table usage percentage mis-scaled"),
    # --- the packet pipeline and its parser
    ("flow-cache-never-stale", "pipeline", "firmware/src/fw/pipeline.cpp",
     "if (e->version == version) {", "if (true) {", [FW],
     "flow-table entries never re-classified"),
    ("max-dups-off-by-one", "pipeline", "firmware/src/fw/pipeline.cpp",
     "if (g->second >= limit) {", "if (g->second > limit) {", [FW],
     "max-duplicates + 1 copies"),
    ("dest-best-prio-inverted", "pipeline", "firmware/src/fw/pipeline.cpp",
     "} else if (cand.priority < it->priority ||", "} else if (cand.priority > it->priority ||", [FW],
     "a destination represented by its worst criterion"),
    ("copy-order-prio-inverted", "pipeline", "firmware/src/fw/pipeline.cpp",
     "return a.priority != b.priority ? a.priority < b.priority : a.added_seq < b.added_seq;",
     "return a.priority != b.priority ? a.priority > b.priority : a.added_seq < b.added_seq;", [FW],
     "max-duplicates keeps the lowest-priority copies"),
    ("txq-drop-not-counted", "accounting", "firmware/src/fw/pipeline.cpp",
     "    } else {\n      ++c.s.copies_dropped_tx_queue;\n", "    } else {\n", [FW],
     "refused copies not counted"),
    ("v6-ext-len-units", "pipeline", "firmware/src/fw/packet_parse.cpp",
     "pos += (size_t{ip[pos + 1]} + 1) * 8;", "pos += (size_t{ip[pos + 1]} + 1) * 4;", [FW],
     "IPv6 extension-header length in the wrong unit"),
    ("v6-ah-len", "pipeline", "firmware/src/fw/packet_parse.cpp",
     "pos += (size_t{ip[pos + 1]} + 2) * 4;", "pos += (size_t{ip[pos + 1]} + 1) * 8;", [FW],
     "AH length read like other extension headers"),
    ("vlan-skip-short", "pipeline", "firmware/src/fw/packet_parse.cpp",
     "      off += 4;\n      ++link_headers;", "      off += 2;\n      ++link_headers;", [FW],
     "802.1Q tag skipped by 2 bytes"),
    ("v4-mf-as-nonfirst", "pipeline", "firmware/src/fw/packet_parse.cpp",
     "if ((frag & 0x1fff) != 0) {", "if ((frag & 0x3fff) != 0) {", [FW],
     "first fragments (MF set) lose their ports"),
    ("ipip-proto-always-4", "pipeline", "firmware/src/fw/ipip.cpp",
     "o[9] = (len > 0 && (inner[0] >> 4) == 6) ? 41 : 4;", "o[9] = 4;", [FW],
     "IPv6 copies labelled IPv4-in-IPv4"),
    ("ipip-checksum-not-inverted", "pipeline", "firmware/src/fw/ipip.cpp",
     "return static_cast<uint16_t>(~sum & 0xffff);", "return static_cast<uint16_t>(sum & 0xffff);", [FW],
     "outer header checksum not complemented"),
    # --- the classifier driver
    ("drv-exclusion-ignored", "driver", "firmware/src/fw/classifier_driver.cpp",
     "if (pos && !excl && keep(hit[a].order, limit)) out.push_back(hit[a].rule);",
     "if (pos && keep(hit[a].order, limit)) out.push_back(hit[a].rule);", [FW],
     "exclusion entries ignored (negated criteria over-match)"),
    ("drv-overflow-boundary", "driver", "firmware/src/fw/classifier_driver.cpp",
     "emit_rules([](const Order& o, const Order& l) { return o < l; }, last);",
     "emit_rules([](const Order& o, const Order& l) { return o <= l; }, last);", [FW],
     "saturated lookup reports the boundary rule twice"),
    ("drv-range-expand", "driver", "firmware/src/fw/classifier_rules.cpp",
     "while (k > 0 && (k >= 128 || ((u128{1} << k) - 1) > span)) --k;",
     "while (k > 0 && (k >= 128 || ((u128{1} << k) - 1) >= span)) --k;", [FW],
     "range-to-prefix expansion splits too finely (wastes entries)"),
    ("drv-used-count", "driver", "firmware/src/fw/classifier_driver.cpp",
     "used -= r.slots.size();", "used -= 1;", [FW],
     "entries of a removed multi-entry rule leak"),
    # --- the card model and the testbench's accounting
    ("card-ingress-drop-not-counted", "accounting", "model/card/ingress_common.hpp",
     "  else\n    ++st.ingress_dropped_buffer;\n", "  else\n    st.ingress_dropped_buffer += 0;\n", [CARD],
     "ingress-buffer drops not counted"),
    ("card-ingress-buffer-off-by-one", "accounting", "model/card/ingress_dma.cpp",
     "if (in_use_ >= capacity_)", "if (in_use_ > capacity_)", [CARD],
     "ingress buffer holds one packet more than configured"),
    ("acc-ingress-drops-ignored", "accounting", "testbench/report/accounting.cpp",
     "in.packets_in, in.processed + ingress)", "in.packets_in, in.processed)", [ACC],
     "accounting ignores ingress drops"),
    # --- the RTL (rebuilds the Verilated models: slow; --skip-rtl leaves these out)
    # The simulated models use the simulation form's lowest_bit (DFC_CLS_SIM_FAST); the
    # synthesis form's loop is checked against it clock by clock by the variant tests.
    ("rtl-first-match-wrong-bit", "rtl", "rtl/classifier/rtl/classifier.sv",
     "$countones(~w & (w - 64'd1))", "$countones(w & (w - 64'd1))",
     RTL, "priority encoder (simulation form) reports the wrong bit of a word"),
    ("rtl-synth-first-match-highest", "rtl", "rtl/classifier/rtl/classifier.sv",
     "    for (int k = 63; k >= 0; k--) begin\n      if (w[k]) r = b;",
     "    for (int k = 63; k >= 0; k--) begin\n      if (w[k] && r == 32'd0) r = b;",
     RTL_VARIANTS, "synthesis form's priority encoder picks the highest index of a word"),
    ("rtl-care-list-join", "rtl", "rtl/classifier/rtl/classifier.sv",
     "if (care_cnt[c] == 32'd1) care_flip = 1'b1;", "if (care_cnt[c] == 32'd2) care_flip = 1'b1;",
     RTL_VARIANTS, "simulation form's care list misses a chunk that a write makes cared"),
    ("rtl-first-match-last-word", "rtl", "rtl/classifier/rtl/classifier.sv",
     "            if (!hit) begin\n", "            if (1'b1) begin\n", RTL,
     "first match taken from the last matching word"),
    # --- platform timing (the card model's blocks)
    ("egress-no-ifg-preamble", "platform-timing", "model/card/block.hpp",
     "std::llround(double(frame + 20) * 8.0 / bps * 1e12)", "std::llround(double(frame) * 8.0 / bps * 1e12)",
     EGRESS, "egress wire time without the 20 bytes of preamble and inter-frame gap"),
    ("interconnect-no-occupancy", "platform-timing", "model/card/interconnect.cpp",
     "const uint64_t start = ring.book(t, svc, now);", "const uint64_t start = t;\n    (void)ring;", ICON,
     "overlapping interconnect transfers do not wait for each other"),
    ("semaphore-recorded-hold-ignored", "platform-timing", "model/card/semaphores.cpp",
     "if (t_ps >= a && t_ps < b) t_ps = b, moved = true;", "if (t_ps > b) t_ps = b, moved = true;", SEMA,
     "a decoupled thread is granted a semaphore inside another thread's recorded hold"),
    # --- locks (the firmware's criteria lock)
    ("control-without-criteria-lock", "locks", "firmware/src/fw/firmware.cpp",
     "    HwLock l(*mux_, cardmap::HW_LOCK_CRITERIA);\n    server_->on_admitted(p, a, &later);",
     "    server_->on_admitted(p, a, &later);",
     [FW, DEFAULT, RACE], "a DTCP datagram handled without taking the criteria lock"),
    ("lookup-fallback-without-lock", "locks", "firmware/src/fw/pipeline.cpp",
     "  ++c.s.criteria_read_fallbacks;\n  HwLock l(hal_, cardmap::HW_LOCK_CRITERIA);\n",
     "  ++c.s.criteria_read_fallbacks;\n", [FW, DEFAULT],
     "the lookup's locked fallback runs without the lock"),
    # --- congestion with several destinations
    ("congestion-rate-all-destinations", "congestion-multi", "firmware/src/dtcp/congestion.cpp",
     "      if (c->cd == di) bps += c->copy_rate.bps(now_s);", "      bps += c->copy_rate.bps(now_s);", [FW],
     "a destination's rate sums every destination's copies"),
    ("congestion-580-to-every-owner", "congestion-multi", "firmware/src/dtcp/congestion.cpp",
     "        if (c->cd == di) o.insert(c->cs);", "        o.insert(c->cs);", [FW],
     "580 also to sources with criteria to other destinations only"),
    ("congestion-purge-other-destination", "congestion-multi", "firmware/src/dtcp/congestion.cpp",
     "if (c->cd == di && c->copy_rate.bps(now_s) > 0) v.push_back(c.get());",
     "if (c->copy_rate.bps(now_s) > 0) v.push_back(c.get());", [FW],
     "the hard-limit purge deletes criteria to other destinations"),
    # --- why.jsonl reasons
    ("why-ingress-drop-reason-lost", "why", "testbench/report/why.cpp",
     "  it->second.j[\"ingress_drop\"] = why;\n", "", WHY, "an ingress drop's reason missing from why.jsonl"),
    ("why-egress-drop-still-sent", "why", "testbench/report/why.cpp",
     "      c.erase(\"sent\");\n", "", WHY, "a copy the card dropped on the way out still says sent"),
    # --- the RFC 2544 throughput search
    ("rfc2544-bracket-swapped", "rfc2544", "testbench/report/rfc2544.cpp",
     "(v.pass ? lo : hi) = load;", "(v.pass ? hi : lo) = load;", RFC,
     "a passing trial lowers the bracket's top"),
    ("rfc2544-stops-coarse", "rfc2544", "testbench/report/rfc2544.cpp",
     "if (hi - lo <= o.resolution * hi) break;", "if (hi - lo <= 10 * o.resolution * hi) break;", RFC,
     "the search stops at ten times its resolution"),
    # --- dfcsim regress's merged counts
    ("regress-passed-ignores-failures", "regress", "tools/dfcsim/regress_cmd.cpp",
     "std::cout << tasks.size() - failed << \"/\" << tasks.size() << \" passed (label \"",
     "std::cout << tasks.size() << \"/\" << tasks.size() << \" passed (label \"", REGRESS,
     "the summary counts failed runs as passed"),
    ("regress-junit-errors-as-failures", "regress", "tools/dfcsim/regress_cmd.cpp",
     "    failures += r.rc == kExitExpectations;", "    failures += r.rc != 0;", REGRESS,
     "JUnit counts runs that did not run as expectation failures"),
    # --- pcap link types
    ("pcap-sll2-refused", "pcap", "testbench/stimulus/pcap_io.cpp",
     "if (dlt_ == DLT_EN10MB || dlt_ == kDltLinuxSll || dlt_ == kDltLinuxSll2) {",
     "if (dlt_ == DLT_EN10MB || dlt_ == kDltLinuxSll) {", PCAP, "Linux cooked v2 captures refused"),
    ("pcap-raw-refused", "pcap", "testbench/stimulus/pcap_io.cpp",
     "dlt_ == DLT_RAW || dlt_ == 12 || dlt_ == 14 || dlt_ == 101 || dlt_ == 228",
     "dlt_ == 14 || dlt_ == 228", PCAP, "raw-IP captures (LINKTYPE_RAW, handed over as DLT_RAW) refused"),
    # --- the checker's own predictions (testbench/checker)
    ("checker-install-window-slack", "checker", "testbench/checker/scoreboard_predictor.cpp",
     "  c.install_end = std::max(q.t, rp.t);", "  c.install_end = std::max(q.t, rp.t) + 20'000'000;", SB,
     "the install window runs 20 us past the reply (hides a lost copy)"),
    ("checker-431-not-predicted", "checker", "testbench/checker/scoreboard_answers.cpp",
     "    if (best == Pres::Absent) err.insert(431);\n", "", SB,
     "an unknown Criteria-ID is predicted 200"),
    ("checker-seq-window-wide", "checker", "testbench/checker/scoreboard_answers.cpp",
     "if (fwd > 256 && back > 256)", "if (fwd > 4096 && back > 4096)", SB,
     "a stale Seq is predicted to be answered"),
    ("checker-auth-not-checked", "checker", "testbench/checker/scoreboard_answers.cpp",
     "r.auth_ok = lower(trim(line.substr(c + 1))) == want;", "r.auth_ok = !want.empty();", SB,
     "a forged signature is predicted to be answered"),
    ("checker-wrong-status-ignored", "checker", "testbench/checker/scoreboard_answers.cpp",
     "else if (!ok) answer_error(", "else if (false) answer_error(", SB,
     "a reply with the wrong status passes"),
    ("checker-599-missing-ignored", "checker", "testbench/checker/scoreboard_answers.cpp",
     "      if (got[id] != want)\n", "      if (got[id] > want)\n", SB,
     "a restart that does not reach every source passes"),
    ("checker-rollover-not-predicted", "checker", "testbench/checker/scoreboard_answers.cpp",
     "        if (*n < w.hi) notes_expected", "        if (false) notes_expected", SB,
     "a Seq rollover needs no 130"),
]

# Each mutant as a record; "class" is the kind of code it breaks (docs/mutation.md scores each).
MUTANTS = [dict(zip(("id", "class", "file", "old", "new", "tests", "bug"), m)) for m in _MUTANTS]

_originals = {}  # path -> original text, while mutated


def restore_all():
    for path, text in list(_originals.items()):
        with open(path, "w") as f:
            f.write(text)
        del _originals[path]


def _on_signal(signum, _frame):
    restore_all()
    sys.stderr.write("mutate: interrupted (signal %d); sources restored\n" % signum)
    sys.exit(130)


def run(cmd, timeout=None, quiet=True):
    try:
        r = subprocess.run(cmd, cwd=ROOT, timeout=timeout,
                           stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT if quiet else None)
        return r.returncode, (r.stdout.decode(errors="replace") if quiet and r.stdout else "")
    except subprocess.TimeoutExpired:
        return "timeout", ""


JOBS = 1  # parallel compile jobs (--jobs): the machine is shared


def build(bdir, targets):
    return run(["cmake", "--build", bdir, "--parallel", str(JOBS), "--target", *targets])


def run_tests(bdir, tests, timeout):
    for binary, filt in tests:
        cmd = [os.path.join(bdir, "bin", binary)]
        if filt:
            cmd.append("--gtest_filter=" + filt)
        rc, out = run(cmd, timeout=timeout)
        if rc != 0:
            return "killed (%s%s)" % (binary, ", timeout" if rc == "timeout" else "")
    return None


def select(only, skip_rtl):
    """The mutants --only names (ids or classes; all when empty), without RTL ones if asked."""
    names = [n for n in only.split(",") if n]
    known = {m["id"] for m in MUTANTS} | {m["class"] for m in MUTANTS}
    unknown = [n for n in names if n not in known]
    if unknown:
        sys.exit("mutate: --only: no mutant or class named %s (classes: %s)"
                 % (", ".join(unknown), ", ".join(sorted({m["class"] for m in MUTANTS}))))
    return [m for m in MUTANTS if (not names or m["id"] in names or m["class"] in names)
            and not (skip_rtl and m["class"] == "rtl")]


def check_patches(todo):
    """Every mutated file must be as in git HEAD, and every patch must apply exactly once."""
    for m in todo:
        path = os.path.join(ROOT, m["file"])
        if subprocess.run(["git", "diff", "--quiet", "HEAD", "--", m["file"]], cwd=ROOT).returncode != 0:
            sys.exit("mutate: %s differs from git HEAD; commit or restore it first" % m["file"])
        n = open(path).read().count(m["old"])
        if n != 1:
            sys.exit("mutate: mutant %s: pattern found %d times in %s (expected 1)" % (m["id"], n, m["file"]))


def score(results):
    """Catch rate overall and per class (stillborn mutants left out)."""
    per = {}
    for r in results:
        c = per.setdefault(r["class"], {"mutants": 0, "stillborn": 0, "killed": 0, "survived": 0})
        c["mutants"] += 1
        if r["verdict"].startswith("stillborn"):
            c["stillborn"] += 1
        elif r["verdict"].startswith("killed"):
            c["killed"] += 1
        else:
            c["survived"] += 1
    for c in per.values():
        valid = c["killed"] + c["survived"]
        c["rate_pct"] = round(100.0 * c["killed"] / valid, 1) if valid else None
    return per


def main():
    global JOBS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default="build-mutate")
    ap.add_argument("--only", default="", help="mutant ids and/or class names, comma-separated")
    ap.add_argument("--skip-rtl", action="store_true")
    ap.add_argument("--timeout", type=int, default=180, help="seconds per test binary run")
    ap.add_argument("--jobs", type=int, default=1, help="parallel compile jobs (default 1)")
    ap.add_argument("--json", default="")
    ap.add_argument("--check-patterns", action="store_true",
                    help="only check that every mutant's text occurs exactly once in its file, and exit")
    args = ap.parse_args()
    JOBS = max(1, args.jobs)
    bdir = args.build if os.path.isabs(args.build) else os.path.join(ROOT, args.build)
    todo = select(args.only, args.skip_rtl)
    if not todo:
        sys.exit("mutate: no mutant selected")
    if args.check_patterns:
        # The default suite runs this (testbench.mutation_patterns): a source change that moves
        # a mutant's text away fails at once, not hours later in `ctest -L mutation`.
        bad = [m for m in todo if open(os.path.join(ROOT, m["file"])).read().count(m["old"]) != 1]
        for m in bad:
            print("mutate: mutant %s: its text is not found exactly once in %s; update its pattern in "
                  "scripts/mutate.py to the code as it is now" % (m["id"], m["file"]))
        print("mutate: %d of %d mutants apply" % (len(todo) - len(bad), len(todo)))
        sys.exit(1 if bad else 0)
    check_patches(todo)

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)

    if not os.path.exists(os.path.join(bdir, "build.ninja")):
        rc, out = run(["cmake", "-S", ".", "-B", bdir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"])
        if rc != 0:
            sys.exit("mutate: configure failed:\n" + out)
    targets = sorted({b for m in todo for b, _ in m["tests"]})
    print("mutate: baseline build of %s in %s" % (" ".join(targets), bdir), flush=True)
    rc, out = build(bdir, targets)
    if rc != 0:
        sys.exit("mutate: baseline build failed:\n" + out[-4000:])
    base = run_tests(bdir, sorted({t for m in todo for t in m["tests"]}), args.timeout)
    if base:
        sys.exit("mutate: baseline tests fail (%s); fix the suite before measuring mutants" % base)

    results = []
    try:
        for m in todo:
            path = os.path.join(ROOT, m["file"])
            text = open(path).read()
            _originals[path] = text
            with open(path, "w") as f:
                f.write(text.replace(m["old"], m["new"], 1))
            t0 = time.time()
            rc, out = build(bdir, sorted({b for b, _ in m["tests"]}))
            if rc != 0:
                verdict = "stillborn (does not compile)"
            else:
                verdict = run_tests(bdir, m["tests"], args.timeout) or "SURVIVED"
            restore_all()
            results.append({"id": m["id"], "class": m["class"], "file": m["file"], "bug": m["bug"],
                            "verdict": verdict, "seconds": round(time.time() - t0, 1)})
            print("  %-34s %-16s %-44s %5.0fs  %s" % (m["id"], m["class"], verdict, time.time() - t0, m["bug"]),
                  flush=True)
    finally:
        restore_all()
        print("mutate: sources restored; rebuilding the touched targets from them", flush=True)
        build(bdir, targets)

    valid = [r for r in results if not r["verdict"].startswith("stillborn")]
    killed = [r for r in valid if r["verdict"].startswith("killed")]
    rate = 100.0 * len(killed) / len(valid) if valid else 0.0
    per = score(results)
    print("mutate: %d mutants, %d stillborn, %d killed, %d survived: catch rate %.1f %%"
          % (len(results), len(results) - len(valid), len(killed), len(valid) - len(killed), rate))
    for cls in sorted(per):
        c = per[cls]
        print("  class %-16s %2d mutants, %2d killed, %2d survived, %d stillborn: %s"
              % (cls, c["mutants"], c["killed"], c["survived"], c["stillborn"],
                 "n/a" if c["rate_pct"] is None else "%.1f %%" % c["rate_pct"]))
    for r in valid:
        if not r["verdict"].startswith("killed"):
            print("  survived: %s [%s] (%s): %s" % (r["id"], r["class"], r["file"], r["bug"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"catch_rate_pct": rate, "per_class": per, "results": results}, f, indent=1)
    return 0 if rate >= 95.0 else 1


if __name__ == "__main__":
    sys.exit(main())
