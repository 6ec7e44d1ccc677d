#!/bin/sh
# Runs every scenario of scenarios/ with its [expect] through afmp-sim check
# (TAP on stdout). Outputs go to the build folder.
#   check-scenarios.sh AFMP_SIM SOURCE_ROOT OUT_ROOT
set -eu
sim=$1
src=$2
out=$3
# Scenarios for an engine this afmp-sim lacks are left out (named on stderr).
list=$("$(dirname "$0")/scenario-list.sh" "$sim" "$src")
# shellcheck disable=SC2086
exec "$sim" check --jobs 2 --out "$out" $list
