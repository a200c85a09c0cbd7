#!/usr/bin/env bash
# Whole-process goals (docs/performance.md, "Whole process"): what the user
# waits for — `dfcsim run` under /usr/bin/time (wall seconds and peak resident memory),
# scoreboard on (it always is), best of REPEAT runs — plus the control-path benchmark.
#
#   bench/bench_whole.sh [BUILD_DIR (default build)]          # everything, one command
#   GOALS="P1 P4" REPEAT=1 P1_PACKETS="1000000" bench/bench_whole.sh
#   MODE=fast GOALS="P1 P2 P3" bench/bench_whole.sh          # the fast card (docs/fast-mode.md)
#
# Goals (docs/performance.md, "Whole process"):
#   P1  1k criteria, RTL, flow-local (100 flows, locality 0.9), 64 B; 1M and 10M packets:
#       >= 3 M packets / wall s end to end, <= 300 MB, 1M and 10M within 15 % in memory
#   P2  4k criteria (half IPv6), every packet a new flow (half IPv6), RTL: >= 1 M packets / wall s
#   P3  P1 with --classifier model: >= 5 M packets / wall s
#   P4  DTCP ADDs through the firmware, random priorities in random order: >= 200k / wall s
#   I1  P1's workload with the firmware image on the instruction-set simulators (--firmware):
#       >= 100 k packets / wall s (docs/iss.md, docs/performance.md "Image mode")
#   P7  64k criteria and 1M concurrent flows in <= 2 GiB: ms400 with --set classifier.depth=65536
#       --set flow_table_entries=2097152 (the firmware splits the table between the 2 cores, and
#       the cores do not take equal shares of the flows), the C++ model classifier (the RTL is compiled at fixed
#       depths up to 16k), 64 000 static criteria, 1M packets each a new flow (order=sweep; idle
#       timeout 60 s: all 1M flows are in the table at the end), offered at load 0.03 (446 kpps:
#       at 0.06 a card that classifies every packet against 64k criteria drops ~13 % at ingress,
#       and those flows never reach the table)
# Traffic is offered at 10GbE load 0.06 (893 kpps of 64-byte frames, below the card's
# capacity, so every packet is processed), 10 % of flows matching (as bench/bench_card.sh).
# Prints one Markdown table row per measurement, with the machine and the command.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
build=${1:-$root/build}
dfcsim=$build/bin/dfcsim
repeat=${REPEAT:-3}
mode=${MODE:-timing}  # --mode of every dfcsim run (P1-P3, P7; I1 needs timing)
goals=${GOALS:-P1 P2 P3 P4 P7}
p1_packets=${P1_PACKETS:-1000000 10000000}
p2_packets=${P2_PACKETS:-1000000}
scen=$root/testbench/scenarios
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1

echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg); $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?')"
echo
echo "| goal | run | packets | best wall s | peak RSS MB (of best) | packets / wall s end to end | scoreboard | accounting | command |"
echo "|---|---|---|---|---|---|---|---|---|"

# 4k criteria, half IPv4 (10.200.x.y, UDP port) and half IPv6 (2001:db8:2::x, UDP port).
python3 - "$tmp/4k-v6.dtcp" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(4000):
        dst = f"10.200.{i // 250}.{i % 250 + 1}" if i % 2 == 0 else f"2001:db8:2::{i:x}"
        f.write(f"ADD DTCP/0.7\nCsource-ID: md1\nCdest-ID: cd1\nDest-Address: {dst}\n"
                f"Protocol: 17\nDest-Port: {1000 + i}\nFlags: Static\n\n")
PY

# 64k criteria (P7): the 1k set's form over 64 000 destination addresses and ports.
python3 - "$tmp/64k.dtcp" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(64000):
        f.write(f"ADD DTCP/0.7\nCsource-ID: md1\nCdest-ID: cd1\nDest-Address: 10.{200 + i // 62500}.{i // 250 % 250}.{i % 250 + 1}\n"
                f"Protocol: 17\nDest-Port: {1000 + i % 60000}\nFlags: Static\n\n")
PY

