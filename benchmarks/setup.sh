#!/bin/sh
# Competitors the benchmarks run side by side with netsafe (the benchmark scripts install nothing).
# Run once as root on Debian/Ubuntu.
set -e
apt-get install -y hashdeep   # scan_throughput.py: hashdeep -c md5,sha256 -r
