"""The steps of scripts/walkthrough.py: the guides' commands in the order a new user meets them.

Keys of a step: name; guide (README, guide = docs/user-guide.md, realtime =
docs/user-guide-realtime.md); cmd (run by bash in the scratch directory); shown (the text the
guide must show, default cmd; a list for several pieces) when cmd is a concrete instance of a
synopsis or a shortened form; rc (default 0); files (must exist, non-empty); absent (must not
exist); out (regexes the output must match); json ({file: {dotted.path: value or predicate}});
checks (functions of the scratch directory returning a problem or None); clean (paths removed
first); set (quick, the default suite, or long); skip (the reason it cannot run here); tool (a
program that must be installed, else the step is skipped); start/stop (a background process:
ready is the line that says it is up; signal what stop sends it).
"""
import glob
import os
import re
import signal
import subprocess

E = "docs/examples/"
ELF = "build/bin/dfc_firmware.elf"  # built only with the MIPS cross compiler
RUN = "build/bin/dfcsim run"
OUT_FILES = ["out/report.json", "out/report.html", "out/dtcp.log", "out/dtcp.pcap"]
EXAMPLE = "--config %sdfc.conf --dtcp %srequests.dtcp" % (E, E)
SUMMARY_EXAMPLE = [r"^  packets in: 12, matched: 8, copies made: 8$", r"^    cd1: 8 copies -> out/cdest-cd1\.pcap$",
                   r"^  scoreboard: PASS \(8 copies checked"]


def lit(text):
    return "^" + re.escape(text) + "$"


def positive(v):
    return isinstance(v, (int, float)) and v > 0


def dissected_like_log(out_dir):
    """dtcp.pcap decoded by the dissector: one DTCP message per `#` line of dtcp.log (README, guide)."""
    def check(root):
        with open(os.path.join(root, out_dir, "dtcp.log"), encoding="utf-8") as f:
            logged = sum(1 for line in f if line.startswith("# "))
        p = subprocess.run(["tshark", "-X", "lua_script:tools/wireshark/dtcp.lua", "-r",
                            os.path.join(out_dir, "dtcp.pcap"), "-Y", "dtcp", "-T", "fields", "-e", "dtcp.type"],
                           cwd=root, capture_output=True, text=True)
        got = len([line for line in p.stdout.splitlines() if line.strip()])
        return None if got == logged and logged else "tshark decodes %d DTCP messages, dtcp.log has %d" % (got, logged)
    return check


