#!/bin/sh
# afmp-trace against the engine on the scenario library: every scenario is
# run (the long bottleneck studies to 3 s, as in check-repeat.sh), then
# tests/trace-oracle.py analyses each host's captures and all of them merged
# and compares the analyser's figures with the host's counters and the
# sinks' results. TAP on stdout.
#   check-trace.sh AFMP_SIM AFMP_TRACE SOURCE_ROOT OUT_DIR
set -eu
sim=$1
trace=$2
src=$3
out=$4
SHORT="mptcp-coupled mptcp-shared-bottleneck mptcp-rcvbuf"
oracle="$(dirname "$0")/trace-oracle.py"
rm -rf "$out"
mkdir -p "$out"
n=0
for sc in $("$(dirname "$0")/scenario-list.sh" "$sim" "$src"); do
    n=$((n + 1))
done
echo "1..$n"
i=0
for sc in $("$(dirname "$0")/scenario-list.sh" "$sim" "$src"); do
    name=$(basename "$sc" .ini)
    i=$((i + 1))
    stop=
    case " $SHORT " in
    *" $name "*) stop="--stop 3s" ;;
    esac
    # shellcheck disable=SC2086
    if ! "$sim" run "$sc" $stop --out "$out/$name" >"$out/$name.log" 2>&1; then
        echo "not ok $i - $name: afmp-sim run failed"
        tail -5 "$out/$name.log" | sed 's/^/# /'
        continue
    fi
    python3 "$oracle" "$trace" "$out/$name" "$name" | sed "1s/^\(not ok\|ok\) -/\1 $i -/"
    rm -rf "${out:?}/$name"
done
