#!/bin/sh
# Wireshark's view of afmp's MPTCP: runs every MPTCP scenario of the
# library (scenarios/mptcp-*.ini, af-multipath-*.ini, and mbox-*.ini, whose
# middleboxes rewrite packets and so must leave their checksums right; one
# of them makes plain TCP of MPTCP) and reads every host's pcapng with
# tshark's MPTCP analysis. Fails when tshark reports a malformed packet, a
# bad checksum, an echoed key that does not match, a missing or unsupported
# algorithm, a segment with payload and no mapping (the infinite mapping
# aside), an infinite mapping outside the fallbacks after MP_FAIL (or one
# missing there); and when the tokens
# Wireshark computes from the keys on the wire differ from the ones afmp
# traced. TAP on stdout; skipped (exit 77) without tshark.
#   check-mptcp-wireshark.sh AFMP_SIM SOURCE_ROOT OUT_DIR
# (--one FILE: the checks of one capture, into FILE.tap; the script runs
# itself so for two captures at a time)
set -eu
P="-o tcp.analyze_sequence_numbers:TRUE -o mptcp.analyze_mptcp:TRUE -o mptcp.analyze_mappings:TRUE -o mptcp.intersubflows_retransmission:TRUE"
BAD='_ws.malformed || tcp.checksum.status == "Bad" || ip.checksum.status == "Bad"
  || mptcp.connection.echoed_key_mismatch || mptcp.connection.missing_algorithm
  || mptcp.connection.unsupported_algorithm
  || (mptcp.dss.missing_mapping && tcp.len > 0 && !mptcp.dss.infinite_mapping
      && !tcp.options.mptcp.rawdataseqno)'
# (Wireshark 4.0 also says "No mapping available" of some retransmitted
# segments that carry their own full mapping; a segment with payload and
# no DSS mapping at all is what is wrong.)
# The captures where an infinite mapping belongs (RFC 8684 3.7: the fallback
# after MP_FAIL on the only subflow); anywhere else it is a bug.
INFINITE_OK="mptcp-failures/ce mptcp-failures/se"

# One capture's checks: TAP lines without numbers on stdout.
check_one() {
    f=$1
    d=$(dirname "$f")
    h=$(basename "$d")/$(basename "$f" .pcapng)
    # shellcheck disable=SC2086
    bad=$(tshark -r "$f" $P -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -Y "$BAD" \
          -T fields -e frame.number -e _ws.expert.message 2>/dev/null | head -5)
    if [ -n "$bad" ]; then
        echo "not ok - $h: tshark flags packets"
        echo "$bad" | sed 's/^/# /'
    else
        echo "ok - $h: no malformed packet, bad checksum, key mismatch or missing mapping"
    fi
    # Keys in clear and infinite mappings, in one pass.
    # shellcheck disable=SC2086
    tshark -r "$f" $P -Y "tcp.options.mptcp.sendkey || mptcp.dss.infinite_mapping" -T fields \
        -e tcp.options.mptcp.sendkey -e mptcp.expected_token -e mptcp.expected_idsn \
        -e mptcp.dss.infinite_mapping 2>/dev/null >"$f.fields"
    inf=$(awk -F '\t' '$4 != ""' "$f.fields" | wc -l)
    case " $INFINITE_OK " in
    *" $h "*) want=yes ;;
    *) want=no ;;
    esac
    if [ "$want" = yes ] && [ "$inf" -eq 0 ]; then
        echo "not ok - $h: the infinite mapping of the fallback is missing"
    elif [ "$want" = no ] && [ "$inf" -ne 0 ]; then
        echo "not ok - $h: $inf infinite mapping(s) where no fallback after MP_FAIL is"
    else
        echo "ok - $h: infinite mappings only where MP_FAIL ends in fallback ($inf)"
    fi
    # Every key sent in clear: Wireshark's token and IDSN against afmp's trace.
    awk -F '\t' '$1 != ""' "$f.fields" | cut -f1-3 | sort -u >"$f.keys"
    if python3 - "$f.keys" "$d/trace.jsonl" <<'PY'
import json, sys
keys = {}
for line in open(sys.argv[2]):
    r = json.loads(line)
    if r.get("ev") == "mptcp.conn" and "local_key" in r:
        keys[r["local_key"]] = r["local_token"]
seen = 0
for line in open(sys.argv[1]):
    f = line.split("\t")
    if len(f) < 2 or not f[0] or not f[1].strip():
        continue
    key, token = int(f[0].split(",")[0]), int(f[1].split(",")[0])
    if key not in keys or keys[key] != token:
        print("# key %d: Wireshark's token %d, afmp's %s" % (key, token, keys.get(key)))
        sys.exit(1)
    seen += 1
sys.exit(0)
PY
    then
        echo "ok - $h: Wireshark's tokens match afmp's"
    else
        echo "not ok - $h: token mismatch"
    fi
}

if [ "${1:-}" = --one ]; then
    check_one "$2" >"$2.tap"
    exit 0
fi
sim=$1
src=$2
out=$3
command -v tshark >/dev/null 2>&1 || { echo "1..0 # SKIP tshark not installed"; exit 77; }
rm -rf "$out"
mkdir -p "$out"
# Left out: the congestion-control studies, long bulk transfers (a million
# packets) whose options the others cover, which would triple the time.
SKIP="mptcp-coupled mptcp-rcvbuf"
for sc in "$src"/scenarios/mptcp-*.ini "$src"/scenarios/af-multipath-*.ini \
    "$src"/scenarios/mbox-*.ini; do
    [ -e "$sc" ] || continue
    case " $SKIP " in
    *" $(basename "$sc" .ini) "*) continue ;;
    esac
    "$sim" run --out "$out/$(basename "$sc" .ini)" "$sc" >/dev/null
done
# tshark is the slow part: two captures at a time, numbered afterwards.
ls "$out"/*/*.pcapng | xargs -P 2 -n 1 sh "$0" --one
n=0
fail=0
for f in "$out"/*/*.pcapng; do
    while IFS= read -r line; do
        case $line in
        "ok - "*) n=$((n + 1)); echo "ok $n - ${line#ok - }" ;;
        "not ok - "*) n=$((n + 1)); fail=1; echo "not ok $n - ${line#not ok - }" ;;
        *) echo "$line" ;;
        esac
    done <"$f.tap"
done
echo "1..$n"
exit $fail
