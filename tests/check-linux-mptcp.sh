#!/usr/bin/env bash
# afmp-trace on real Linux MPTCP traffic. Two network namespaces, a client
# and a server, joined by two veth pairs (10.77.1.0/24 and 10.77.2.0/24,
# each shaped to 50 Mbit/s from the client by tbf when the kernel has it);
# the kernel's path manager opens a second subflow from the client's
# 10.77.2.1. tests/linux-mptcp-xfer sends BYTES bytes from the client to the
# server while one dumpcap per client interface captures; then
# tests/linux-trace-compare.py checks that the capture holds what the test
# needs (per tshark) and compares afmp-trace's report of it (JSON and
# mappings.csv) with tshark's reading of the same capture. TAP on stdout.
# Skipped (1..0 # SKIP) when not root, without ip netns, MPTCP, dumpcap,
# tshark, python3 or afmp-trace.
#   check-linux-mptcp.sh OUT_DIR AFMP_TRACE LINUX_MPTCP_XFER
# AFMP_TRACE and LINUX_MPTCP_XFER in the environment override the
# arguments. CAPTURE_ONLY=1: capture and the checks of the capture only,
# without afmp-trace (to work on the test without the tool).
set -u
out=${1:?usage: check-linux-mptcp.sh OUT_DIR AFMP_TRACE LINUX_MPTCP_XFER}
trace=${AFMP_TRACE:-${2:-}}
xfer=${LINUX_MPTCP_XFER:-${3:-}}
capture_only=${CAPTURE_ONLY:-0}
here=$(cd "$(dirname "$0")" && pwd)
compare=$here/linux-trace-compare.py

BYTES=4194304
PORT=5201
# Client and server, path a (the initial subflow) and path b (the join).
CA=10.77.1.1 SA=10.77.1.2
CB=10.77.2.1 SB=10.77.2.2
NSC=afmp-lnx-c-$$
NSS=afmp-lnx-s-$$

skip() {
    echo "1..0 # SKIP $*"
    exit 0
}
bail() {
    echo "Bail out! $*"
    exit 1
}

[ "$(id -u)" = 0 ] || skip "not root (network namespaces need it)"
command -v ip >/dev/null || skip "no ip (iproute2)"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"
ip mptcp limits show >/dev/null 2>&1 || skip "ip mptcp unavailable (iproute2 too old or no MPTCP)"
[ -e /proc/sys/net/mptcp/enabled ] || skip "no /proc/sys/net/mptcp/enabled: kernel without MPTCP"
command -v dumpcap >/dev/null || skip "no dumpcap (Debian package tshark)"
command -v mergecap >/dev/null || skip "no mergecap (Debian package wireshark-common)"
command -v tshark >/dev/null || skip "no tshark"
command -v python3 >/dev/null || skip "no python3"
[ -x "$xfer" ] || skip "no linux-mptcp-xfer at '$xfer'"
xfer=$(cd "$(dirname "$xfer")" && pwd)/$(basename "$xfer")
if [ "$capture_only" != 1 ]; then
    [ -x "$trace" ] || skip "no afmp-trace at '$trace'"
fi

rm -rf "$out"
mkdir -p "$out" || bail "cannot create $out"
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do
        kill "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        wait "$p" 2>/dev/null
    done
    ip netns del "$NSC" 2>/dev/null
    ip netns del "$NSS" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# Every setup command, logged; a failure is a bail-out with the log's end.
setup_log=$out/setup.log
run() {
    echo "+ $*" >>"$setup_log"
    "$@" >>"$setup_log" 2>&1 || {
        tail -5 "$setup_log" | sed 's/^/# /'
        bail "setup failed: $*"
    }
}

