#!/bin/sh
# compare-sha256.sh [-r RUNS] [-j JOBS] [-n XARGS_N] [--no-exec] SHA256_TREE [DIR]
#
# Times, in one run, on DIR (default /usr/share):
#
#   A  sha256-tree --jobs JOBS DIR                      (in-process, stream)
#   B  find DIR -type f -print0 | xargs -0 -P JOBS -n XARGS_N sha256sum
#   C  sha256-tree --jobs JOBS --exec sha256sum DIR     (one process per file)
#   E  find DIR -type f -print0 | xargs -0 -P JOBS -n 1 sha256sum
#   D  sha256-tree --jobs JOBS --exec sha256sum --batch XARGS_N DIR
#
# each run after reading every file, so that the page cache is warm. The
# subjects alternate (A B C D, A B C D, …) RUNS times (default 3), so that
# a slow moment of a shared machine hits them alike; the best and the
# median wall times are printed, with the ratios A/B (target ≤ 0.8), C/E
# (one process per file, against xargs -n1: target ≤ 1.0) and D/B (batches
# of XARGS_N, against xargs -n XARGS_N: target ≤ 1.0). Outputs go to /dev/null, so no subject pays for writing
# them; each subject's exit status must be 0. C and D are skipped with
# --no-exec (C takes minutes on /usr/share).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -eu

runs=3
jobs=2
xargs_n=64
with_exec=1

while [ $# -gt 0 ]; do
  case $1 in
    -r) runs=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -n) xargs_n=$2; shift 2 ;;
    --no-exec) with_exec=0; shift ;;
    -*) echo "usage: $0 [-r RUNS] [-j JOBS] [-n XARGS_N] [--no-exec] SHA256_TREE [DIR]" >&2
        exit 2 ;;
    *) break ;;
  esac
done

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 [-r RUNS] [-j JOBS] [-n XARGS_N] [--no-exec] SHA256_TREE [DIR]" >&2
  exit 2
fi

sha256_tree=$1
dir=${2:-/usr/share}
times=$(mktemp -d)
trap 'rm -rf "$times"' EXIT

now () {
  date +%s.%N
}

# Reads every file, so that no subject pays for the disk: some virtual
# machines drop page cache that was not touched for a minute, and a run of C
# takes longer than that. Twice: the first pass may evict its own start.
warm_cache () {
  find "$dir" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true
  find "$dir" -type f -print0 | xargs -0 cat >/dev/null 2>&1 || true
}

# run NAME COMMAND…: runs COMMAND once, with a warm page cache, appends its
# wall time to $times/NAME.
run () {
  name=$1
  shift
  warm_cache
  start=$(now)
  if ! "$@" >/dev/null 2>"$times/stderr"; then
    cat "$times/stderr" >&2
    echo "FAIL: $name exited with a non-zero status" >&2
    exit 1
  fi
  end=$(now)
  echo "$start $end" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$times/$name"
}

xargs_line () {
  find "$dir" -type f -print0 | xargs -0 -P "$jobs" -n "$xargs_n" sha256sum
}

xargs_one () {
  find "$dir" -type f -print0 | xargs -0 -P "$jobs" -n 1 sha256sum
}

# best/median NAME: from the times recorded for NAME.
best () {
  sort -n "$times/$1" | head -n 1
}

median () {
  sort -n "$times/$1" | awk '
    { v[NR] = $1 }
    END {
      if (NR % 2) print v[(NR + 1) / 2]
      else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
    }'
}

ratio () {
  echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'
}

n_files=$(find "$dir" -type f -print0 | tr -dc '\0' | wc -c)
n_bytes=$(find "$dir" -type f -print0 | du -cb --files0-from=- 2>/dev/null |
          tail -n 1 | cut -f 1)
echo "compare-sha256: $dir, $n_files files, $n_bytes bytes;" \
     "--jobs $jobs, xargs -n $xargs_n, $runs runs"
echo "$(nproc) CPUs, $(uname -r), $(sha256sum --version | head -n 1)," \
     "load average $(cut -d ' ' -f 1-3 /proc/loadavg)"

i=0
while [ "$i" -lt "$runs" ]; do
  run tree "$sha256_tree" --jobs "$jobs" "$dir"
  run find_xargs xargs_line
  if [ "$with_exec" -eq 1 ]; then
    run exec "$sha256_tree" --jobs "$jobs" --exec sha256sum "$dir"
    run find_xargs_one xargs_one
    run exec_batch "$sha256_tree" --jobs "$jobs" --exec sha256sum --batch "$xargs_n" "$dir"
  fi
  i=$((i + 1))
done

printf '\n%-44s %9s %9s\n' "wall time, seconds" best median
printf '%-44s %9s %9s\n' "A  sha256-tree --jobs $jobs" "$(best tree)" "$(median tree)"
printf '%-44s %9s %9s\n' "B  find | xargs -0 -P$jobs -n$xargs_n sha256sum" \
  "$(best find_xargs)" "$(median find_xargs)"
if [ "$with_exec" -eq 1 ]; then
  printf '%-44s %9s %9s\n' "C  sha256-tree --exec sha256sum" "$(best exec)" "$(median exec)"
  printf '%-44s %9s %9s\n' "E  find | xargs -0 -P$jobs -n1 sha256sum" \
    "$(best find_xargs_one)" "$(median find_xargs_one)"
  printf '%-44s %9s %9s\n' "D  sha256-tree --exec sha256sum --batch $xargs_n" \
    "$(best exec_batch)" "$(median exec_batch)"
fi

a_b=$(ratio "$(best tree)" "$(best find_xargs)")
echo
echo "A/B: $a_b× best, $(ratio "$(median tree)" "$(median find_xargs)")× median" \
     "(target ≤ 0.8×: $(echo "$a_b" | awk '{ print ($1 <= 0.8) ? "met" : "MISSED" }'))"
if [ "$with_exec" -eq 1 ]; then
  c_e=$(ratio "$(best exec)" "$(best find_xargs_one)")
  d_b=$(ratio "$(best exec_batch)" "$(best find_xargs)")
  echo "C/E: $c_e× best, $(ratio "$(median exec)" "$(median find_xargs_one)")× median" \
       "(target ≤ 1.0×: $(echo "$c_e" | awk '{ print ($1 <= 1.0) ? "met" : "MISSED" }'))"
  echo "D/B: $d_b× best, $(ratio "$(median exec_batch)" "$(median find_xargs)")× median" \
       "(target ≤ 1.0×: $(echo "$d_b" | awk '{ print ($1 <= 1.0) ? "met" : "MISSED" }'))"
fi
