#!/usr/bin/env python3
"""The guides' example commands, run as a new user types them, checked against what the guides say.

Every step names the guide it comes from and the command text as the guide prints it: the text
must still be in that guide (so the guide cannot change without this list following), then it runs
in a scratch directory laid out like the source tree (build/bin/, docs/, testbench/, tools/ and the
programs on PATH), and its exit code, the files it writes and the lines it prints are compared with
what the guide says. Steps too slow for the default suite belong to the set `long`; steps that
cannot run here are listed with the reason (--list shows every step).

  walkthrough.py --source DIR --bin DIR [--set quick|long|all] [--only NAME] [--keep] [--list]

The serve session's UDP ports 2400 and 2100 (docs/examples/dfc.conf) and the gdb port 1234 are
replaced by free ports, in the commands and in the scratch copy of the configuration, so two runs
never collide.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from walkthrough_steps import STEPS  # noqa: E402  (the step list, beside this file)

GUIDES = {"README": "README.md", "guide": "docs/user-guide.md", "realtime": "docs/user-guide-realtime.md"}


def normalise(text):
    """Guide text and command text compared with line continuations and runs of blanks folded."""
    return re.sub(r"\s+", " ", text.replace("\\\n", " ")).strip()


def free_port(kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def lookup(doc, dotted):
    cur = doc
    for part in dotted.split("."):
        if isinstance(cur, list):
            cur = cur[int(part)]
        elif isinstance(cur, dict) and part in cur:
            cur = cur[part]
        else:
            raise KeyError(dotted)
    return cur


class Walk:
    def __init__(self, args):
        self.args = args
        self.src = os.path.abspath(args.source)
        self.guides = {}
        for key, rel in GUIDES.items():
            with open(os.path.join(self.src, rel), encoding="utf-8") as f:
                self.guides[key] = normalise(f.read())
        self.dir = tempfile.mkdtemp(prefix="walkthrough-")
        self.background = {}
        self.ports = {"2400": str(free_port()), "2100": str(free_port()), "1234": str(free_port(socket.SOCK_STREAM))}
        self.failures = []

    def lay_out(self):
        """A scratch directory that reads like the source tree to the guides' relative paths."""
        os.makedirs(os.path.join(self.dir, "build", "bin"))
        for prog in ("dfcsim", "dtcpctl", "dfc_firmware.elf"):
            src = os.path.join(self.args.bin, prog)
            if os.path.exists(src):
                os.symlink(os.path.abspath(src), os.path.join(self.dir, "build", "bin", prog))
        for sub in ("testbench", "tools"):
            os.symlink(os.path.join(self.src, sub), os.path.join(self.dir, sub))
        # docs/ is a copy: the serve session's ports are rewritten in its configuration
        shutil.copytree(os.path.join(self.src, "docs"), os.path.join(self.dir, "docs"))
        conf = os.path.join(self.dir, "docs", "examples", "dfc.conf")
        with open(conf, encoding="utf-8") as f:
            text = f.read()
        with open(conf, "w", encoding="utf-8") as f:
            f.write(self.ports_in(text))
        # the guide's set-up step: `printf lab-key > key; chmod 600 key`
        shutil.copy(os.path.join(self.dir, "docs", "examples", "key"), os.path.join(self.dir, "key"))
        os.chmod(os.path.join(self.dir, "key"), 0o600)

    def ports_in(self, text):
        for old, new in self.ports.items():
            text = re.sub(r"\b%s\b" % old, new, text)
        return text

    def env(self):
        env = dict(os.environ)
        env["PATH"] = os.path.join(self.dir, "build", "bin") + os.pathsep + env.get("PATH", "")
        env["SYSTEMC_DISABLE_COPYRIGHT_MESSAGE"] = "1"
        env["HOME"] = self.dir  # dtcpctl's default Seq file goes under the scratch directory
        return env

    def shell(self, cmd):
        # the realtime guide's alias, as a function (aliases do not expand in `bash -c`)
        prelude = ("ctl() { build/bin/dtcpctl --server 127.0.0.1:%s --csource cs1 --key-file key \"$@\"; }\n"
                   % self.ports["2400"])
        return ["bash", "-c", prelude + self.ports_in(cmd)]

    def fail(self, step, why):
        self.failures.append("%s: %s" % (step["name"], why))
        print("FAIL %-28s %s" % (step["name"], why), flush=True)

    def in_guide(self, step):
        shown = step.get("shown", step["cmd"])
        for text in shown if isinstance(shown, list) else [shown]:
            if normalise(text) not in self.guides[step["guide"]]:
                return "the guide (%s) no longer shows: %s" % (GUIDES[step["guide"]], normalise(text))
        return None

    def run_step(self, step):
        why = self.in_guide(step)
        if why:
            return self.fail(step, why)
        if step.get("tool") and not shutil.which(step["tool"]):
            print("SKIP %-28s %s is not installed" % (step["name"], step["tool"]), flush=True)
            return None
        if step.get("needs") and not os.path.exists(os.path.join(self.dir, step["needs"])):
            print("SKIP %-28s no %s in this build" % (step["name"], step["needs"]), flush=True)
            return None
        for rel in step.get("clean", []):
            shutil.rmtree(os.path.join(self.dir, rel), ignore_errors=True)
        if step.get("start"):
            return self.start(step)
        if step.get("stop"):
            return self.stop(step)
        t0 = time.monotonic()
        try:
            p = subprocess.run(self.shell(step["cmd"]), cwd=self.dir, env=self.env(), capture_output=True,
                               text=True, errors="replace", timeout=step.get("timeout", 120))
        except subprocess.TimeoutExpired:
            return self.fail(step, "no exit after %s s" % step.get("timeout", 120))
        return self.check(step, p.returncode, p.stdout + p.stderr, time.monotonic() - t0)

    def start(self, step):
        log = open(os.path.join(self.dir, step["name"] + ".log"), "w+", encoding="utf-8")
        p = subprocess.Popen(self.shell("exec " + step["cmd"]), cwd=self.dir, env=self.env(), stdout=log,
                             stderr=subprocess.STDOUT)
        self.background[step["start"]] = (p, log)
        deadline = time.monotonic() + step.get("timeout", 20)
        while time.monotonic() < deadline:
            log.seek(0)
            text = log.read()
            if step.get("ready") is None or step["ready"] in text or p.poll() is not None:
                break
            time.sleep(0.1)
        if p.poll() is not None and step.get("ready"):
            return self.fail(step, "exited %s before it was ready:\n%s" % (p.returncode, text))
        return self.check(step, 0, text, 0.0)

    def stop(self, step):
        if step["stop"] not in self.background:
            return self.fail(step, "its process did not start")
        p, log = self.background.pop(step["stop"])
        if step.get("signal"):
            p.send_signal(step["signal"])
        try:
            rc = p.wait(timeout=step.get("timeout", 30))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return self.fail(step, "no exit after %s s" % step.get("timeout", 30))
        log.seek(0)
        text = log.read()
        log.close()
        return self.check(step, rc, text, 0.0)

    def check(self, step, rc, out, seconds):
        want = step.get("rc", 0)
        problems = []
        if rc != want:
            problems.append("exit %s, the guide says %s" % (rc, want))
        for name in step.get("files", []):
            path = os.path.join(self.dir, self.ports_in(name))
            if not os.path.exists(path) or (os.path.isfile(path) and os.path.getsize(path) == 0):
                problems.append("no (or an empty) %s" % name)
        for name in step.get("absent", []):
            if os.path.exists(os.path.join(self.dir, name)):
                problems.append("%s written, the guide says nothing is" % name)
        for pattern in step.get("out", []):
            if not re.search(self.ports_in(pattern), out, re.M):
                problems.append("output lacks /%s/" % pattern)
        for rel, checks in step.get("json", {}).items():
            problems += self.json_problems(rel, checks)
        for check in step.get("checks", []):
            why = check(self.dir)
            if why:
                problems.append(why)
        if problems:
            return self.fail(step, "; ".join(problems) + "\n  command: %s\n  output:\n%s" % (
                self.ports_in(step["cmd"]), "\n".join("    " + line for line in out.splitlines()[-25:])))
        print("ok   %-28s %5.1f s  %s" % (step["name"], seconds, normalise(step["cmd"])[:90]), flush=True)
        return None

    def json_problems(self, rel, checks):
        try:
            with open(os.path.join(self.dir, rel), encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            return ["%s: %s" % (rel, e)]
        problems = []
        for dotted, want in checks.items():
            try:
                got = lookup(doc, dotted)
            except (KeyError, IndexError, ValueError):
                problems.append("%s has no %s" % (rel, dotted))
                continue
            if callable(want):
                if not want(got):
                    problems.append("%s %s = %r" % (rel, dotted, got))
            elif want is not None and got != want:
                problems.append("%s %s = %r, expected %r" % (rel, dotted, got, want))
        return problems

    def finish(self):
        for p, log in self.background.values():
            p.kill()
            p.wait()
            log.close()
        if self.args.keep:
            print("scratch directory kept:", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--source", required=True, help="the source tree (its README.md, docs/, testbench/)")
    ap.add_argument("--bin", required=True, help="the directory of dfcsim, dtcpctl, dfc_firmware.elf")
    ap.add_argument("--set", default="quick", choices=["quick", "long", "all"],
                    help="quick: the default suite's steps; long: the slow ones; all: both")
    ap.add_argument("--only", help="run only the steps whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--list", action="store_true", help="list every step with its set and exit")
    args = ap.parse_args()
    if args.list:
        for s in STEPS:
            print("%-6s %-28s %s%s" % (s.get("set", "quick"), s["name"], normalise(s["cmd"])[:80],
                                       ("\n       skipped: " + s["skip"]) if s.get("skip") else ""))
        return 0
    walk = Walk(args)
    try:
        walk.lay_out()
        ran = 0
        for step in STEPS:
            if args.only and args.only not in step["name"]:
                continue
            if step.get("skip"):
                print("SKIP %-28s %s" % (step["name"], step["skip"]), flush=True)
                continue
            if args.set != "all" and step.get("set", "quick") != args.set:
                continue
            walk.run_step(step)
            ran += 1
    finally:
        walk.finish()
    print("%d step(s) run, %d failed" % (ran, len(walk.failures)))
    for f in walk.failures:
        print("  " + f.splitlines()[0])
    return 1 if walk.failures or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
