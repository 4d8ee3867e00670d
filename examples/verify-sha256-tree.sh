#!/bin/sh
# verify-sha256-tree.sh SHA256_TREE DIR
#
# Runs `SHA256_TREE --print DIR`, checks that it exits with status 0, that
# `sha256sum -c` accepts every line, and that there is one line per regular
# file under DIR.
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 SHA256_TREE DIR" >&2
  exit 2
fi

sha256_tree=$1
dir=$2

sums=$(mktemp)
trap 'rm -f "$sums"' EXIT

# No pipe: a pipeline's status would be that of sha256sum alone.
status=0
"$sha256_tree" --print "$dir" >"$sums" || status=$?
if [ "$status" -ne 0 ]; then
  echo "FAIL: $sha256_tree --print $dir exited with status $status" >&2
  exit 1
fi

sha256sum -c --quiet "$sums"

n_lines=$(wc -l <"$sums")
n_files=$(find "$dir" -type f | wc -l)
if [ "$n_lines" -ne "$n_files" ]; then
  echo "FAIL: $n_lines lines for $n_files regular files under $dir" >&2
  exit 1
fi

echo "OK: $n_lines files under $dir verified"
