#!/bin/sh
# Repeatability: runs every scenario of scenarios/ twice with its own seed,
# the two runs side by side, and compares the SHA-256 of every file they
# write (results.json, the trace, the logs, every pcap and pcapng) but
# run.json, which records the wall time by design. A difference names the
# files, and tests/pcap-diff.py the first differing packet of the first
# pcap among them.
# TAP on stdout.
#   check-repeat.sh AFMP_SIM SOURCE_ROOT OUT_DIR
# Runtime: the library runs in about 10 s here, but mptcp-coupled alone
# takes 7 s and writes 350 MB a run in full, so it stops at 3 s (1 s, 32 MB).
# A scenario added to the library whose run takes more than about 2 s
# belongs in SHORT too.
set -eu
sim=$1
src=$2
out=$3
SHORT="mptcp-coupled mptcp-shared-bottleneck mptcp-rcvbuf"
diff="$(dirname "$0")/pcap-diff.py"

# sums DIR: one line "HASH  ./FILE" per file but run.json, sorted.
sums() {
    (cd "$1" && find . -type f ! -name run.json | LC_ALL=C sort | xargs sha256sum)
}

rm -rf "$out"
mkdir -p "$out"
n=0
fail=0
for sc in $("$(dirname "$0")/scenario-list.sh" "$sim" "$src"); do
    name=$(basename "$sc" .ini)
    stop=
    case " $SHORT " in
    *" $name "*) stop="--stop 3s" ;;
    esac
    n=$((n + 1))
    a=$out/$name.1
    b=$out/$name.2
    # shellcheck disable=SC2086
    "$sim" run "$sc" $stop --out "$a" >"$a.log" 2>&1 &
    pid=$!
    rb=0
    # shellcheck disable=SC2086
    "$sim" run "$sc" $stop --out "$b" >"$b.log" 2>&1 || rb=$?
    ra=0
    wait $pid || ra=$?
    if [ $ra -ne 0 ] || [ $rb -ne 0 ]; then
        fail=1
        echo "not ok $n - $name: afmp-sim run failed (exit $ra, $rb)"
        tail -5 "$a.log" "$b.log" | sed 's/^/# /'
        continue
    fi
    sums "$a" >"$a.sum"
    sums "$b" >"$b.sum"
    if cmp -s "$a.sum" "$b.sum"; then
        echo "ok $n - $name: two runs wrote the same $(wc -l <"$a.sum") files${stop:+ ($stop)}"
        rm -rf "$a" "$b"
        continue
    fi
    fail=1
    # The files whose hashes differ, or that only one run wrote.
    files=$(cat "$a.sum" "$b.sum" | sort | uniq -u | sed 's/^[0-9a-f]*  \.\///' | sort -u)
    echo "not ok $n - $name: two runs with the same seed differ in $(echo "$files" | tr '\n' ' ')"
    # The first capture that differs, decoded (run 1 expected, run 2 got).
    for f in $files; do
        case $f in
        *.pcap)
            if [ -f "$a/$f" ] && [ -f "$b/$f" ]; then
                { python3 "$diff" "$a/$f" "$b/$f" || true; } | sed "s|^|# $f: |"
                break
            fi ;;
        esac
    done
    echo "# the outputs are kept in $a and $b"
done
echo "1..$n"
exit $fail
