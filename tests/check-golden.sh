#!/bin/sh
# Golden traces: runs every line of traces/golden/MANIFEST again and
# compares each capture it lists, packet by packet (tests/pcap-diff.py),
# with the one kept in traces/golden/. A difference names the file, the
# packet, its time and the fields that differ. TAP on stdout.
#   check-golden.sh AFMP_SIM SOURCE_ROOT OUT_DIR
# With --write, the same runs rewrite the golden captures in DEST instead
# (scripts/golden-update: the test and the update make them alike):
#   check-golden.sh --write AFMP_SIM SOURCE_ROOT DEST
set -eu
write=no
if [ "${1:-}" = --write ]; then
    write=yes
    shift
fi
sim=$1
src=$2
out=$3
golden=$src/traces/golden
diff="$(dirname "$0")/pcap-diff.py"

# The manifest's lines, comments and blank lines left out.
entries() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$golden/MANIFEST"
}

# run SCENARIO SEED STOP SNAPLEN DIR: one manifest line's run, into DIR.
run() {
    rm -rf "$5"
    "$sim" run "$src/scenarios/$1.ini" --seed "$2" --stop "$3" --snaplen "$4" \
        --out "$5" >"$5.log" 2>&1
}

if [ $write = yes ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    entries | while read -r sc seed stop snaplen files; do
        run "$sc" "$seed" "$stop" "$snaplen" "$tmp/$sc" || {
            cat "$tmp/$sc.log" >&2
            echo "$sc: afmp-sim run failed" >&2
            exit 1
        }
        mkdir -p "$out/$sc"
        for f in $files; do
            cp "$tmp/$sc/$f" "$out/$sc/$f"
        done
    done
    exit 0
fi

rm -rf "$out"
mkdir -p "$out"
n=0
fail=0
# The loop reads from a file, not a pipe, so that n and fail survive it.
entries >"$out/MANIFEST"
while read -r sc seed stop snaplen files; do
    ran=yes
    run "$sc" "$seed" "$stop" "$snaplen" "$out/$sc" || ran=no
    for f in $files; do
        n=$((n + 1))
        if [ $ran = no ]; then
            fail=1
            echo "not ok $n - $sc/$f: afmp-sim run failed"
            sed 's/^/# /' "$out/$sc.log"
        elif report=$(python3 "$diff" "$golden/$sc/$f" "$out/$sc/$f"); then
            echo "ok $n - $sc/$f: identical to the golden capture"
        else
            fail=1
            echo "not ok $n - $sc/$f (seed $seed, stop $stop, snaplen $snaplen) differs from traces/golden/$sc/$f"
            echo "$report" | sed 's/^/# /'
            echo "# if the change is meant to alter packets: scripts/golden-update, then commit traces/golden/"
        fi
    done
done <"$out/MANIFEST"
echo "1..$n"
exit $fail
