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
#  - A scenario the ns-3 engine refuses (a delivery trace), or one only ns-3
#    can run (Wi-Fi), is a SKIP line with the reason. Loss, corruption,
#    reordering, middleboxes and link changes at run time are carried:
#    they are afmp's own, before ns-3's device.
# TAP on stdout.
#   check-ns3.sh AFMP_SIM SOURCE_ROOT OUT_DIR
set -eu
sim=$1
src=$2
out=$3
diff="$(dirname "$0")/pcap-diff.py"
. "$(dirname "$0")/run-compare.sh"
# Rates whose transmission times are not whole nanoseconds (ns-3 truncates
# them, afmp rounds up), or RA and timer events at the same instant.
# mbox-drop-join: a server sends two segments at one instant in the order
# its timer and an arriving packet ran, which the engines tie differently.
CLOSE="mbox-drop-join mptcp-aggregate mptcp-coupled mptcp-migration mptcp-shared-bottleneck"
# Scenarios the engines carry alike up to a time, after which they differ
# on purpose (README): NAME:SECONDS. tcp-rate-change: the delay decrease at
# 3 s, after which ns-3's channel lets packets overtake those already on
# the wire (afmp's stays FIFO). Identical captures before that time, the
# same verdicts and bytes delivered intact after it.
PREFIX="tcp-rate-change:3"
rm -rf "$out"
mkdir -p "$out"
n=$(ls "$src"/scenarios/*.ini | wc -l)
echo "1..$((n + 4))"
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
    "$sim" run "$sc" $sets --stop 5s --engine embedded --out "$e" >"$e.log" 2>&1 || rc=$?
    if [ $rc -eq 2 ] && grep -q 'only the ns-3 engine' "$e.log"; then
        echo "ok $i - $name # SKIP ns-3 only ($(sed -n "s/.*kind: \([a-z]*\): only the ns-3 engine.*/\1/p" "$e.log" | head -1) links)"
        rm -rf "$e" "$m"
        continue
    fi
    if [ $rc -ne 0 ]; then
        echo "not ok $i - $name: a run failed (exit $rc)"
        tail -3 "$e.log" "$m.log" | sed 's/^/# /'
        continue
    fi
    until=""
    for x in $PREFIX; do
        [ "${x%%:*}" = "$name" ] && until=${x#*:}
    done
    if [ -n "$until" ]; then
        bad=""
        for p in "$e"/*.pcap; do
            [ -e "$p" ] || continue
            f=$(basename "$p")
            t=$(python3 "$diff" "$p" "$m/$f" 2>&1 | sed -n 's/^packet [0-9]* at \([0-9.]*\) s differs.*/\1/p' | head -1)
            if [ -n "$t" ] && ! python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) >= float(sys.argv[2]) else 1)" "$t" "$until"; then
                bad="$bad $f (at $t s)"
            fi
        done
        v=$(python3 -c '
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
ok = [(x["name"], x["ok"]) for x in a["expectations"]] == [(x["name"], x["ok"]) for x in b["expectations"]]
ok = ok and all(all(x.get("results", {}).get(k) == y.get("results", {}).get(k) for k in ("bytes", "intact"))
                for x, y in zip(a["apps"], b["apps"]))
print("same" if ok else "differ")' "$e/results.json" "$m/results.json")
        if [ -z "$bad" ] && [ "$v" = same ]; then
            echo "ok $i - $name: identical captures up to ${until} s, then the same verdicts and bytes"
        else
            echo "not ok $i - $name: captures differ before ${until} s:$bad; results $v"
        fi
        rm -rf "$e" "$m"
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
        bad=$(run_diffs "$e" "$m")
        if [ -z "$bad" ]; then
            echo "ok $i - $name: identical captures and results"
        else
            echo "not ok $i - $name: differs in$bad"
            explain_diffs "$e" "$m" "$bad"
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

# A CSMA link (ns-3's shared Ethernet): the office scenario's expectations
# hold (both uploads intact, the join over cellular), and the laptop's end
# of the cable holds ARP request < reply < its first IPv4 TCP frame, and
# neighbour solicitation < advertisement < its first IPv6 TCP frame.
i=$((i + 1))
c=$out/csma
rc=0
"$sim" run "$src/scenarios/ns3-csma-office.ini" --out "$c" >"$c.log" 2>&1 || rc=$?
if [ $rc -ne 0 ]; then
    echo "not ok $i - CSMA: ns3-csma-office failed (exit $rc)"
    grep -i 'failed\|error' "$c.log" | head -5 | sed 's/^/# /'
elif ! command -v tshark >/dev/null; then
    echo "ok $i - CSMA: expectations hold # SKIP no tshark for the ARP and ND checks"
else
    cap=$c/ns3-lan-a.pcap
    first() {
        tshark -r "$cap" -Y "$1" -T fields -e frame.number 2>/dev/null | head -1
    }
    req=$(first 'arp.opcode == 1 && arp.src.proto_ipv4 == 10.0.1.2')
    rep=$(first 'arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.1.1')
    tcp4=$(first 'tcp && ip.src == 10.0.1.2')
    ns=$(first 'icmpv6.type == 135 && icmpv6.nd.ns.target_address == 2001:db8:1::1')
    na=$(first 'icmpv6.type == 136 && icmpv6.nd.na.target_address == 2001:db8:1::1')
    tcp6=$(first 'tcp && ipv6.src == 2001:db8:1::2')
    if [ -n "$req" ] && [ -n "$rep" ] && [ -n "$tcp4" ] && [ -n "$ns" ] && [ -n "$na" ] && [ -n "$tcp6" ] &&
        [ "$req" -lt "$rep" ] && [ "$rep" -lt "$tcp4" ] && [ "$ns" -lt "$na" ] && [ "$na" -lt "$tcp6" ]; then
        echo "ok $i - CSMA: expectations hold; ARP (frames $req, $rep) before IPv4 TCP ($tcp4), NS/NA ($ns, $na) before IPv6 TCP ($tcp6)"
    else
        echo "not ok $i - CSMA: expected ARP request < reply < IPv4 TCP and NS < NA < IPv6 TCP, got '$req' '$rep' '$tcp4', '$ns' '$na' '$tcp6'"
    fi
fi
rm -rf "$c"

# What the ns-3 engine cannot carry is refused with the file, line and
# group (exit 2): a CSMA cable with two rates.
i=$((i + 1))
rc=0
msg=$("$sim" run "$src/scenarios/ns3-csma-office.ini" --set link.lan.rate.ba=10Mbit --out "$out/refused" 2>&1) || rc=$?
rm -rf "$out/refused"
case "$rc:$msg" in
2:*"ns3-csma-office.ini:"*"[link lan]"*"one rate for both directions"*)
    echo "ok $i - CSMA with two rates refused (exit 2, file, line, group)" ;;
