#!/usr/bin/env python3
"""afmp-trace against the engine: for one finished run, analyse each host's
own captures (HOST-*.pcap) with afmp-trace and compare what the analyser
finds in them with the host's counters and the applications' results in
results.json.

    trace-oracle.py AFMP_TRACE RUN_DIR [NAME]

Prints TAP lines without a plan (the caller numbers the runs): "ok - NAME"
or "not ok - NAME" followed by "# " lines, one per disagreement. Exit 0.

What is compared, per host H (packets H sent are those leaving its
interfaces, so its counters of transmitted options are what its captures
hold):
  MPTcpExtMPTCPRetrans (+ AfmpMPTcpOpportunisticRetrans)
                                segments of class reinject H sent
  MPTcpExtAddAddrTx, EchoAddTx  ADD_ADDR options without / with the echo flag
  MPTcpExtRmAddrTx, MPPrioTx, MPFailTx, MPFastcloseTx, MPRstTx,
  MPTcpExtInfiniteMapTx         the option's events H sent
  MPTcpExtMPJoinAckRx           join subflows H accepted that were established
and per sink application, the bytes it received against the data bytes
the connections to its port carried to it (acknowledged, and in full),
both from the sink host's captures and from all the run's captures merged.
Scenarios where a counter means something else are skipped by name in SKIP.
"""
import json
import os
import subprocess
import sys
import tempfile

# (scenario, check) pairs known not to be comparable, with the reason.
SKIP = {
    # Behind a NAT the two sides of a connection carry other addresses and
    # ports: afmp-trace, merging all captures, sees two connections.
    ("mbox-nat44", "merged"): "NAT",
    ("mptcp-failures", "merged"): "NAT (group j)",
    ("mptcp-nat-rebinding", "merged"): "NAT",
    # The redundant scheduler sends every segment on every subflow: the
    # analyser sees the copies as reinjections; the engine does not count
    # them as data-level retransmissions.
    ("mptcp-schedulers", "MPTcpExtMPTCPRetrans"): "redundant scheduler copies",
    ("mptcp-plugins", "MPTcpExtMPTCPRetrans"): "plug-in schedulers",
}

# counter -> event name (sent by the host)
EVENT_COUNTERS = {
    "MPTcpExtAddAddrTx": "add-addr",
    "MPTcpExtEchoAddTx": "add-addr-echo",
    "MPTcpExtRmAddrTx": "remove-addr",
    "MPTcpExtMPPrioTx": "mp-prio",
    "MPTcpExtMPFailTx": "mp-fail",
    "MPTcpExtMPFastcloseTx": "fastclose",
    "MPTcpExtMPRstTx": "tcprst",
    "MPTcpExtInfiniteMapTx": "infinite-mapping",
}


def host_addrs(node, run):
    """Every address the node had during the run: those it ends with and
    those the trace records saw added (a migration removes some)."""
    out = set()
    for i in node.get("interfaces", []):
        for a in i.get("addrs", []):
            out.add(a.split("/")[0])
    out |= ADDED.get(node["name"], set())
    return out


ADDED = {}


def load_added(run):
    path = os.path.join(run, "trace.jsonl")
    if not os.path.exists(path):
        return
    with open(path) as f:
        for line in f:
            if '"ip.addr-added"' not in line:
                continue
            r = json.loads(line)
            ADDED.setdefault(r["node"], set()).add(r["addr"])


def host_pcaps(run, pcaps, node):
    """NODE-IFACE.pcap for each of the node's interfaces (node names may
    hold a '-', so the interface part must be one of the node's)."""
    h = node["name"]
    ifaces = {i["name"] for i in node.get("interfaces", [])}
    return [os.path.join(run, x) for x in pcaps
            if x.startswith(h + "-") and x[len(h) + 1:-5] in ifaces]


