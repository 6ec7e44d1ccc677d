#!/bin/sh
# The Wireshark profile scripts/wireshark/afmp, installed by
# scripts/wireshark-profile into a temporary HOME, on the captures of a
# short run of scenarios/failover-compare.ini: tshark -C afmp loads it
# without warnings (no unknown or obsolete preference), every filter button
# and colouring rule compiles, and the custom columns show what they say
# (DSN, Data ACK, Subflow, MPTCP, Time, Comment against the fields).
# TAP on stdout; skipped (exit 77) without tshark.
#   check-wireshark-profile.sh AFMP_SIM SOURCE_ROOT OUT_DIR
set -eu
sim=$1
src=$2
out=$3
command -v tshark >/dev/null 2>&1 || { echo "1..0 # SKIP tshark not installed"; exit 77; }

rm -rf "$out"
mkdir -p "$out/home"
HOME=$out/home
export HOME
unset WIRESHARK_CONFIG_DIR XDG_CONFIG_HOME || true
n=0
fail=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
# Wireshark's stderr without the line it prints when run as root.
warnings() { grep -v 'Running as user "root"' "$1" | grep -v '^[[:space:]]*$' || true; }

# The run: through the failure at 3 s and the reinjections after it.
"$sim" run "$src/scenarios/failover-compare.ini" --stop 4s --out "$out/run" >"$out/run.log" 2>&1
cap=$out/run/phone.pcapng
[ -f "$cap" ] && ok "afmp-sim wrote $(basename "$cap")" || notok "afmp-sim wrote no $(basename "$cap")"

"$src/scripts/wireshark-profile" install >"$out/install.log" 2>&1
prof=$HOME/.config/wireshark/profiles/afmp
[ -f "$prof/preferences" ] && ok "the profile is installed in \$HOME/.config/wireshark/profiles/afmp" \
    || notok "scripts/wireshark-profile install put no preferences in $prof"

# Loads without warnings: an unknown preference is "No such preference".
tshark -C afmp -r "$cap" >"$out/list.txt" 2>"$out/list.err" || true
w=$(warnings "$out/list.err")
if [ -z "$w" ] && [ -s "$out/list.txt" ]; then
    ok "tshark -C afmp reads the capture without warnings"
else
    notok "tshark -C afmp warns or prints nothing"
    echo "$w" | head -5 | sed 's/^/# /'
fi

# Every filter button compiles (tshark exits 2 on a filter it cannot
# compile) and is kept on one line of four quoted fields.
grep '^"' "$prof/dfilter_buttons" | while IFS= read -r line; do
    label=$(echo "$line" | sed 's/^"[^"]*","\([^"]*\)".*/\1/')
    filter=$(echo "$line" | sed 's/^"[^"]*","[^"]*","\([^"]*\)".*/\1/')
    if tshark -C afmp -r "$cap" -c 1 -Y "$filter" >/dev/null 2>"$out/button.err"; then
        echo "ok - button $label: $filter"
    else
        echo "not ok - button $label: $filter"
        warnings "$out/button.err" | head -3 | sed 's/^/# /'
    fi
done >"$out/buttons.tap"
nb=$(grep -c '^ok\|^not ok' "$out/buttons.tap" || true)
[ "$nb" -ge 10 ] && ok "$nb filter buttons" || notok "only $nb filter buttons in dfilter_buttons"
while IFS= read -r line; do
    case $line in
    "ok "*) ok "${line#ok - }" ;;
    "not ok "*) notok "${line#not ok - }" ;;
    *) echo "$line" ;;
    esac
done <"$out/buttons.tap"

# Colouring rules (read with --color) compile.
tshark -C afmp --color -r "$cap" -c 1 >/dev/null 2>"$out/color.err" || true
w=$(warnings "$out/color.err")
[ -z "$w" ] && ok "the colouring rules compile" || { notok "a colouring rule does not compile"; echo "$w" | head -3 | sed 's/^/# /'; }

# The custom columns against the fields they show, on the first data
# segments with a DSS mapping.
tshark -C afmp -r "$cap" -Y 'mptcp.dss.dsn && tcp.len > 0' -T fields -E separator=, \
    -e _ws.col.DSN -e mptcp.dss.dsn -e _ws.col.Subflow -e tcp.stream -e _ws.col.MPTCP -e mptcp.stream \
    -e _ws.col.Time -e frame.time_epoch -e _ws.col.Len -e tcp.len 2>/dev/null | head -20 >"$out/columns.txt"
rows=$(wc -l <"$out/columns.txt")
badrows=$(awk -F, '$1 == "" || $1 != $2 || $3 != $4 || $5 != $6 || $7 != $8 || $9 != $10' "$out/columns.txt" | wc -l)
if [ "$rows" -eq 20 ] && [ "$badrows" -eq 0 ]; then
    ok "columns DSN, Subflow, MPTCP, Time, Len show mptcp.dss.dsn, tcp.stream, mptcp.stream, frame.time_epoch, tcp.len ($(head -1 "$out/columns.txt"))"
else
    notok "custom columns: $rows rows, $badrows differ from their fields"
    head -3 "$out/columns.txt" | sed 's/^/# /'
fi
# Relative DSNs (mptcp.relative_sequence_numbers): the first mapping starts low.
first=$(head -1 "$out/columns.txt" | cut -d, -f1)
[ -n "$first" ] && [ "$first" -lt 100000 ] && ok "the DSN column is relative (first $first)" \
    || notok "the DSN column is not relative (first '$first')"
# Data ACK on the server's pure ACKs.
acks=$(tshark -C afmp -r "$cap" -Y 'mptcp.ack && tcp.len == 0 && tcp.srcport == 5001' \
    -T fields -e '_ws.col.Data ACK' 2>/dev/null | awk '$1 > 1' | head -5 | wc -l)
[ "$acks" -eq 5 ] && ok "the Data ACK column shows data-level ACKs" || notok "the Data ACK column is empty ($acks)"
# The scenario event as a comment, in the Comment column.
c=$(tshark -C afmp -r "$cap" -Y 'frame.comment contains "wifi-down"' -T fields -e _ws.col.Comment 2>/dev/null | head -1)
case $c in
*"wifi-down: link wifi down"*) ok "the Comment column shows the event: $c" ;;
*) notok "no wifi-down comment in the Comment column ('$c')" ;;
esac
# The analysis the preferences switch on: reinjections after the failure.
r=$(tshark -C afmp -r "$cap" -Y 'mptcp.reinjection_of' 2>/dev/null | wc -l)
[ "$r" -gt 0 ] && ok "mptcp.reinjection_of marks $r segments (analyze_mappings, intersubflows_retransmission)" \
    || notok "no mptcp.reinjection_of: the MPTCP analysis preferences are not in effect"

echo "1..$n"
[ "$fail" -eq 0 ]
