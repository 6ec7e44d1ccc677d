#!/bin/sh
# The two engines side by side: every scenario of the library that the ns-3
# engine can carry runs on the embedded engine and on ns-3, both with PPP
# framing on every link (`framing = ppp`: the 2 bytes ns-3's point-to-point
# devices add), to 5 s of simulated time.
#  - Exact: every host capture byte for byte and results.json the same.
#  - CLOSE (below): scenarios where the engines differ on purpose, by a
#    nanosecond of rounding or the order of two events at the same time
#    (see README, "The ns-3 engine"): the same expectations verdicts, the
#    same bytes delivered, completion times within 2%.
#  - A scenario the ns-3 engine refuses (loss, middleboxes, traces, link
#    changes at run time), or one only ns-3 can run (Wi-Fi), is a SKIP line
#    with the reason.
# TAP on stdout.
#   check-ns3.sh AFMP_SIM SOURCE_ROOT OUT_DIR
set -eu
sim=$1
src=$2
out=$3
diff="$(dirname "$0")/pcap-diff.py"
# Rates whose transmission times are not whole nanoseconds (ns-3 truncates
# them, afmp rounds up), or RA and timer events at the same instant.
CLOSE="mptcp-aggregate mptcp-coupled mptcp-migration mptcp-shared-bottleneck"
rm -rf "$out"
mkdir -p "$out"
n=$(ls "$src"/scenarios/*.ini | wc -l)
echo "1..$((n + 1))"
i=0
for sc in "$src"/scenarios/*.ini; do
    name=$(basename "$sc" .ini)
    i=$((i + 1))
    sets=""
    for l in $(sed -n 's/^\[link \(.*\)\]$/\1/p' "$sc"); do
        sets="$sets --set link.$l.framing=ppp"
    done
    e=$out/$name.embedded
    m=$out/$name.ns3
    rc=0
    # shellcheck disable=SC2086
    "$sim" run "$sc" $sets --stop 5s --engine ns3 --out "$m" >"$m.log" 2>&1 || rc=$?
    if [ $rc -eq 2 ]; then
        echo "ok $i - $name # SKIP $(head -1 "$m.log" | sed 's/^afmp-sim: [^ ]*: //')"
        rm -rf "$m"
        continue
    fi
    # shellcheck disable=SC2086
    "$sim" run "$sc" $sets --stop 5s --out "$e" >"$e.log" 2>&1 || rc=$?
    if [ $rc -eq 2 ] && grep -q 'only the ns-3 engine' "$e.log"; then
        echo "ok $i - $name # SKIP ns-3 only (Wi-Fi)"
        rm -rf "$e" "$m"
        continue
    fi
    if [ $rc -ne 0 ]; then
        echo "not ok $i - $name: a run failed (exit $rc)"
        tail -3 "$e.log" "$m.log" | sed 's/^/# /'
        continue
    fi
    case " $CLOSE " in
    *" $name "*)
        if python3 - "$e/results.json" "$m/results.json" >"$out/$name.cmp" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
bad = []
va = [(x["name"], x["ok"]) for x in a["expectations"]]
vb = [(x["name"], x["ok"]) for x in b["expectations"]]
if va != vb:
    bad.append("verdicts differ: %s / %s" % (va, vb))
for x, y in zip(a["apps"], b["apps"]):
    rx, ry = x.get("results", {}), y.get("results", {})
    for k in ("bytes", "intact", "completed", "done"):
        if rx.get(k) != ry.get(k):
            bad.append("%s %s: %s / %s" % (x["name"], k, rx.get(k), ry.get(k)))
    ca, cb = rx.get("completion_ns", 0), ry.get("completion_ns", 0)
    if ca and cb and abs(ca - cb) > 0.02 * ca:
        bad.append("%s completion_ns: %d / %d (more than 2%%)" % (x["name"], ca, cb))
for line in bad:
    print(line)
sys.exit(1 if bad else 0)
PY
        then
            echo "ok $i - $name: close (verdicts, bytes, completion within 2%)"
        else
            echo "not ok $i - $name: the engines disagree beyond the tolerance"
            sed 's/^/# /' "$out/$name.cmp"
        fi
        ;;
    *)
        bad=""
        for p in "$e"/*.pcap; do
            f=$(basename "$p")
            cmp -s "$p" "$m/$f" || bad="$bad $f"
        done
        cmp -s "$e/results.json" "$m/results.json" || bad="$bad results.json"
        if [ -z "$bad" ]; then
            echo "ok $i - $name: identical captures and results"
        else
            echo "not ok $i - $name: differs in$bad"
            for f in $bad; do
                case $f in *.pcap) python3 "$diff" "$e/$f" "$m/$f" 2>&1 | head -4 | sed 's/^/# /' ;; esac
            done
        fi
        ;;
    esac
    rm -rf "$e" "$m"
done

# Neighbour resolution on a Wi-Fi link: the station's radiotap capture
# holds an ARP request from the phone and the access point's reply, and
# data only after it.
i=$((i + 1))
w=$out/wifi
"$sim" run "$src/scenarios/ns3-wifi-handover.ini" --stop 2s --out "$w" >"$w.log" 2>&1 || true
if ! command -v tshark >/dev/null; then
    echo "ok $i - Wi-Fi ARP # SKIP no tshark"
else
    cap=$w/ns3-wifi-a.pcap
    req=$(tshark -r "$cap" -Y 'arp.opcode == 1 && arp.src.proto_ipv4 == 10.0.1.2' -T fields -e frame.number 2>/dev/null | head -1)
    rep=$(tshark -r "$cap" -Y 'arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.1.1 && arp.dst.proto_ipv4 == 10.0.1.2' -T fields -e frame.number 2>/dev/null | head -1)
    data=$(tshark -r "$cap" -Y 'tcp && ip.src == 10.0.1.2' -T fields -e frame.number 2>/dev/null | head -1)
    if [ -n "$req" ] && [ -n "$rep" ] && [ -n "$data" ] && [ "$req" -lt "$rep" ] && [ "$rep" -lt "$data" ]; then
        echo "ok $i - Wi-Fi: ARP request (frame $req), reply (frame $rep), then the phone's TCP (frame $data)"
    else
        echo "not ok $i - Wi-Fi: expected ARP request < reply < the phone's first TCP frame, got '$req' '$rep' '$data'"
    fi
fi
rm -rf "$w"