*)
    echo "not ok $i - CSMA with two rates: expected exit 2 and a located error, got $rc"
    echo "$msg" | head -3 | sed 's/^/# /' ;;
esac

# ns-3's random streams: the Wi-Fi scenario measures the same alone and
# after the CSMA one in the same process (afmp-sim check runs both in one).
i=$((i + 1))
one=$("$sim" check "$src/scenarios/ns3-wifi-handover.ini" 2>&1 | grep '^[a-z ]*ok [0-9]* - ns3-wifi-handover' | sed 's/^\(not \)*ok [0-9]* - //')
two=$("$sim" check "$src/scenarios/ns3-csma-office.ini" "$src/scenarios/ns3-wifi-handover.ini" 2>&1 | grep '^[a-z ]*ok [0-9]* - ns3-wifi-handover' | sed 's/^\(not \)*ok [0-9]* - //')
if [ -n "$one" ] && [ "$one" = "$two" ]; then
    echo "ok $i - ns-3 runs in one process: ns3-wifi-handover measures the same alone and after ns3-csma-office"
else
    echo "not ok $i - ns-3 runs in one process: ns3-wifi-handover measures differently after ns3-csma-office"
    printf '%s\n' "$one" > "$out/one.txt"
    printf '%s\n' "$two" > "$out/two.txt"
    diff "$out/one.txt" "$out/two.txt" | head -6 | sed 's/^/# /'
fi
