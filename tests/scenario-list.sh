#!/bin/sh
# The scenarios of the library this afmp-sim can run, one path per line:
# every scenarios/*.ini but those that need an engine the program lacks
# (`engine = ns3` without the ns-3 engine), which are named on stderr.
#   scenario-list.sh AFMP_SIM SOURCE_ROOT
set -eu
engines=$("$1" --engines)
for sc in "$2"/scenarios/*.ini; do
    if grep -q '^engine *= *ns3' "$sc" && ! echo " $engines " | grep -q ' ns3 '; then
        echo "# $(basename "$sc" .ini): skipped, this afmp-sim has no ns-3 engine" >&2
        continue
    fi
    echo "$sc"
done