def why_lines(path, want):
    def check(root):
        import json
        with open(os.path.join(root, path), encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        if len(rows) != want:
            return "%s: %d lines, expected %d" % (path, len(rows), want)
        need = {"packet", "id", "frame", "time", "t_ns", "bytes", "parsed", "flow_table", "decision", "copies"}
        missing = need - set(rows[0])
        return "%s lacks %s" % (path, sorted(missing)) if missing else None
    return check


def nearest_in(path, missed):
    def check(root):
        import json
        with open(os.path.join(root, path), encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        bad = [r for r in rows if r.get("decision") != "no criterion matches"
               or r.get("nearest", {}).get("missed") != missed]
        return "%s: %d line(s) without nearest.missed %s" % (path, len(bad), missed) if bad else None
    return check


def file_has(path, pattern):
    def check(root):
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as f:
            return None if re.search(pattern, f.read(), re.M) else "%s lacks /%s/" % (path, pattern)
    return check


def exists_glob(pattern):
    def check(root):
        return None if glob.glob(os.path.join(root, pattern)) else "nothing matches " + pattern
    return check


STEPS = [
    # ---------------------------------------------------------------- README, "Using it"
    dict(name="readme.version", guide="README", cmd="build/bin/dfcsim --version; build/bin/dtcpctl --version",
         out=[r"^dfcsim \d+\.\d+\.\d+", r"^dtcpctl \d+\.\d+\.\d+"]),
    dict(name="readme.capture-rebuilds", guide="README", tool="text2pcap", shown="`make-capture.sh` rebuilds it",
         cmd="sh %smake-capture.sh cap.pcap && cmp cap.pcap %scapture.pcap" % (E, E), files=["cap.pcap"]),
    dict(name="readme.run-default", guide="README", cmd=RUN, clean=["out"],
         shown="build/bin/dfcsim run # the default scenario, outputs in out/",
         files=OUT_FILES + ["out/cdest-cd1.pcap"], out=[r"^  scoreboard: PASS"]),
    dict(name="readme.dtcp-pcap-dissector", guide="README", tool="tshark",
         cmd="tshark -X lua_script:tools/wireshark/dtcp.lua -r out/dtcp.pcap",
         out=[r"DTCP .*ADD Csource-ID=cs1", r"DTCP .*200 OK Criteria-ID=1"], checks=[dissected_like_log("out")]),
    dict(name="readme.run-scenario", guide="README", cmd=RUN + " testbench/scenarios/three-sources.json",
         clean=["out"], files=OUT_FILES + ["out/cdest-cd-a.pcap", "out/cdest-cd-b.pcap", "out/cdest-cd-c.pcap"],
         out=[r"^  scoreboard: PASS"], json={"out/report.json": {"expectations": [], "scoreboard.pass": True}}),
    dict(name="readme.run-example", guide="README",
         cmd=RUN + " %s --pcap-in %scapture.pcap --out out/example" % (EXAMPLE, E),
         files=["out/example/" + f for f in ("report.json", "report.html", "dtcp.log", "dtcp.pcap", "cdest-cd1.pcap")],
         out=[r"^  criteria installed: 2 ", r"^  packets in: 12, matched: 8, copies made: 8$"],
         json={"out/example/report.json": {"copies_sent": 8, "dtcp.status_counts.200": 2, "packets_unmatched": 4}}),
    dict(name="readme.classbench", guide="README",
         shown="build/bin/dfcsim classbench --rules docs/examples/acl-small [--trace docs/examples/acl-small.trace]",
         cmd="build/bin/dfcsim classbench --rules %sacl-small --trace %sacl-small.trace --verify --wave vcd --out cb"
             % (E, E),
         files=["cb/classifier.vcd"], out=[r"^# headers 8 \| matched 8 ", r"^# verify: 0 mismatches"]),
    dict(name="readme.firmware", needs=ELF, guide="README", cmd=RUN + " --firmware build/bin/dfc_firmware.elf", clean=["out"],
         shown="build/bin/dfcsim run --firmware build/bin/dfc_firmware.elf # report.json \"iss\"",
         files=OUT_FILES, out=[r"^  firmware image: \d+ instructions on \d+ hardware threads"],
         json={"out/report.json": {"iss.instructions": positive, "iss.per_path": None, "iss.threads": None}}),
    dict(name="readme.gdb.start", needs=ELF, guide="README", set="long", start="gdb",
         cmd=RUN + " --firmware build/bin/dfc_firmware.elf --gdb 1234 --out gdb-out",
         shown="build/bin/dfcsim run --firmware build/bin/dfc_firmware.elf --gdb 1234 # waits for: gdb-multiarch",
         ready="waits for a debugger", out=[r"waits for a debugger on 127\.0\.0\.1:1234"]),
    dict(name="readme.gdb.attach", guide="README", set="long", tool="gdb-multiarch",
         shown="gdb-multiarch build/bin/dfc_firmware.elf -ex 'target remote :1234'",
         cmd="gdb-multiarch -batch build/bin/dfc_firmware.elf -ex 'target remote :1234' -ex 'info threads' -ex detach",
         out=[r"hardware thread 31\)", r"_start"]),
    dict(name="readme.gdb.end", guide="README", set="long", stop="gdb", cmd="(the run goes on after detach)",
         shown="--gdb 1234", files=["gdb-out/report.json"], out=[r"scoreboard: PASS"]),
    dict(name="readme.calibrate", needs=ELF, guide="README", set="long",
         shown="build/bin/dfcsim calibrate --firmware build/bin/dfc_firmware.elf --profile ms3 --out ms3-calibrated.json",
         cmd="build/bin/dfcsim calibrate --firmware build/bin/dfc_firmware.elf --profile ms3 "
             "--out ms3-calibrated.json --packets 300", timeout=600,
         files=["ms3-calibrated.json"], checks=[exists_glob("ms3-calibrated.runs/*")],
         out=[r"^calibrate: ms3-calibrated\.json$"]),
    dict(name="guide.run-calibrated", guide="guide", set="long", shown="dfcsim run ... --profile ms3-calibrated.json",
         cmd=RUN + " %s --pcap-in %scapture.pcap --profile ms3-calibrated.json --out cal-run" % (EXAMPLE, E),
         files=["cal-run/report.json"], out=SUMMARY_EXAMPLE[:1]),
    dict(name="readme.race-check", guide="README", cmd=RUN + " testbench/scenarios/churn.json --race-check",
         clean=["out"], files=OUT_FILES, json={"out/report.json": {"races": []}}),
    dict(name="readme.race-check-image", needs=ELF, guide="README", set="long",
         cmd=RUN + " testbench/scenarios/churn.json --race-check --firmware build/bin/dfc_firmware.elf",
         shown=["churn.json --race-check --firmware build/bin/dfc_firmware.elf # no race; see below",
                "`races` is empty and", "`race_check.races_reported` is 0"], rc=0, clean=["out"], timeout=600,
         json={"out/report.json": {"races": [], "race_check.races_reported": 0, "race_check.mode": "image"}}),
    dict(name="readme.regress-race", guide="README", cmd="build/bin/dfcsim regress --schedule-seeds 5 --race-check -j2",
         skip="every default entry under 5 interleavings with the race checker: 115 runs, far beyond a test"),
    dict(name="readme.setup-scripts", guide="README", cmd="bash scripts/run-default.sh; bash scripts/test.sh",
         shown=["bash scripts/run-default.sh", "bash scripts/test.sh"],
         skip="they install packages and build in build/ (the CI's clean-clone run does this)"),
    dict(name="readme.install", guide="README", cmd="cmake --install build --prefix /opt/dfcsim",
         skip="writes into a build tree and a prefix: ctest tools.install and tools.man_completion do it"),
    # ---------------------------------------------------------------- user guide, dfcsim run
    dict(name="guide.run-traffic", guide="guide",
         cmd="dfcsim run %s --traffic 'rate=10g,load=0.5,size=imix,packets=1e5,match=0.2,match-dst=10.1.1.1,"
             "match-dport=53'" % EXAMPLE, clean=["out"], files=OUT_FILES + ["out/cdest-cd1.pcap"],
         out=[r"^  packets in: 100000, matched: [1-9]\d*, copies made: [1-9]"],
         json={"out/report.json": {"packets_in": 100000, "accounting.balanced": 1}}),
    dict(name="guide.run-capture", guide="guide", shown="dfcsim run %s --pcap-in %scapture.pcap" % (EXAMPLE, E),
         cmd="dfcsim run %s --pcap-in %scapture.pcap" % (EXAMPLE, E), clean=["out"],
         files=OUT_FILES + ["out/cdest-cd1.pcap"],
         out=SUMMARY_EXAMPLE + [lit("  DTCP: 2 request(s), 2 replies, 0 notification(s)"),
                                r"^  replay: 12 packets, 936 bytes in 11 ms: asked the capture's timing"]),
    dict(name="guide.run-capture-line-rate", guide="guide",
         shown="dfcsim run %s --pcap-in %scapture.pcap [--pcap-timing line-rate]" % (EXAMPLE, E),
         cmd="dfcsim run %s --pcap-in %scapture.pcap --pcap-timing line-rate" % (EXAMPLE, E), clean=["out"],
         out=SUMMARY_EXAMPLE[:1] + [r"^  replay: .*asked line rate"]),
    dict(name="guide.run-filter-pps-loop", guide="guide",
         cmd="dfcsim run %s --pcap-in %scapture.pcap --pcap-filter 'udp port 53' --pps 1e6 --loop 3" % (EXAMPLE, E),
         clean=["out"], out=[r"^  packets in: 12, matched: 12, copies made: 12$"],
         shown=["dfcsim run %s --pcap-in %scapture.pcap --pcap-filter 'udp port 53' --pps 1e6 --loop 3" % (EXAMPLE, E),
                "the filtered replay 12 copies"]),
    dict(name="guide.bad-pps", guide="guide", rc=2, clean=["out"], absent=["out"],
         shown="`--pps: -5 is not a rate; give a positive number of packets per second (e.g. --pps 100000)`",
         cmd="dfcsim run %s --pcap-in %scapture.pcap --pps -5" % (EXAMPLE, E),
         out=[re.escape("--pps: -5 is not a rate; give a positive number of packets per second (e.g. --pps 100000)")]),
    dict(name="guide.truncated-pcap", guide="guide", rc=2, clean=["out"], absent=["out"],
         shown="`FILE: record N: truncated dump file; ...`, with the `editcap` command",
         cmd="head -c 1000 %scapture.pcap > cut.pcap && dfcsim run %s --pcap-in cut.pcap" % (E, EXAMPLE),
         out=[r"cut\.pcap: record \d+: truncated dump file", r"editcap"]),
    dict(name="guide.why", guide="guide", shown="dfcsim run ... --why 'udp and dst net 10.1.1.0/24'",
         cmd="dfcsim run %s --pcap-in %scapture.pcap --why 'udp and dst net 10.1.1.0/24' --out why" % (EXAMPLE, E),
         files=["why/why.jsonl"], checks=[why_lines("why/why.jsonl", 4)]),
    dict(name="guide.why-nearest", guide="guide", shown="`nearest`",
         cmd="dfcsim run %s --pcap-in %scapture.pcap --why 'udp port 123' --out why2 -q" % (EXAMPLE, E),
         checks=[why_lines("why2/why.jsonl", 4), nearest_in("why2/why.jsonl", "dest-address")],
         files=["why2/why.jsonl"]),
    dict(name="guide.wave-vcd-window", guide="guide", shown=["--wave vcd", "--wave-window FROM_US:TO_US"],
         cmd="dfcsim run %s --pcap-in %scapture.pcap --wave vcd --wave-window 100: --out wave -q" % (EXAMPLE, E),
         files=["wave/card.vcd", "wave/classifier.vcd"], json={"wave/report.json": {"wave": None}}),
    dict(name="guide.wave-signals", guide="guide", shown="--wave-signals 'card.core0.*,card.drop*'",
         cmd="dfcsim run %s --pcap-in %scapture.pcap --wave fst --wave-signals 'card.core0.*,card.drop*' "
             "--classifier lockstep --out wave2 -q" % (EXAMPLE, E), files=["wave2/card.fst", "wave2/classifier.fst"]),
    dict(name="guide.wave-signals-none", guide="guide", rc=2, shown="A glob that matches no signal is an error (exit 2)",
         cmd="dfcsim run %s --pcap-in %scapture.pcap --wave vcd --wave-signals 'nothing.*' --out wave3 -q"
             % (EXAMPLE, E), out=[r"card\."]),
    dict(name="guide.wave-model", guide="guide", shown="`--classifier model` writes only `card.*`",
         cmd="dfcsim run %s --pcap-in %scapture.pcap --classifier model --wave vcd --out wave4 -q" % (EXAMPLE, E),
         files=["wave4/card.vcd"], absent=["wave4/classifier.vcd"]),
    dict(name="guide.scenario-example", guide="guide", shown="(`dfcsim run docs/examples/scenario.json`)",
         cmd="dfcsim run docs/examples/scenario.json --out scen",
         files=["scen/report.json", "scen/cdest-cd1.pcap"], out=[r"^  scoreboard: PASS"],
         json={"scen/report.json": {"expectations": [], "dtcp.replies": positive}},
         checks=[lambda root: guide_block_is_file(root)]),
    # ---------------------------------------------------------------- regress, classbench, rfc2544
    dict(name="guide.regress-slurm-option", guide="guide", rc=2,
         shown="The Slurm options without `--slurm`, or with a value sbatch would refuse, exit 2",
         cmd="dfcsim regress --time 30:00 --out rg", absent=["rg"]),
    dict(name="guide.regress-default", guide="guide", set="long", timeout=1800,
         cmd="dfcsim regress --jobs 2 --junit default.xml", shown=["dfcsim regress # label \"default\"", "--junit FILE"],
         files=["default.xml", "out/regress/coverage.json", "out/regress/coverage-merged.json"],
         out=[r"^\d+/\d+ passed \(label default\); merged coverage: out/regress/coverage\.json"]),
    dict(name="guide.regress-nightly", guide="guide", cmd="dfcsim regress --label nightly --junit nightly.xml --jobs 2",
         skip="the nightly label: tens of minutes (ctest -L long runs it as testbench.regress.nightly)"),
    dict(name="guide.regress-seeds", guide="guide", cmd="dfcsim regress --seeds 20",
         skip="20 seeds of every default entry: tens of minutes"),
    dict(name="guide.regress-slurm", guide="guide", cmd="dfcsim regress --slurm --partition debug --junit farm.xml",
         skip="no Slurm cluster here (ctest -L slurm starts a single-node one as root)"),
    dict(name="guide.classbench-example", guide="guide",
         cmd="dfcsim classbench --rules docs/examples/acl-small --trace docs/examples/acl-small.trace --verify",
         out=[r"^0$", r"^7$", r"^# classifier rtl depth 1024 \| rules 8 \| entries 8", r"^# verify: 0 mismatches"]),
    dict(name="guide.classbench-lockstep", guide="guide", shown="--classifier rtl|model|lockstep",
         cmd="dfcsim classbench --rules docs/examples/acl-small --classifier lockstep -q",
         out=[r"^# classifier lockstep depth 1024 \| rules 8"]),
    dict(name="guide.rfc2544-example", guide="guide", set="long", timeout=3600,
         shown="dfcsim rfc2544 --config docs/examples/dfc.conf --dtcp docs/examples/requests.dtcp",
         cmd="dfcsim rfc2544 %s --traffic flows=100,match=1,match-dst=10.1.2.0/24,match-proto=6 "
             "--tests throughput,back-to-back --trial-ms 50 --sizes 64 --out rfc" % EXAMPLE,
         files=["rfc/rfc2544.json", "rfc/report.html"], json={"rfc/rfc2544.json": {"results.0.frame_size": 64}}),
    dict(name="guide.install", guide="guide", cmd="cmake --install build --prefix /opt/dfcsim",
         skip="writes into a build tree and a prefix: ctest tools.install does it"),
]

# ---------------------------------------------------------------- the real-time guide's session
SERVE = ("build/bin/dfcsim serve --config docs/examples/dfc.conf --out out "
         "--traffic 'pps=200,packets=1000000,flows=10,match=0.5,match-dst=10.1.1.1,match-proto=17,match-dport=53'")
ALIAS = "alias ctl='build/bin/dtcpctl --server 127.0.0.1:2400 --csource cs1 --key-file key'"
STEPS += [
    dict(name="rt.config-is-example", guide="realtime", cmd="cat docs/examples/dfc.conf",
         shown="It is `docs/examples/dfc.conf` in the source tree", checks=[lambda root: realtime_config_is_file(root)]),
    dict(name="rt.serve", guide="realtime", start="serve", cmd=SERVE, clean=["out"], ready="dfcsim serve: ready",
         out=[lit("dfcsim serve: ms400 card, rtl classifier, real time"),
              r"^  DTCP on udp 127\.0\.0\.1:2400 for cs1 \(loopback presented as 10\.36\.41\.1\); receive buffer \d+ KiB",
              lit("  notifications of cs1 -> udp 127.0.0.1:2100"),
              lit("  copies -> out/cdest-<id>.pcap; stop with Ctrl-C (SIGINT) or SIGTERM; SIGHUP restarts the card"),
              lit("dfcsim serve: ready")]),
    dict(name="rt.add", guide="realtime",
         cmd="ctl add --cdest cd1 --dst-addr 10.1.1.1 --proto 17 --dst-port 53 --timeout-idle 600 --priority 2",
         shown=[ALIAS, "ctl add --cdest cd1 --dst-addr 10.1.1.1 --proto 17 --dst-port 53 --timeout-idle 600 --priority 2"],
         out=[lit("DTCP/0.7 200 OK"), lit("Criteria-ID: 1")]),
    dict(name="rt.list", guide="realtime", cmd="sleep 1; ctl list --flags Both", shown="ctl list --flags Both",
         out=[lit("DTCP/0.7 200 OK"), r"^  Matching-Packets: [1-9]", r"^  Remaining-Idle: \d+"]),
    dict(name="rt.refresh", guide="realtime", cmd="ctl refresh --criteria-id 1 --timeout-idle 1200",
         out=[lit("DTCP/0.7 200 OK")]),
    dict(name="rt.noop", guide="realtime", cmd="ctl noop --flags SendAsync", out=[lit("DTCP/0.7 200 OK")]),
    dict(name="rt.json-list", guide="realtime", cmd="ctl --json list",
         out=[r'^\{.*"method":"LIST".*"status":200', r'"Timeout-Idle":"1200"']),
    dict(name="rt.listen", guide="realtime", start="listen", shown="build/bin/dtcpctl --key-file key listen --port 2100",
         cmd="build/bin/dtcpctl --key-file key listen --port 2100 --count 1 --timeout 30",
         ready="listening for notifications"),
    dict(name="rt.add-sendasync", guide="realtime", cmd="ctl add --cdest cd1 --dst-addr 10.1.1.99 --timeout-idle 5 --flags SendAsync",
         out=[lit("DTCP/0.7 200 OK"), lit("Criteria-ID: 2")]),
    dict(name="rt.listen-390", guide="realtime", stop="listen", cmd="(five seconds later)", timeout=30,
         shown="Five seconds later (no packet to 10.1.1.99 keeps it alive)",
         out=[r"from 127\.0\.0\.1:2400: DTCP/0\.7 390 Criterion Timeout Delete", lit("  Criteria-ID: 2"),
              lit("  Cdest-ID: cd1"), lit("  Timeout-Idle: 5"), lit("  Remaining-Idle: 0")]),
    dict(name="rt.delete", guide="realtime", cmd="ctl delete --criteria-id 1", out=[lit("DTCP/0.7 200 OK")]),
    dict(name="rt.delete-unknown", guide="realtime", rc=12, shown="431 Unknown Criteria ID",
         cmd="ctl delete --criteria-id 1", out=[lit("DTCP/0.7 431 Unknown Criteria ID")]),
    dict(name="rt.delete-cdest", guide="realtime", cmd="ctl delete --cdest cd1", shown="or --cdest cd1",
         out=[lit("DTCP/0.7 200 OK")]),
    dict(name="readme.dtcpctl-add", guide="README",
         cmd="build/bin/dtcpctl --server localhost:2400 --csource cs1 --key-file docs/examples/key add --cdest cd1 "
             "--dst-addr 10.1.1.1 --timeout-idle 600", out=[lit("DTCP/0.7 200 OK"), r"^Criteria-ID: \d+$"]),
    dict(name="readme.dtcpctl-send", guide="README",
         cmd="build/bin/dtcpctl --server localhost:2400 --csource cs1 --key-file docs/examples/key send "
             "docs/examples/requests.dtcp", out=[r"(?s)DTCP/0\.7 200 OK.*DTCP/0\.7 200 OK"]),
    dict(name="rt.stop", guide="realtime", stop="serve", signal=signal.SIGTERM, cmd="kill -TERM <serve>",
         shown="Stop with Ctrl-C or `kill -TERM`: the card drains, then writes `out/report.json`",
         files=["out/report.json", "out/report.html", "out/cdest-cd1.pcap", "out/dtcp.log"],
         out=[r"^dfcsim serve: stopped \(SIGTERM\)", r"^  scoreboard: PASS"],
         checks=[file_has("out/dtcp.log", r"^# \d+\.\d{6} us cs1 10\.36\.41\.1:\d+ \(from 127\.0\.0\.1:\d+\) -> card "
                                          r"127\.0\.0\.1:\d+ request$"),
                 file_has("out/dtcp.log", r"^# \d+\.\d{6} us card 127\.0\.0\.1:\d+ -> 10\.36\.41\.1:\d+ \(sent to "
                                          r"127\.0\.0\.1:\d+ at \d+\.\d+ us wall\) reply$")],
         json={"out/report.json": {"mode": "serve", "stopped_by": "SIGTERM", "serve.presented_from_loopback": positive,
                                   "realtime.late_events": None, "copies_per_destination.cd1.copies": positive}}),
    dict(name="rt.copies-tshark", guide="realtime", tool="tshark", shown="tshark -r out/cdest-cd1.pcap",
         cmd="tshark -r out/cdest-cd1.pcap -T fields -e ip.dst -e ip.ttl", out=[r"^10\.36\.70\.2,10\.1\.1\.1\t244,"]),
    dict(name="rt.capture-lo", guide="realtime", cmd="tshark -i lo -f 'udp port 2400 or udp port 2100' -w dtcp.pcap",
         skip="a live capture on lo (root, and the ports are the test's own): ctest tools.Dissector* does it"),
]


def guide_block_is_file(root):
    """The user guide's scenario example is docs/examples/scenario.json, byte for byte."""
    with open(os.path.join(root, "docs", "user-guide.md"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"## Scenario files.*?```json\n(.*?)```", text, re.S)
    with open(os.path.join(root, E, "scenario.json"), encoding="utf-8") as f:
        body = f.read()
    return None if m and m.group(1) == body else "the guide's scenario example differs from docs/examples/scenario.json"


def realtime_config_is_file(root):
    """The real-time guide's configuration block is docs/examples/dfc.conf without its leading comment."""
    with open(os.path.join(root, "docs", "user-guide-realtime.md"), encoding="utf-8") as f:
        m = re.search(r"## 1\. A configuration for loopback\s*```\n(.*?)```", f.read(), re.S)
    with open(os.path.join(root, E, "dfc.conf"), encoding="utf-8") as f:
        body = re.sub(r"^/\*.*?\*/\n", "", f.read(), flags=re.S)
    # the scratch copy's ports are the test's own: compare with the guide's ports put back
    body = re.sub(r"service-port \d+;", "service-port 2400;", body)
    body = re.sub(r"127\.0\.0\.1 port \d+;", "127.0.0.1 port 2100;", body)
    return None if m and m.group(1) == body else "the real-time guide's configuration differs from docs/examples/dfc.conf"
