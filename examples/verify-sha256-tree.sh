#!/bin/sh
# verify-sha256-tree.sh SHA256_TREE DIR [OPTION…]
#
# Runs `SHA256_TREE OPTION… --print DIR`, checks that it exits with status 0,
# that `sha256sum -c` accepts every line, and that there is one line per
# regular file under DIR. Then does the same on a scratch tree that has what
# a walk must survive: file names with a newline, a backslash or a leading
# '-', an empty file, a FIFO (opening it would block), symlinks (one of them
# dangling, one to a directory: never followed), nested directories.
#
# With --exec among the options, the commands' outputs must also come in
# the same order whatever --jobs is (the stream is ordered in that mode).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 SHA256_TREE DIR [OPTION…]" >&2
  exit 2
fi

sha256_tree=$1
dir=$2
shift 2

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# Counts regular files by their NUL terminators: a name may hold a newline.
count_files () {
  find "$1" -type f -print0 | tr -dc '\0' | wc -c
}

# verify DIR [OPTION…]: the checks above, on DIR.
verify () {
  d=$1
  shift
  sums="$scratch/sums"

  # No pipe: a pipeline's status would be that of sha256sum alone.
  status=0
  "$sha256_tree" "$@" --print "$d" >"$sums" 2>"$scratch/stderr" || status=$?
  if [ "$status" -ne 0 ]; then
    cat "$scratch/stderr" >&2
    echo "FAIL: $sha256_tree $* --print $d exited with status $status" >&2
    exit 1
  fi

  sha256sum -c --quiet "$sums"

  n_lines=$(wc -l <"$sums")
  n_files=$(count_files "$d")
  if [ "$n_lines" -ne "$n_files" ]; then
    echo "FAIL: $n_lines lines for $n_files regular files under $d" >&2
    exit 1
  fi

  echo "OK: $n_lines files under $d verified (options: $*)"
}

tree="$scratch/tree"
mkdir -p "$tree/a/b/c" "$tree/-dash" "$tree/empty-dir"
echo hello >"$tree/a/hello"
printf 'new\n' >"$tree/a/new
line"
printf 'back\\' >"$tree/a/b/back\\slash"
: >"$tree/a/b/c/empty"
echo dash >"$tree/-dash/-file"
head -c 300000 /dev/zero >"$tree/a/b/c/zeros"
i=0
while [ $i -lt 150 ]; do
  echo "$i" >"$tree/a/b/f$i"
  i=$((i + 1))
done
mkfifo "$tree/a/fifo"
ln -s hello "$tree/a/link"
ln -s /nonexistent "$tree/a/dangling"
ln -s .. "$tree/a/b/up"

verify "$dir" "$@"
verify "$tree" "$@"

case " $* " in
  *" --exec "*|*" -x "*)
    "$sha256_tree" "$@" --jobs 1 --print "$tree" >"$scratch/jobs1" 2>/dev/null
    "$sha256_tree" "$@" --jobs 4 --print "$tree" >"$scratch/jobs4" 2>/dev/null
    if ! cmp -s "$scratch/jobs1" "$scratch/jobs4"; then
      echo "FAIL: with --exec, the output of --jobs 4 is not in the order of --jobs 1" >&2
      diff "$scratch/jobs1" "$scratch/jobs4" >&2 || true
      exit 1
    fi
    echo "OK: --exec outputs in walk order with --jobs 1 and --jobs 4"
    ;;
esac
