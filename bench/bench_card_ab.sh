#!/usr/bin/env bash
# Two builds side by side on the bench_card.sh matrix, interleaved (A, B, A, B ... per row) so
# that a shared or throttled machine affects both alike. Per row and build: the best of REPEAT
# card wall times (report.json card_wall_time_s) with PACKETS packets and with one packet (the
# ADDs through the driver), and the packet phase in Mpps / wall s.
# Usage: bench/bench_card_ab.sh BUILD_A BUILD_B [PACKETS (200000)] [REPEAT (3)]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
a=$1 b=$2 packets=${3:-200000} repeat=${4:-3}
scen=$root/testbench/scenarios
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export SYSTEMC_DISABLE_COPYRIGHT_MESSAGE=1
# 4k criteria: the 1k set's form, 4000 of them (shared with the other whole-card bench).
python3 "$here/criteria_4k.py" "$tmp/4k.dtcp"
match="match=0.1,match-dst=10.200.0.1,match-proto=17,match-dport=1000"
wall() {  # build dtcp classifier traffic packets -> card wall seconds
  "$1/bin/dfcsim" run -q --config "$scen/configs/one-source.conf" --dtcp "$2" --profile ms400 --classifier "$3" \
    --traffic "$4" --packets "$5" --out "$tmp/out" >/dev/null
  python3 -c "import json; print(json.load(open('$tmp/out/report.json'))['card_wall_time_s'])"
}
min() { python3 -c "print(min($1, $2))"; }
echo "| criteria | classifier | traffic | A: card wall s (install) | B: card wall s (install) | A: packet phase Mpps / wall s | B |"
echo "|---|---|---|---|---|---|---|"
for crit in 1k 4k; do
  dtcp=$scen/dtcp/1k-criteria.dtcp
  [ $crit = 4k ] && dtcp=$tmp/4k.dtcp
  for cls in rtl model; do
    for tr in flow-local all-new; do
      if [ $tr = flow-local ]; then t="rate=10g,load=0.06,size=64,flows=100,locality=0.9,$match,seed=1"
      else t="rate=10g,load=0.06,size=64,flows=$packets,locality=0,$match,seed=1"; fi
      aw=99 ai=99 bw=99 bi=99
      for ((i = 0; i < repeat; ++i)); do
        aw=$(min "$aw" "$(wall "$a" "$dtcp" $cls "$t" "$packets")"); ai=$(min "$ai" "$(wall "$a" "$dtcp" $cls "$t" 1)")
        bw=$(min "$bw" "$(wall "$b" "$dtcp" $cls "$t" "$packets")"); bi=$(min "$bi" "$(wall "$b" "$dtcp" $cls "$t" 1)")
      done
      python3 -c "print(f'| $crit | $cls | $tr | {$aw:.3f} ({$ai:.3f}) | {$bw:.3f} ({$bi:.3f}) | {$packets/($aw-$ai)/1e6:.2f} | {$packets/($bw-$bi)/1e6:.2f} |')"
    done
  done
done