# whole GOAL LABEL PACKETS DTCP CLASSIFIER TRAFFIC [--set ...]: best of $repeat by wall time.
whole() {
  local goal=$1 label=$2 packets=$3 dtcp=$4 cls=$5 traffic=$6
  shift 6
  local cmd=("$dfcsim" run -q --config "$scen/configs/one-source.conf" --dtcp "$dtcp" --profile ms400 "$@"
             --mode "$mode" --classifier "$cls" --traffic "$traffic" --packets "$packets" --out "$tmp/out")
  local best_wall="" best_rss="" sb="" acc="" rc
  for ((i = 0; i < repeat; ++i)); do
    rm -rf "$tmp/out"
    set +e
    /usr/bin/time -f "%e %M" -o "$tmp/time" "${cmd[@]}" >/dev/null 2>"$tmp/err"
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
      echo "| $goal | $label | $packets | failed (exit $rc: $(tail -1 "$tmp/err")) | | | | | |"
      return
    fi
    read -r wall rss <"$tmp/time"
    if [ -z "$best_wall" ] || python3 -c "import sys; sys.exit(0 if $wall < $best_wall else 1)"; then
      best_wall=$wall
      best_rss=$rss
      sb=$(python3 -c "import json; r=json.load(open('$tmp/out/report.json')); print('PASS' if r['scoreboard']['pass'] else 'FAIL')")
      acc=$(python3 -c "import json; r=json.load(open('$tmp/out/report.json')); a=r.get('accounting'); print('n/a (image)' if a is None else 'balanced' if a['balanced'] else 'NOT balanced')")
    fi
  done
  local c="${cmd[*]}"
  c=${c//$root\//}
  c=${c//$tmp\//}
  python3 -c "print(f'| $goal | $label | $packets | {$best_wall:.1f} | {$best_rss/1024:.0f} | {$packets/$best_wall/1e6:.2f} M | $sb | $acc | \`$c\` |')"
}

match="match=0.1,match-dst=10.200.0.1,match-proto=17,match-dport=1000"
local_traffic="rate=10g,load=0.06,size=64,flows=100,locality=0.9,$match,seed=1"
for g in $goals; do
  case $g in
    P1) for n in $p1_packets; do whole P1 "1k criteria, RTL, flow-local" "$n" "$scen/dtcp/1k-criteria.dtcp" rtl "$local_traffic"; done ;;
    P2) for n in $p2_packets; do
          whole P2 "4k criteria (half IPv6), RTL, every packet a new flow (half IPv6)" "$n" "$tmp/4k-v6.dtcp" rtl \
            "rate=10g,load=0.06,size=64,flows=$n,locality=0,order=sweep,ipv6=0.5,$match,seed=1"
        done ;;
    P3) for n in $p1_packets; do whole P3 "1k criteria, C++ model, flow-local" "$n" "$scen/dtcp/1k-criteria.dtcp" model "$local_traffic"; done ;;
    P4) for cls in model rtl; do
          line=""
          for ((i = 0; i < repeat; ++i)); do
            l=$("$build/bin/bench_dtcp_add" --classifier $cls --rounds 5 --order random)
            # keep the best ADDs per wall second (column 6)
            if [ -z "$line" ] || [ "$(echo "$l" | awk -F'|' '{print int($6)}')" -gt "$(echo "$line" | awk -F'|' '{print int($6)}')" ]; then line=$l; fi
          done
          echo "$line" | awk -F'|' -v cls=$cls '{gsub(/ /, "", $5); printf "| P4 | DTCP ADD, random priorities in random order, %s classifier, depth%s | %s ADDs | | | **%s ADDs / wall s** (%s / CPU s), %s entry moves / ADD | | %s replies 200 | `bench_dtcp_add --classifier %s --rounds 5 --order random` |\n", cls, $3, $5, $6, $7, $8, $9, cls}'
        done ;;
    I1) [ "$mode" = timing ] || { echo "| I1 | needs MODE=timing (the image runs on the timing card) | | | | | | | |"; continue; }
        for n in ${I1_PACKETS:-100000}; do
          whole I1 "1k criteria, RTL, flow-local, firmware image" "$n" "$scen/dtcp/1k-criteria.dtcp" rtl "$local_traffic" \
            --firmware "$build/bin/dfc_firmware.elf"
        done ;;
    P7) whole P7 "64k criteria, C++ model, 1M concurrent flows" 1000000 "$tmp/64k.dtcp" model \
          "rate=10g,load=0.03,size=64,flows=1000000,locality=0,order=sweep,$match,seed=1" \
          --set classifier.depth=65536 --set flow_table_entries=2097152 ;;
  esac
done
