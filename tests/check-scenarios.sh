#!/bin/sh
# Runs every scenario of scenarios/ with its [expect] through afmp-sim check
# (TAP on stdout). Outputs go to the build folder.
#   check-scenarios.sh AFMP_SIM SOURCE_ROOT OUT_ROOT
set -eu
sim=$1
src=$2
out=$3
exec "$sim" check --jobs 2 --out "$out" "$src"/scenarios/*.ini
