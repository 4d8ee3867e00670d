#!/bin/sh
# run-fetch-files.sh GJS FETCH_FILES_JS SOURCE_ROOT
#
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Smoke test of examples/js/fetch-files.js: runs it three times and checks
# its exit status and output.

set -u

gjs=$1
example=$2
src=$3
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0

fail () {
  echo "FAIL: $*"
  echo "--- output:"
  cat "$out"
  echo "---"
  status=1
}

# expect EXIT_STATUS PATTERN... -- ARGS...: runs the example with ARGS and
# checks that it exits with EXIT_STATUS and that each PATTERN (grep -E)
# matches a line of its output.
expect () {
  want=$1
  shift
  patterns=
  while [ "$1" != "--" ]; do
    patterns="$patterns
$1"
    shift
  done
  shift
  echo "# gjs -m fetch-files.js $*"
  "$gjs" -m "$example" "$@" >"$out" 2>&1
  got=$?
  if [ "$got" -ne "$want" ]; then
    fail "exit status $got, expected $want"
    return
  fi
  echo "$patterns" | while IFS= read -r pattern; do
    [ -z "$pattern" ] && continue
    grep -Eq -- "$pattern" "$out" || echo "$pattern"
  done >"$out.missing"
  if [ -s "$out.missing" ]; then
    fail "no line matches: $(cat "$out.missing")"
  fi
  rm -f "$out.missing"
}

# Everything succeeds: 0.
expect 0 \
  "^ok +[0-9]+ B  $src/README.md: " \
  "^ok +[0-9]+ B  $src/meson.build: project\('gtask-sup', 'c',$" \
  "^ok +[0-9]+ B  $src/tests/js/run-fetch-files.sh: #!/bin/sh$" \
  "^ok +echo hello from a subprocess: hello from a subprocess$" \
  "^4 task\(s\): 4 succeeded, 0 failed, 0 timed out$" \
  -- -j 2 -t 20000 -c 'echo hello from a subprocess' \
  "$src/README.md" "$src/meson.build" "$src/tests/js/run-fetch-files.sh"

# A missing file: 1.
expect 1 \
  "^failed +$src/no-such-file: " \
  "^ok +[0-9]+ B  $src/meson.build: " \
  "^2 task\(s\): 1 succeeded, 1 failed, 0 timed out$" \
  -- "$src/no-such-file" "$src/meson.build"

# A command that takes too long is terminated: 1, and quickly.
start=$(date +%s)
expect 1 \
  "^timeout +sleep: not done after 1000 ms$" \
  "^ok +[0-9]+ B  $src/meson.build: " \
  "^2 task\(s\): 1 succeeded, 0 failed, 1 timed out$" \
  -- -t 1000 -c 'sleep 30' "$src/meson.build"
elapsed=$(( $(date +%s) - start ))
if [ "$elapsed" -ge 20 ]; then
  fail "took ${elapsed} s: the command was not stopped"
fi

# Usage error: 2.
expect 2 "unknown option --bogus" -- --bogus

exit $status
