#!/bin/sh
# verify-count-lines.sh COUNT_LINES DIR: the counts of count-lines must be
# those of wc -l, in the order given, with the total; a missing file is an
# error that names it, and makes the exit status 1.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -eu

count_lines=$1
dir=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

set -- "$dir"/*.c
"$count_lines" --jobs 3 "$@" >"$tmp/ours"
wc -l "$@" | awk '{ printf "%8d  %s\n", $1, $2 }' >"$tmp/theirs"
diff -u "$tmp/theirs" "$tmp/ours"

if "$count_lines" "$1" "$dir/no-such-file" >"$tmp/out" 2>"$tmp/err"; then
  echo "count-lines succeeded with a missing file" >&2
  exit 1
fi
grep -q "no-such-file: " "$tmp/err"
grep -q "  total$" "$tmp/out"
echo "count-lines: OK ($# files)"