def analyse(tool, files):
    with tempfile.TemporaryDirectory() as d:
        js = os.path.join(d, "r.json")
        p = subprocess.run([tool, "report", "--quiet", "--json", js] + files,
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError("afmp-trace failed: " + p.stderr.strip())
        with open(js) as f:
            return json.load(f)


def sender_side(conn, addrs):
    """'c2s' when the host is the connection's client, 's2c' when server."""
    if conn["client"]["addr"] in addrs:
        return "c2s"
    if conn["server"]["addr"] in addrs:
        return "s2c"
    # a join-only view (addresses of the initial subflow not the host's)
    for sf in conn["subflows"]:
        if sf["client"] in addrs:
            return "c2s" if sf["kind"] == "initial" else None
    return None


def sf_sender(conn, sf_id, addrs):
    """The direction the host sends in on subflow sf_id."""
    sf = conn["subflows"][sf_id]
    mine_client = sf["client"] in addrs
    side = sender_side(conn, addrs)
    if side is not None:
        return side
    return "c2s" if mine_client else "s2c"


def main():
    tool, run = sys.argv[1], sys.argv[2]
    name = sys.argv[3] if len(sys.argv) > 3 else os.path.basename(run)
    with open(os.path.join(run, "results.json")) as f:
        res = json.load(f)
    load_added(run)
    problems = []
    checked = 0
    # ns3-*.pcap: ns-3's own captures of its links (the ns-3 engine), the
    # same packets again; afmp-trace leaves them out of a folder too
    pcaps = sorted(x for x in os.listdir(run) if x.endswith(".pcap") and not x.startswith("ns3-"))
    for node in res["nodes"]:
        if node.get("kind") != "host":
            continue
        h = node["name"]
        files = host_pcaps(run, pcaps, node)
        if not files:
            continue
        addrs = host_addrs(node, run)
        a = analyse(tool, files)
        ctr = node.get("counters", {})
        # events and reinjections the host sent
        got = {k: 0 for k in EVENT_COUNTERS}
        reinj = 0
        joins_accepted = 0
        for c in a["connections"]:
            side = sender_side(c, addrs)
            for e in c["events"]:
                if side is None or e["dir"] != side:
                    continue
                for k, ev in EVENT_COUNTERS.items():
                    if e["event"] == ev:
                        got[k] += 1
            cols = c["series"]["columns"]
            idir, icls = cols.index("dir"), cols.index("class")
            for r in c["series"]["rows"]:
                if r[icls] == "reinject" and r[idir] == side:
                    reinj += 1
            for sf in c["subflows"]:
                if sf["kind"] == "join" and sf["server"] in addrs and sf["established"]:
                    joins_accepted += 1
        got["MPTcpExtMPTCPRetrans"] = reinj
        got["MPTcpExtMPJoinAckRx"] = joins_accepted
        for k, v in sorted(got.items()):
            if (name, k) in SKIP:
                continue
            checked += 1
            want = ctr.get(k, 0)
            if k == "MPTcpExtMPTCPRetrans":
                # opportunistic retransmissions (v0.9x schedulers) are
                # data-level retransmissions counted apart
                want += ctr.get("AfmpMPTcpOpportunisticRetrans", 0)
            slack = 0
            if k == "MPTcpExtMPTCPRetrans":
                # a segment the host dropped on a dead interface never
                # reached its capture: data sent again after it looks new
                slack = sum(i.get("tx_dropped", 0) for i in node.get("interfaces", []))
            if not want - slack <= v <= want:
                problems.append("%s %s: afmp-trace %d, engine %d%s" %
                                (h, k, v, want, " (less up to %d)" % slack if slack else ""))
    # sinks: bytes received
    nodes = {n["name"]: n for n in res["nodes"]}
    merged = analyse(tool, [os.path.join(run, x) for x in pcaps]) if pcaps else None
    for app in res.get("apps", []):
        argv = app.get("argv", [])
        if not argv or argv[0] != "sink" or "--port" not in argv:
            continue
        r = app.get("results", {})
        if "bytes" not in r:
            continue
        h = app["host"]
        port = int(argv[argv.index("--port") + 1])
        addrs = host_addrs(nodes[h], run)
        files = host_pcaps(run, pcaps, nodes[h])
        if not files:
            continue
        a = analyse(tool, files)
        total = 0
        for c in a["connections"]:
            if c["server"]["port"] == port and c["server"]["addr"] in addrs:
                total += c["c2s"]["acked"]
        checked += 1
        if total != r["bytes"]:
            problems.append("sink %s on %s port %d: afmp-trace %d bytes acked, sink %d" %
                            (app["name"], h, port, total, r["bytes"]))
        # the whole run merged (both ends of every path: each packet is
        # seen twice and must be counted once) says the same
        if (name, "merged") in SKIP:
            continue
        total = 0
        for c in merged["connections"]:
            if c["server"]["port"] == port and c["server"]["addr"] in addrs:
                total += c["c2s"]["acked"]
        checked += 1
        if total != r["bytes"]:
            problems.append("sink %s on %s port %d, all captures merged: afmp-trace %d bytes "
                            "acked, sink %d" % (app["name"], h, port, total, r["bytes"]))
    if problems:
        print("not ok - %s (%d of %d checks disagree)" % (name, len(problems), checked))
        for p in problems:
            print("# " + p)
    else:
        print("ok - %s (%d checks)" % (name, checked))


if __name__ == "__main__":
    main()
