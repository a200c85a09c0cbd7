#!/usr/bin/env python3
"""Writes the 4k-criteria DTCP script of the whole-card benchmarks (bench_card.sh,
bench_card_ab.sh): the 1k calibration set's form (destination address, UDP, one port), 4000 of
them. Usage: criteria_4k.py OUT_FILE"""
import sys

with open(sys.argv[1], "w") as f:
    for i in range(4000):
        f.write(f"ADD DTCP/0.7\nCsource-ID: md1\nCdest-ID: cd1\nDest-Address: 10.200.{i // 250}.{i % 250 + 1}\n"
                f"Protocol: 17\nDest-Port: {1000 + i}\nFlags: Static\n\n")
