#!/usr/bin/env bash
# min and median wall ms of `BIN version` over N runs, alternating two binaries
a=$1; b=$2; n=${3:-40}
for i in $(seq $n); do
  for bin in $a $b; do
    s=$(date +%s%N); $bin version >/dev/null 2>&1; e=$(date +%s%N)
    echo "$bin $(( (e-s)/1000 ))"
  done
done > /tmp/h7-wall.txt
for bin in $a $b; do grep "^$bin " /tmp/h7-wall.txt | awk '{print $2}' | sort -n | awk -v b=$bin '{v[NR]=$1} END {printf "%s min %.1f ms median %.1f ms\n", b, v[1]/1000, v[int((NR+1)/2)]/1000}'; done
