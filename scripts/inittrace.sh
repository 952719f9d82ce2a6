#!/usr/bin/env bash
# Per-run sums of GODEBUG=inittrace=1 clock ms for `BIN version`: all packages, the
# Markdown stack (goldmark, bluemonday and its CSS parsers), Prometheus, OpenTelemetry;
# prints the median of each over N runs.
bin=$1; n=${2:-31}
for i in $(seq $n); do
  GODEBUG=inittrace=1 $bin version 2>&1 >/dev/null | awk '
    /^init /{ms=$5; pkg=$2; total+=ms;
      if (pkg ~ /goldmark|bluemonday|gorilla\/css|aymerick/) md+=ms;
      if (pkg ~ /prometheus/) prom+=ms;
      if (pkg ~ /opentelemetry/) otel+=ms; }
    END { printf "%.3f %.3f %.3f %.3f\n", total, md, prom, otel }'
done > /tmp/h7-it.txt
for c in 1 2 3 4; do cut -d' ' -f$c /tmp/h7-it.txt | sort -n | awk '{a[NR]=$1} END {printf "%s ", a[int((NR+1)/2)]}'; done; echo
