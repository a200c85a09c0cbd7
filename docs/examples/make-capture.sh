#!/bin/sh
# Makes capture.pcap, the guides' example capture, with text2pcap and mergecap (Wireshark's
# tools): 12 Ethernet/IPv4 frames 1 ms apart, one flow per criterion of requests.dtcp and one
# that no criterion matches, so a replay of it shows copies and unmatched packets.
#   sh docs/examples/make-capture.sh [OUT.pcap]      (default: capture.pcap beside this script)
set -eu
out=${1:-$(dirname "$0")/capture.pcap}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# hex dump of N packets of a 32-byte payload, one every 3 ms starting at START ms
frames() {
  n=$1 start=$2 i=0
  while [ "$i" -lt "$n" ]; do
    ms=$((start + 3 * i))
    printf '2026-01-01 00:00:00.%03d000\n0000  00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f\n' "$ms"
    printf '0010  10 11 12 13 14 15 16 17 18 19 1a 1b 1c 1d 1e 1f\n\n'
    i=$((i + 1))
  done
}
ts='%Y-%m-%d %H:%M:%S.%f'
# DNS-like UDP to 10.1.1.1:53 (the first ADD of requests.dtcp)
frames 4 0 | text2pcap -q -t "$ts" -e 0x800 -4 172.16.0.5,10.1.1.1 -u 40000,53 - "$tmp/dns.pcap"
# TCP to 10.1.2.7:80 (the second ADD: 10.1.2.0/24, protocol 6)
frames 4 1 | text2pcap -q -t "$ts" -e 0x800 -4 172.16.0.6,10.1.2.7 -T 40001,80 - "$tmp/web.pcap"
# UDP to 10.9.9.9:123: no criterion matches
frames 4 2 | text2pcap -q -t "$ts" -e 0x800 -4 172.16.0.7,10.9.9.9 -u 40002,123 - "$tmp/ntp.pcap"
mergecap -F pcap -w "$out" "$tmp/dns.pcap" "$tmp/web.pcap" "$tmp/ntp.pcap"
