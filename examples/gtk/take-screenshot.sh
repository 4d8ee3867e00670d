#!/bin/sh
# take-screenshot.sh BUILDDIR [FILE]: the README's and the docs' picture of
# the GTK example, with jobs under way, taken under Xvfb by the app itself
# (default FILE: introspection/jobs.png, next to the docs' overview).
#
# SPDX-License-Identifier: LGPL-2.1-or-later

set -eu
build=${1:?usage: take-screenshot.sh BUILDDIR [FILE]}
out=${2:-$(dirname "$0")/../../introspection/jobs.png}
GSK_RENDERER=cairo xvfb-run -a "$build/examples/gtk/gtask-sup-jobs" --screenshot "$out"
echo "$out"
