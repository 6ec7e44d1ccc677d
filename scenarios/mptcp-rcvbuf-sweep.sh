#!/bin/sh
# The receive-buffer study of scenarios/mptcp-rcvbuf.ini: goodput against
# the receivers' buffer (tcp.rmem, fixed) from 30 KB to 1 MB, for MPTCP
# over Wi-Fi + 3G without remedies, with opportunistic retransmission,
# with opportunistic retransmission and penalisation, and for TCP over the
# Wi-Fi path alone; three seeds per point, the median plotted.
#
#   scenarios/mptcp-rcvbuf-sweep.sh [OUT_DIR]     (default traces/mptcp-rcvbuf-sweep)
#
# Writes OUT_DIR/results.csv (a row per run) and OUT_DIR/mptcp-rcvbuf.png
# (gnuplot; scenarios/mptcp-rcvbuf.png is one such plot). What it shows,
# as in Raiciu et al. (NSDI 2012, fig. 3): below about 100 KB plain MPTCP
# gets less than TCP over Wi-Fi alone, because the 3G subflow's data blocks
# the connection-level window; opportunistic retransmission and
# penalisation recover most of it; from a few hundred KB on the buffer no
# longer matters and MPTCP gets the sum of the paths. Runs take about a
# second each; AFMP_SIM names another afmp-sim.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
sim=${AFMP_SIM:-$root/build/tools/afmp-sim}
out=${1:-traces/mptcp-rcvbuf-sweep}
mkdir -p "$out"
csv=$out/results.csv
echo "rcvbuf,mode,seed,mptcp_goodput_bps,tcp_goodput_bps" >"$csv.part"
for buf in 30KB 50KB 75KB 100KB 150KB 200KB 300KB 500KB 1MB; do
    for mode in plain opportunistic opportunistic+penalise; do
        case $mode in
        plain) extra="" ;;
        opportunistic) extra="--set host.c.mptcp.opportunistic=on" ;;
        *) extra="--set host.c.mptcp.opportunistic=on --set host.c.mptcp.penalise=on" ;;
        esac
        for seed in 1 2 3; do
            d=$out/runs/$buf-$mode-$seed
            # shellcheck disable=SC2086
            "$sim" run --no-pcap --seed "$seed" --out "$d" --set "host.s.tcp.rmem=$buf" \
                --set "host.u.tcp.rmem=$buf" $extra "$root/scenarios/mptcp-rcvbuf.ini" \
                >/dev/null || true
            python3 - "$d/results.json" "$buf" "$mode" "$seed" >>"$csv.part" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
g = {a["name"]: a.get("results", {}).get("goodput_bps", 0) for a in r["apps"]}
print(",".join(sys.argv[2:5] + [str(g.get("sink-mp", 0)), str(g.get("sink-tcp", 0))]))
PY
        done
    done
done
mv "$csv.part" "$csv"
# Medians per buffer and mode, one column per curve, for gnuplot.
python3 - "$csv" "$out/medians.dat" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
units = {"KB": 1000, "MB": 1000000}
def size(s):
    return int(s[:-2]) * units[s[-2:]]
bufs = sorted({r["rcvbuf"] for r in rows}, key=size)
modes = ["plain", "opportunistic", "opportunistic+penalise"]
with open(sys.argv[2], "w") as f:
    f.write("# rcvbuf_KB " + " ".join(modes) + " tcp-wifi (Mbit/s, medians)\n")
    for b in bufs:
        med = [statistics.median(float(r["mptcp_goodput_bps"]) for r in rows
                                 if r["rcvbuf"] == b and r["mode"] == m) / 1e6 for m in modes]
        tcp = statistics.median(float(r["tcp_goodput_bps"]) for r in rows if r["rcvbuf"] == b) / 1e6
        f.write("%g %s %.3f\n" % (size(b) / 1000, " ".join("%.3f" % x for x in med), tcp))
PY
if command -v gnuplot >/dev/null 2>&1; then
    gnuplot <<GP
set terminal pngcairo size 800,500 font ",11"
set output "$out/mptcp-rcvbuf.png"
set logscale x
set xlabel "receive buffer (KB)"
set ylabel "goodput (Mbit/s), median of 3 seeds"
set key bottom right
set grid
set title "MPTCP over Wi-Fi (8 Mbit/s, 2% loss) + 3G (2 Mbit/s, 75 ms)"
plot "$out/medians.dat" using 1:2 with linespoints title "MPTCP", \
     "" using 1:3 with linespoints title "MPTCP + opportunistic retransmission", \
     "" using 1:4 with linespoints title "MPTCP + opportunistic + penalisation", \
     "" using 1:5 with linespoints title "TCP over Wi-Fi"
GP
fi
echo "$csv"
