#!/bin/sh
# The receive-buffer study of scenarios/mptcp-rcvbuf.ini: goodput against
# the receiver's buffer (tcp.rmem, fixed) from 30 KB to 1 MB, for MPTCP
# over Wi-Fi + 3G with and without opportunistic retransmission and
# penalisation, and for TCP over the Wi-Fi path alone; three seeds per
# point, the median plotted. The runs are one `afmp-sim sweep` (108 runs,
# about a minute on two cores).
#
#   scenarios/mptcp-rcvbuf-sweep.sh [OUT_DIR]     (default traces/mptcp-rcvbuf-sweep)
#
# Writes OUT_DIR/results.csv (the sweep's: a row per run), OUT_DIR/medians.dat
# and OUT_DIR/mptcp-rcvbuf.png (gnuplot; scenarios/mptcp-rcvbuf.png is one
# such plot). What it shows, as Raiciu et al. (NSDI 2012) found: below
# about 75 KB plain MPTCP gets less than TCP over Wi-Fi alone (1.9 against
# 3.5 Mbit/s at 30 KB), because the 3G subflow's data blocks the
# connection-level window; penalisation recovers much of it (3.0 Mbit/s
# at 30 KB, with or without opportunistic retransmission), opportunistic
# retransmission alone little (2.2 Mbit/s); from a few hundred KB on the buffer no longer matters and
# MPTCP gets more than TCP over Wi-Fi (4.3 against 3.6 Mbit/s). AFMP_SIM
# names another afmp-sim.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
sim=${AFMP_SIM:-$root/build/tools/afmp-sim}
out=${1:-traces/mptcp-rcvbuf-sweep}
"$sim" sweep "$root/scenarios/mptcp-rcvbuf.ini" --out "$out" --no-pcap --jobs 2 --seeds 1-3 \
    --set host.s.tcp.rmem=30KB,50KB,75KB,100KB,150KB,200KB,300KB,500KB,1MB \
    --set host.c.mptcp.opportunistic=off,on --set host.c.mptcp.penalise=off,on
# Medians per buffer and mode, one column per curve, for gnuplot.
python3 - "$out/results.csv" "$out/medians.dat" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
units = {"KB": 1000, "MB": 1000000}
def size(s):
    return int(s[:-2]) * units[s[-2:]]
def mode(r):
    return (r["host.c.mptcp.opportunistic"], r["host.c.mptcp.penalise"])
modes = [("off", "off"), ("on", "off"), ("off", "on"), ("on", "on")]
bufs = sorted({r["host.s.tcp.rmem"] for r in rows}, key=size)
with open(sys.argv[2], "w") as f:
    f.write("# rcvbuf_KB plain opportunistic penalise opportunistic+penalise tcp-wifi"
            " (Mbit/s, medians)\n")
    for b in bufs:
        at = [r for r in rows if r["host.s.tcp.rmem"] == b]
        med = [statistics.median(float(r["sink-mp.goodput_bps"]) for r in at if mode(r) == m)
               / 1e6 for m in modes]
        tcp = statistics.median(float(r["sink-tcp.goodput_bps"]) for r in at) / 1e6
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
     "" using 1:3 with linespoints title "+ opportunistic retransmission", \
     "" using 1:4 with linespoints title "+ penalisation", \
     "" using 1:5 with linespoints title "+ both", \
     "" using 1:6 with linespoints title "TCP over Wi-Fi"
GP
fi
cat "$out/medians.dat"