ip netns add "$NSC" 2>>"$setup_log" || skip "ip netns add failed (no permission for network namespaces?)"
run ip netns add "$NSS"
for ns in "$NSC" "$NSS"; do
    ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1 >>"$setup_log" 2>&1
    [ "$(ip netns exec "$ns" cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ] ||
        skip "net.mptcp.enabled cannot be set to 1 in a network namespace"
    run ip -n "$ns" link set lo up
done
for p in a b; do
    run ip -n "$NSC" link add "veth-$p" type veth peer name "veth-$p" netns "$NSS"
done
run ip -n "$NSC" addr add "$CA/24" dev veth-a
run ip -n "$NSC" addr add "$CB/24" dev veth-b
run ip -n "$NSS" addr add "$SA/24" dev veth-a
run ip -n "$NSS" addr add "$SB/24" dev veth-b
for ns in "$NSC" "$NSS"; do
    for p in a b; do
        run ip -n "$ns" link set "veth-$p" up
    done
    run ip -n "$ns" mptcp limits set subflows 2 add_addr_accepted 2
done
# The second subflow: from CB, bound to veth-b, to the server's SA.
run ip -n "$NSC" mptcp endpoint add "$CB" dev veth-b subflow
# A bottleneck on each path, so that the transfer lasts long enough for
# both subflows to carry data (no netem in every kernel; tbf is common).
shaped=yes
for p in a b; do
    ip netns exec "$NSC" tc qdisc add dev "veth-$p" root tbf rate 50mbit burst 32kb latency 20ms \
        >>"$setup_log" 2>&1 || shaped=no
done

# One dumpcap per client interface, one file each: afmp-trace merges them
# by timestamp. (A single dumpcap on both writes each interface's packets
# in blocks, out of time order across them.) Started once capturing. A
# 64 MiB kernel buffer holds the whole transfer: with the default 2 MiB a
# dumpcap descheduled on a loaded machine lost packets (a capture without
# the initial subflow's SYN, 1 run in 10 with both cores busy).
dumpcap_pids=()
for p in a b; do
    ip netns exec "$NSC" dumpcap -q -B 64 -i "veth-$p" -w "$out/veth-$p.pcapng" 2>"$out/dumpcap-$p.log" &
    dumpcap_pids+=($!)
    pids+=($!)
done
for p in a b; do
    for _ in $(seq 100); do
        grep -q "^Capturing on" "$out/dumpcap-$p.log" && break
        sleep 0.05
    done
    grep -q "^Capturing on" "$out/dumpcap-$p.log" || {
        sed 's/^/# /' "$out/dumpcap-$p.log"
        bail "dumpcap on veth-$p did not start capturing"
    }
done

ip netns exec "$NSS" "$xfer" server "$SA" "$PORT" >"$out/server.out" 2>"$out/server.err" &
server_pid=$!
pids+=("$server_pid")
for _ in $(seq 100); do
    grep -q "^ready" "$out/server.out" && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
done
grep -q "^ready" "$out/server.out" || {
    sed 's/^/# /' "$out/server.err"
    bail "the server did not start listening"
}

t0=$(date +%s.%N)
client_rc=0
ip netns exec "$NSC" timeout 20 "$xfer" client "$SA" "$PORT" "$BYTES" 2 \
    >"$out/client.out" 2>"$out/client.err" || client_rc=$?
server_rc=0
# The server ends once it has read the client's EOF (at most a few seconds).
for _ in $(seq 100); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.05
done
kill "$server_pid" 2>/dev/null
wait "$server_pid" || server_rc=$?
t1=$(date +%s.%N)
# The last ACKs and the subflows' FINs after the DATA_FINs, then stop.
sleep 0.5
dumpcap_rc=0
for p in "${dumpcap_pids[@]}"; do
    kill -INT "$p"
done
for p in "${dumpcap_pids[@]}"; do
    wait "$p" || dumpcap_rc=$?
done
pids=()

n=0
fail=0
ok() {
    n=$((n + 1))
    echo "ok $n - $*"
}
not_ok() {
    n=$((n + 1))
    fail=1
    echo "not ok $n - $*"
}

# The transfer itself.
received=$(grep -v '^ready' "$out/server.out" | head -1)
if [ "$client_rc" = 0 ] && [ "$server_rc" = 0 ] && [ "$received" = "$BYTES" ]; then
    ok "linux-mptcp-xfer: $BYTES bytes from $CA to $SA:$PORT ($(awk "BEGIN { printf \"%.2f\", $t1 - $t0 }") s, tbf shaping: $shaped)"
else
    not_ok "linux-mptcp-xfer: $BYTES bytes from $CA to $SA:$PORT"
    echo "# client exit $client_rc, server exit $server_rc, server received '${received}' bytes, expected $BYTES"
    sed 's/^/# client: /' "$out/client.err"
    sed 's/^/# server: /' "$out/server.err"
fi
# Both captures in one file, in time order, for tshark (whose analysis
# goes in file order) and for whoever wants one file.
pcaps=("$out/veth-a.pcapng" "$out/veth-b.pcapng")
pcap=$out/linux-mptcp.pcapng
if [ "$dumpcap_rc" = 0 ] && [ -s "${pcaps[0]}" ] && [ -s "${pcaps[1]}" ] &&
    mergecap -w "$pcap" "${pcaps[@]}" 2>"$out/mergecap.log"; then
    ok "dumpcap captured veth-a and veth-b; mergecap merged them into $(basename "$pcap")"
else
    not_ok "dumpcap captured veth-a and veth-b; mergecap merged them"
    echo "# dumpcap exit $dumpcap_rc"
    sed 's/^/# dumpcap: /' "$out"/dumpcap-*.log "$out/mergecap.log" 2>/dev/null
fi

# afmp-trace's report, then the comparisons (their TAP lines follow ours).
args=(--pcap "$pcap" --bytes "$BYTES" --port "$PORT"
      --initial "$CA,$SA" --join "$CB,$SA" --out "$out")
if [ "$capture_only" != 1 ]; then
    trace_rc=0
    "$trace" report "${pcaps[@]}" --json "$out/report.json" --csv "$out/csv" --quiet \
        >"$out/afmp-trace.out" 2>"$out/afmp-trace.err" || trace_rc=$?
    if [ "$trace_rc" = 0 ] && [ -s "$out/report.json" ] && [ -s "$out/csv/mappings.csv" ]; then
        ok "afmp-trace report: report.json and csv/mappings.csv written"
    else
        not_ok "afmp-trace report: report.json and csv/mappings.csv written"
        echo "# afmp-trace exit $trace_rc"
        head -20 "$out/afmp-trace.err" | sed 's/^/# afmp-trace: /'
    fi
    args+=(--json "$out/report.json" --csv "$out/csv")
fi
python3 "$compare" "${args[@]}" --first "$n"
compare_rc=$?
[ "$compare_rc" = 0 ] || fail=1
exit $fail
