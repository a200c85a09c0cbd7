#!/usr/bin/env bash
# tools.slurm (ctest -L slurm): starts a real single-node Slurm on localhost from Debian's
# packages (munged, slurmctld, slurmd; everything configured in a temporary directory, on ports
# of its own), runs a small regression through `dfcsim regress --slurm`, checks the merged JUnit
# and coverage, and stops the daemons it started. Exit 77 (ctest: skipped) only when not root or
# when the packages are missing; any other problem fails.
set -uo pipefail
dfcsim=$1 src=$2
skip() { echo "SKIP: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root (slurmd runs jobs as root here)"
for b in munged slurmctld slurmd sbatch squeue scancel sinfo scontrol; do
  command -v "$b" >/dev/null || skip "$b is missing: scripts/setup-deps.sh installs slurm-wlm and munge"
done

tmp=$(mktemp -d /tmp/dfcsim-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$tmp"/log/*; do echo "---- $f"; tail -n 30 "$f"; done
  exit 1
}
mkdir -p "$tmp"/{log,state,spool,munge}
chmod 711 "$tmp/munge"

# munge with its own key and socket.
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
sock=$tmp/munge/munge.socket
munged --foreground --force --key-file="$tmp/munge/munge.key" --socket="$sock" \
       --pid-file="$tmp/munge/munged.pid" --log-file="$tmp/log/munged.log" --seed-file="$tmp/munge/seed" \
       >"$tmp/log/munged.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done
[[ -S $sock ]] || fail "munged did not create its socket"

# Free TCP ports for the controller and the node daemon.
port() { python3 - 2>/dev/null <<'PY' || echo $((20000 + RANDOM % 20000))
import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])
PY
}
cport=$(port); dport=$(port)
while [[ $dport == "$cport" ]]; do dport=$(port); done
host=$(hostname -s)
cpus=$(nproc)
cat > "$tmp/slurm.conf" <<CONF
ClusterName=dfcsimtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool/slurmd-%n
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SwitchType=switch/none
MpiDefault=none
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
MailProg=/bin/true
SchedulerParameters=sched_interval=1
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=dfctest Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
state=""
for _ in $(seq 120); do
  state=$(sinfo -h -o %T 2>/dev/null | head -n1)
  [[ $state == idle* ]] && break
  sleep 0.5
done
[[ $state == idle* ]] || fail "the node did not come up (state '$state')"
echo "slurm: node $host $state, controller port $cport"

# A small regression: two passing (scenario, seed) pairs and one that fails its expectations.
mkdir -p "$tmp/reg/s"
conf=$src/testbench/scenarios/configs/one-source.conf
dtcp=$src/testbench/scenarios/dtcp/one-criterion.dtcp
cat > "$tmp/reg/s/fine.json" <<JSON
{"config": "$conf", "dtcp": "$dtcp", "traffic": "packets=300,match=0.5,match-dst=10.1.1.1,match-proto=17"}
JSON
cat > "$tmp/reg/s/impossible.json" <<JSON
{"config": "$conf", "traffic": "packets=10", "expect": {"report": {"copies_sent": {"min": 1}}}}
JSON
printf 's/fine.json smoke 1,2\ns/impossible.json smoke 7\n' > "$tmp/reg/list"
# --time and --array-limit 1 reach sbatch: every task gets the limit, and no two tasks overlap.
out=$("$dfcsim" regress --slurm --partition dfctest --slurm-timeout 240 --time 5:00 --array-limit 1 \
      --label smoke --list "$tmp/reg/list" --out "$tmp/reg/out" --junit "$tmp/reg/j.xml" 2>&1)
rc=$?
echo "$out"
[[ $rc -eq 3 ]] || fail "regress --slurm exited $rc, expected 3 (one failed run)"
[[ $out == *"Slurm job "* ]] || fail "no Slurm job was submitted"
grep -q 'tests="3" failures="1"' "$tmp/reg/j.xml" || fail "merged JUnit: $(cat "$tmp/reg/j.xml")"
grep -q 'classname="regress.smoke.fine" name="fine.seed1"' "$tmp/reg/j.xml" \
  && grep -q 'classname="regress.smoke.fine" name="fine.seed2"' "$tmp/reg/j.xml" \
  || fail "merged JUnit lacks the passing runs"
grep -q "<property name=\"host\" value=\"$(hostname)\"/>" "$tmp/reg/j.xml" || fail "the JUnit does not say where the tasks ran"
grep -q '<property name="backend" value="slurm"/>' "$tmp/reg/j.xml" || fail "the JUnit does not name the back end"
grep -q "rerun: .* run '$tmp/reg/s/impossible.json' --seed 7" "$tmp/reg/j.xml" || fail "the failure has no rerun command"
grep -q 'copies_sent = 0, expected &gt;= 1' "$tmp/reg/j.xml" || fail "the failure's output is not in the JUnit"
[[ $out == *"run '$tmp/reg/s/impossible.json' --seed 7"* ]] || fail "the rerun command was not printed"
grep -q '"runs_merged": 3' "$tmp/reg/out/coverage.json" || fail "merged coverage: $(head -c 400 "$tmp/reg/out/coverage.json")"
# The tasks really ran under Slurm: each wrote its status from inside the job array.
for i in 0 1 2; do [[ -s $tmp/reg/out/slurm/task-$i.rc ]] || fail "task $i has no status"; done
job=$(sed -n 's/.*Slurm job \([0-9]*\).*/\1/p' <<<"$out" | head -n1)
limits=$(scontrol show job "$job" 2>&1 | grep -o 'TimeLimit=[^ ]*' | sort -u)
[[ $limits == "TimeLimit=00:05:00" ]] || fail "--time 5:00 did not reach the job: '$limits'"
# "rc start end host" per task: with --array-limit 1 each task starts after the previous ended.
sort -n -k2 "$tmp"/reg/out/slurm/task-*.rc | awk 'NR > 1 && $2 < end { bad = 1 } { end = $3 } END { exit bad }' \
  || fail "--array-limit 1: tasks overlapped: $(cat "$tmp"/reg/out/slurm/task-*.rc)"
echo "slurm: ok"
