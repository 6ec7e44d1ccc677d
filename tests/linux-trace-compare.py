#!/usr/bin/env python3
"""afmp-trace against tshark on a capture of a Linux MPTCP transfer.

Called by check-linux-mptcp.sh after its own TAP lines (numbered 1..FIRST):
prints the next TAP lines and the plan. First what tshark finds in the
capture (one MPTCP connection, its two subflows, keys whose tokens and IDSNs
are the SHA-256 of RFC 8684, data on both subflows): those checks say that
the environment produced what the test needs. Then, with --json and --csv,
afmp-trace's report (OUTPUTS.md) against tshark's reading of the same
capture: the connection, its bytes, its subflows and their addresses,
tokens and IDSNs, every DSS mapping of mappings.csv, payload per subflow.
A failure gives what was measured and what was expected as # lines.

  linux-trace-compare.py --pcap FILE --bytes N --port P --initial C,S
      --join C,S --out DIR --first N [--json REPORT --csv DIR]
"""
import argparse
import collections
import csv
import hashlib
import json
import os
import subprocess
import sys

PREFS = ["-o", "tcp.analyze_sequence_numbers:TRUE",
         "-o", "mptcp.analyze_mptcp:TRUE",
         "-o", "mptcp.analyze_mappings:TRUE",
         # for mptcp.reinjection_of: data sent again on another subflow
         "-o", "mptcp.intersubflows_retransmission:TRUE"]
# tshark 4.0 prints these (FT_UINT*) in decimal; an option repeated in a
# packet gives comma-separated values. sendkey is the key of the packet's
# sender; expected_token and expected_idsn are computed from that key.
# tcp.seq is relative, 1 for the first byte after the SYN, as the subflow
# sequence of a DSS option; mptcp.rawdsn64 is the segment's own 64-bit DSN,
# from its mapping. FT_NONE flags (tcp.analysis.*) print as 1 when set.
FIELDS = ["frame.number", "frame.time_epoch", "tcp.stream", "mptcp.stream",
          "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport",
          "tcp.flags", "tcp.len",
          "tcp.options.mptcp.subtype", "tcp.options.mptcp.sendkey",
          "mptcp.expected_token", "mptcp.expected_idsn",
          "tcp.options.mptcp.dseqn8.flag", "tcp.options.mptcp.rawdataseqno",
          "tcp.options.mptcp.subflowseqno", "tcp.options.mptcp.datalvllen",
          "tcp.options.mptcp.checksum", "tcp.options.mptcp.addrid",
          "tcp.options.mptcp.recvtok", "tcp.seq", "mptcp.rawdsn64",
          "tcp.analysis.retransmission", "tcp.analysis.fast_retransmission",
          "tcp.analysis.spurious_retransmission", "tcp.analysis.out_of_order",
          "mptcp.reinjection_of"]
SYN, ACK = 0x02, 0x10
MPC, JOIN, DSS = 0, 1, 2
M64 = 1 << 64


class Tap:
    def __init__(self, first):
        self.n = first
        self.failed = False

    def check(self, ok, what, *diag):
        self.n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, what))
        if not ok:
            self.failed = True
            for d in diag:
                print("# " + d)
        return ok

    def note(self, line):
        print("# " + line)

    def bail(self, why):
        print("Bail out! " + why)
        sys.exit(1)

    def plan(self):
        print("1..%d" % self.n)


def num(s):
    """An integer written by tshark or afmp-trace: decimal or 0x hex."""
    s = s.strip()
    return int(s, 16) if s.lower().startswith("0x") else int(s)


def values(s):
    return [v for v in s.split(",") if v != ""] if s else []


def first(s):
    v = values(s)
    return v[0] if v else None


def token_idsn(key):
    """RFC 8684 2.2/3.3.1: token = the most significant 32 bits of
    SHA-256(key), IDSN = the least significant 64 bits."""
    h = hashlib.sha256(key.to_bytes(8, "big")).digest()
    return int.from_bytes(h[:4], "big"), int.from_bytes(h[-8:], "big")


class Stream:
    """One TCP connection (tcp.stream) as tshark sees it."""

    def __init__(self, idx):
        self.idx = idx
        self.client = None          # (addr, port) of the first SYN's sender
        self.server = None
        self.kind = None            # "initial" (MP_CAPABLE) or "join"
        self.t_syn = None
        self.synack = False
        self.payload = {"c2s": 0, "s2c": 0}
        # Bytes below the highest sequence seen before in the direction, from
        # tshark's tcp.seq and tcp.len: afmp-trace's definition, recomputed.
        self.retrans = {"c2s": 0, "s2c": 0}
        self.snd_max = {"c2s": None, "s2c": None}
        # Payload of the frames tshark's own analysis flags as sent before
        # (retransmission, fast or spurious, or out of order): its heuristics
        # flag whole frames, and sometimes new data after a filled gap, so
        # this bounds afmp-trace's figure from above, no more.
        self.flagged = {"c2s": 0, "s2c": 0}
        self.reinject = {"c2s": 0, "s2c": 0}    # mptcp.reinjection_of
        self.segments = {"c2s": 0, "s2c": 0}
        self.addrid = {"c2s": None, "s2c": None}
        self.mptcp_stream = None


def read_tshark(pcap):
    cmd = ["tshark", "-r", pcap, "-n"] + PREFS + ["-T", "fields", "-E", "separator=/t",
                                                 "-E", "occurrence=a"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True)
    if p.returncode != 0:
        raise RuntimeError("tshark failed (%d): %s" % (p.returncode, p.stderr.strip()[-500:]))
    rows = []
    for line in p.stdout.splitlines():
        f = line.split("\t")
        f += [""] * (len(FIELDS) - len(f))
        rows.append(dict(zip(FIELDS, f)))
    return rows


class Capture:
    """What tshark says of the capture: streams, keys, mappings."""

    def __init__(self, pcap):
        self.rows = read_tshark(pcap)
        self.frames = len(self.rows)
        times = [float(r["frame.time_epoch"]) for r in self.rows]
        self.t_earliest = min(times) if times else 0
        self.t_file_first = times[0] if times else 0
        # Payload segments: (client, server, dir, seq from 0, len) -> [(epoch, dsn_raw)]
        self.segs = collections.defaultdict(list)
        self.streams = collections.OrderedDict()
        self.mptcp_streams = set()
        # sendkey and its token/IDSN as tshark gives them, per side.
        self.keys = {"client": set(), "server": set()}
        self.dss = []               # (stream, dir, dsn_raw64, ssn, len, csum)
        self.mpc_data = []          # (stream, dir, len): MP_CAPABLE with data
        dss32 = []
        for r in self.rows:
            if r["tcp.stream"] == "":
                continue
            s = self.streams.get(r["tcp.stream"])
            if s is None:
                s = self.streams[r["tcp.stream"]] = Stream(int(r["tcp.stream"]))
            src = (first(r["ip.src"]) or first(r["ipv6.src"]), int(r["tcp.srcport"]))
            dst = (first(r["ip.dst"]) or first(r["ipv6.dst"]), int(r["tcp.dstport"]))
            flags = int(r["tcp.flags"], 16)
            subtypes = [int(v) for v in values(r["tcp.options.mptcp.subtype"])]
            if s.client is None and flags & (SYN | ACK) == SYN:
                s.client, s.server = src, dst
                s.t_syn = float(r["frame.time_epoch"])
                if MPC in subtypes:
                    s.kind = "initial"
                elif JOIN in subtypes:
                    s.kind = "join"
            if s.client is None:
                continue            # a stream whose SYN was not captured
            d = "c2s" if src == s.client else "s2c"
            if flags & (SYN | ACK) == SYN | ACK and d == "s2c":
                s.synack = True
            if flags & SYN and JOIN in subtypes and first(r["tcp.options.mptcp.addrid"]):
                s.addrid[d] = int(first(r["tcp.options.mptcp.addrid"]))
            if r["mptcp.stream"]:
                s.mptcp_stream = int(r["mptcp.stream"])
                self.mptcp_streams.add(s.mptcp_stream)
            n = int(r["tcp.len"] or 0)
            s.payload[d] += n
            s.segments[d] += 1
            if n > 0:
                seq = int(r["tcp.seq"])
                top = s.snd_max[d]
                if top is not None and seq < top:
                    s.retrans[d] += min(seq + n, top) - seq
                if top is None or seq + n > top:
                    s.snd_max[d] = seq + n
                if (r["tcp.analysis.retransmission"] or r["tcp.analysis.fast_retransmission"]
                        or r["tcp.analysis.spurious_retransmission"]
                        or r["tcp.analysis.out_of_order"]):
                    s.flagged[d] += n
                if r["mptcp.reinjection_of"]:
                    s.reinject[d] += n
                dsn = first(r["mptcp.rawdsn64"])
                self.segs[(s.client, s.server, d, int(r["tcp.seq"]) - 1, n)].append(
                    (float(r["frame.time_epoch"]), num(dsn) if dsn else None))
            side = "client" if d == "c2s" else "server"
            key = first(r["tcp.options.mptcp.sendkey"])
            if key and MPC in subtypes:
                self.keys[side].add((num(key),
                                     num(first(r["mptcp.expected_token"]) or "-1"),
                                     num(first(r["mptcp.expected_idsn"]) or "-1")))
            if DSS in subtypes and r["tcp.options.mptcp.rawdataseqno"]:
                wide = first(r["tcp.options.mptcp.dseqn8.flag"]) == "1"
                m = (s.idx, d, num(first(r["tcp.options.mptcp.rawdataseqno"])),
                     num(first(r["tcp.options.mptcp.subflowseqno"])),
                     num(first(r["tcp.options.mptcp.datalvllen"])),
                     first(r["tcp.options.mptcp.checksum"]))
                (self.dss if wide else dss32).append(m)
            elif MPC in subtypes and n > 0 and r["tcp.options.mptcp.datalvllen"]:
                self.mpc_data.append((s.idx, d, num(first(r["tcp.options.mptcp.datalvllen"]))))
        # 32-bit DSNs (Linux sends 64-bit ones; kept for other senders):
        # expanded next to the sender's IDSN.
        for (st, d, dsn, ssn, ln, cs) in dss32:
            idsn = self.idsn("client" if d == "c2s" else "server")
            base = (idsn or 0) + 1
            hi = base - (base & 0xffffffff)
            cands = [(hi + dsn + k * (1 << 32)) % M64 for k in (-1, 0, 1)]
            self.dss.append((st, d, min(cands, key=lambda c: abs(c - base)), ssn, ln, cs))

    def key(self, side):
        ks = {k for (k, _, _) in self.keys[side]}
        return ks.pop() if len(ks) == 1 else None

    def token(self, side):
        ts = {t for (_, t, _) in self.keys[side]}
        return ts.pop() if len(ts) == 1 else None

    def idsn(self, side):
        ts = {i for (_, _, i) in self.keys[side]}
        return ts.pop() if len(ts) == 1 else None

    def subflows(self):
        return [s for s in self.streams.values() if s.kind]

    def mappings(self):
        """tshark's DSS mappings in afmp-trace's terms, keyed by the
        subflow's 4-tuple: (client, server, dir, dsn_raw, ssn, len)."""
        by = {s.idx: s for s in self.streams.values()}
        out = collections.Counter()
        for (st, d, dsn, ssn, ln, _cs) in self.dss:
            out[(by[st].client, by[st].server, d, dsn, ssn, ln)] += 1
        return out

    def mpc_mappings(self):
        """The mappings of MP_CAPABLE with data (RFC 8684 3.1: DSN IDSN+1,
        subflow sequence 1); no DSS option, but a mapping all the same."""
        by = {s.idx: s for s in self.streams.values()}
        out = collections.Counter()
        for (st, d, ln) in self.mpc_data:
            idsn = self.idsn("client" if d == "c2s" else "server")
            if idsn is not None:
                out[(by[st].client, by[st].server, d, (idsn + 1) % M64, 1, ln)] += 1
        return out


def tuple_str(c, s):
    return "%s:%d -> %s:%d" % (c[0], c[1], s[0], s[1])


def capture_checks(tap, cap, a):
    """The environment: what the test needs in the capture, per tshark."""
    ic = tuple(a.initial.split(","))
    jc = tuple(a.join.split(","))
    sfs = cap.subflows()
    tap.note("tshark: %d frames, %d TCP streams, MPTCP streams %s" % (
        cap.frames, len(cap.streams), sorted(cap.mptcp_streams)))
    for s in sfs:
        tap.note("tshark: stream %d %s %s, SYN-ACK %s, payload c2s %d s2c %d, segments c2s %d s2c %d, address ids %s" % (
            s.idx, s.kind, tuple_str(s.client, s.server), "yes" if s.synack else "no",
            s.payload["c2s"], s.payload["s2c"], s.segments["c2s"], s.segments["s2c"],
            s.addrid))
    for side in ("client", "server"):
        tap.note("tshark: %s key %s token %s idsn %s" % (
            side, cap.key(side), cap.token(side), cap.idsn(side)))
    per_dir = collections.Counter(d for (_, d, _, _, _, _) in cap.dss)
    tap.note("tshark: DSS mappings c2s %d s2c %d; MP_CAPABLE with data %d" % (
        per_dir["c2s"], per_dir["s2c"], len(cap.mpc_data)))

    tap.check(len(cap.mptcp_streams) == 1, "tshark: one MPTCP connection",
              "tshark's mptcp.stream values: %s, expected one" % sorted(cap.mptcp_streams))
    kinds = [s.kind for s in sfs]
    init = [s for s in sfs if s.kind == "initial"]
    join = [s for s in sfs if s.kind == "join"]
    ok = kinds.count("initial") == 1 and kinds.count("join") == 1 and all(s.synack for s in sfs)
    tap.check(ok, "tshark: two subflows, an MP_CAPABLE one and an MP_JOIN one, both answered",
              "SYNs: %s (MP_CAPABLE: initial, MP_JOIN: join), SYN-ACKs: %s" % (
                  kinds, [s.synack for s in sfs]),
              "Linux's path manager did not open the second subflow: check"
              " 'ip mptcp limits' and 'ip mptcp endpoint' in the client namespace")
    want_i = ((ic[0], a.port), (ic[1], a.port))
    want_j = (jc[0], (jc[1], a.port))
    got_i = [(s.client, s.server) for s in init]
    got_j = [(s.client[0], s.server) for s in join]
    tap.check(got_i and got_i[0][0][0] == want_i[0][0] and got_i[0][1] == want_i[1]
              and got_j == [want_j],
              "tshark: initial subflow %s -> %s:%d, join from %s to %s:%d" % (
                  ic[0], ic[1], a.port, jc[0], jc[1], a.port),
              "initial: %s, join: %s" % ([tuple_str(*t) for t in got_i],
                                          [tuple_str(*t) for t in ((j.client, j.server) for j in join)]))
    bad = []
    for side in ("client", "server"):
        k, t, i = cap.key(side), cap.token(side), cap.idsn(side)
        if k is None or (t, i) != token_idsn(k):
            bad.append("%s: keys %s, tshark's token/IDSN %s/%s, SHA-256's %s" % (
                side, sorted(cap.keys[side]), t, i, token_idsn(k) if k is not None else None))
    tap.check(not bad, "tshark: one key per side; its token and IDSN are SHA-256's", *bad)
    c2s = sum(s.payload["c2s"] for s in sfs)
    tap.check(all(s.payload["c2s"] > 0 for s in sfs) and c2s >= a.bytes,
              "tshark: both subflows carry client data, %d bytes or more in all" % a.bytes,
              "c2s payload per subflow: %s, total %d" % ([s.payload["c2s"] for s in sfs], c2s))


def load_mappings(path):
    """mappings.csv: t,conn,sf,dir,dsn_raw,dsn,ssn,len,csum."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def trace_checks(tap, cap, a):
    """afmp-trace's report against tshark."""
    try:
        rep = json.load(open(a.json))
    except (OSError, ValueError) as e:
        tap.check(False, "afmp-trace: report.json readable", str(e))
        return
    conns = rep.get("connections", [])
    mp = [c for c in conns if c.get("mptcp")]
    if not tap.check(len(conns) == 1 and len(mp) == 1,
                     "afmp-trace: exactly one connection, an MPTCP one",
                     "connections: %d, MPTCP ones: %d; expected 1 and 1" % (len(conns), len(mp))):
        if not mp:
            return
    c = mp[0]
    tap.check(c.get("fallback") is None, "afmp-trace: no fallback",
              "fallback: %r, expected null" % c.get("fallback"))
    tap.check(rep.get("packets") == cap.frames and rep.get("duplicates") == 0,
              "afmp-trace: %d packets read, no duplicates (one capture, each packet on one interface)" % cap.frames,
              "packets %r, duplicates %r; tshark: %d frames" % (
                  rep.get("packets"), rep.get("duplicates"), cap.frames))
    got = (c.get("c2s", {}).get("bytes"), c.get("s2c", {}).get("bytes"))
    tap.check(got == (a.bytes, 0), "afmp-trace: c2s bytes %d, s2c 0" % a.bytes,
              "c2s bytes %r, s2c bytes %r; expected %d and 0" % (got[0], got[1], a.bytes))
    ic, jc = a.initial.split(","), a.join.split(",")
    tap.check(c.get("client", {}).get("addr") == ic[0] and c.get("server", {}).get("addr") == ic[1]
              and c.get("server", {}).get("port") == a.port,
              "afmp-trace: connection from %s to %s:%d" % (ic[0], ic[1], a.port),
              "client %r, server %r" % (c.get("client"), c.get("server")))

    # Keys, tokens, IDSNs: afmp-trace's hex strings against tshark's decimals.
    diffs = []
    for side in ("client", "server"):
        mine = c.get(side, {})
        for what, want in (("key", cap.key(side)), ("token", cap.token(side)),
                           ("idsn", cap.idsn(side))):
            v = mine.get(what)
            try:
                v = num(v) if isinstance(v, str) else v
            except ValueError:
                pass
            if v != want:
                diffs.append("%s %s: afmp-trace %r, tshark %s" % (
                    side, what, mine.get(what), "0x%x" % want if want is not None else None))
    tap.check(not diffs, "afmp-trace: client and server keys, tokens and IDSNs are tshark's", *diffs)

    # Subflows: matched to tshark's streams by 4-tuple.
    sfs = c.get("subflows", [])
    tsf = {(s.client, s.server): s for s in cap.subflows()}
    kinds = sorted(s.get("kind", "?") for s in sfs)
    tap.check(len(sfs) == 2 and kinds == ["initial", "join"],
              "afmp-trace: two subflows, initial and join",
              "subflows: %d, kinds %s; expected 2, ['initial', 'join']" % (len(sfs), kinds))
    by_sf = {}
    for s in sfs:
        k = ((s.get("client"), s.get("cport")), (s.get("server"), s.get("sport")))
        t = tsf.get(k)
        what = "afmp-trace: subflow %s (%s) %s" % (s.get("id"), s.get("kind"), tuple_str(*k) if None not in k[0] + k[1] else k)
        if not tap.check(t is not None and t.kind == s.get("kind"),
                         what + " is tshark's stream of that 4-tuple and kind",
                         "tshark's subflows: %s" % ["%s %s" % (x.kind, tuple_str(x.client, x.server)) for x in tsf.values()]):
            continue
        by_sf[s.get("id")] = t
        want_ids = (0, 0) if t.kind == "initial" else (t.addrid["c2s"], t.addrid["s2c"])
        got_ids = (s.get("client_id"), s.get("server_id"))
        tap.check(got_ids == want_ids and s.get("family") == 4,
                  what + ": family 4, address ids %s/%s" % want_ids,
                  "family %r, client_id/server_id %r/%r; tshark's MP_JOIN address ids %s/%s" % (
                      s.get("family"), got_ids[0], got_ids[1], want_ids[0], want_ids[1]))
        got = {d: (s.get(d, {}).get("payload"), s.get(d, {}).get("segments")) for d in ("c2s", "s2c")}
        want = {d: (t.payload[d], t.segments[d]) for d in ("c2s", "s2c")}
        tap.check(got == want, what + ": payload bytes and segments per direction are tshark's",
                  "afmp-trace (payload, segments): c2s %s s2c %s; tshark (sum of tcp.len, frames): c2s %s s2c %s" % (
                      got["c2s"], got["s2c"], want["c2s"], want["s2c"]))
        got = {d: (s.get(d, {}).get("retrans"), s.get(d, {}).get("reinject")) for d in ("c2s", "s2c")}
        want = {d: (t.retrans[d], t.reinject[d]) for d in ("c2s", "s2c")}
        tap.check(got == want, what + ": retransmitted bytes are those below the highest tcp.seq + tcp.len"
                  " tshark saw before, reinjected bytes tshark's",
                  "afmp-trace (retrans, reinject): c2s %s s2c %s; from tshark (tcp.seq/tcp.len,"
                  " mptcp.reinjection_of): c2s %s s2c %s" % (got["c2s"], got["s2c"], want["c2s"], want["s2c"]),
                  "(the capture's c2s payload, all subflows, is %d bytes for a %d-byte transfer)" % (
                      sum(x.payload["c2s"] for x in tsf.values()), a.bytes))
        over = [d for d in ("c2s", "s2c") if (s.get(d, {}).get("retrans") or 0) > t.flagged[d]]
        tap.check(not over, what + ": retransmitted bytes within what tshark's analysis flags",
                  *["%s: afmp-trace %s, tshark's flagged frames (tcp.analysis.*retransmission,"
                    " out_of_order) %d" % (d, s.get(d, {}).get("retrans"), t.flagged[d]) for d in over])

    # DSS mappings: mappings.csv against tshark's, per subflow and direction.
    path = os.path.join(a.csv, "mappings.csv")
    try:
        rows = load_mappings(path)
    except OSError as e:
        tap.check(False, "afmp-trace: mappings.csv readable", str(e))
        return
    cid = c.get("id")
    sf_tuple = {s.get("id"): ((s.get("client"), s.get("cport")), (s.get("server"), s.get("sport")))
                for s in sfs}
    mine = collections.Counter()
    bad_rows = []
    for r in rows:
        try:
            if int(r["conn"]) != cid:
                continue
            tup = sf_tuple.get(int(r["sf"]))
            dsn_raw, dsn, ssn, ln = num(r["dsn_raw"]), num(r["dsn"]), num(r["ssn"]), num(r["len"])
        except (KeyError, ValueError, TypeError) as e:
            bad_rows.append("row %r: %s" % (r, e))
            continue
        if tup is None:
            bad_rows.append("row %r: no such subflow" % r)
            continue
        side = "client" if r["dir"] == "c2s" else "server"
        idsn = cap.idsn(side)
        if idsn is not None and dsn != (dsn_raw - idsn - 1) % M64:
            bad_rows.append("row %r: dsn %d, expected dsn_raw - IDSN - 1 = %d" % (
                r, dsn, (dsn_raw - idsn - 1) % M64))
        mine[(tup[0], tup[1], r["dir"], dsn_raw, ssn, ln)] += 1
    theirs = cap.mappings()
    mpc = cap.mpc_mappings()
    # A row in excess of tshark's DSS options may be the mapping of an
    # MP_CAPABLE with data (not a DSS option; OUTPUTS.md lists DSS ones).
    extra = mine - theirs
    from_mpc = extra & mpc
    extra = extra - from_mpc
    missing = theirs - mine

    def show(counter, limit=5):
        out = []
        for (cl, sv, d, dsn_raw, ssn, ln), k in sorted(counter.items())[:limit]:
            out.append("  %s %s dsn_raw %d ssn %d len %d (x%d)" % (tuple_str(cl, sv), d, dsn_raw, ssn, ln, k))
        if len(counter) > limit:
            out.append("  ... %d more" % (len(counter) - limit))
        return out

    tap.check(not bad_rows, "afmp-trace: mappings.csv rows well formed, dsn = dsn_raw - IDSN - 1",
              *(bad_rows[:5] + (["... %d more" % (len(bad_rows) - 5)] if len(bad_rows) > 5 else [])))
    tap.check(not extra, "afmp-trace: every mapping of mappings.csv is one of tshark's",
              *(["%d mapping(s) tshark does not have:" % sum(extra.values())] + show(extra)))
    n_mine, n_theirs = sum(mine.values()), sum(theirs.values())
    tap.check(not missing and n_mine == n_theirs + sum(from_mpc.values()),
              "afmp-trace: as many mappings as tshark's DSS options (%d)" % n_theirs,
              *(["mappings.csv: %d rows (%d from MP_CAPABLE with data); tshark: %d DSS mappings"
                 " (and %d MP_CAPABLE with data)" % (n_mine, sum(from_mpc.values()), n_theirs, sum(mpc.values())),
                 "%d of tshark's missing from mappings.csv:" % sum(missing.values())] + show(missing)))
    if from_mpc:
        tap.note("mappings.csv lists the %d mapping(s) of MP_CAPABLE with data too" % sum(from_mpc.values()))
    per_dir_t = collections.Counter(d for (_, _, d, _, _, _) in theirs.elements())
    got = (c.get("c2s", {}).get("mappings"), c.get("s2c", {}).get("mappings"))
    mpc_dir = collections.Counter(d for (_, _, d, _, _, _) in from_mpc.elements())
    ok = all(got[i] in (per_dir_t[d], per_dir_t[d] + mpc_dir[d]) and
             got[i] == sum(1 for r in rows if r.get("dir") == d and r.get("conn") == str(cid))
             for i, d in enumerate(("c2s", "s2c")))
    tap.check(ok, "afmp-trace: JSON mapping counts per direction are mappings.csv's and tshark's",
              "JSON c2s/s2c mappings %r/%r; mappings.csv %d/%d; tshark's DSS %d/%d" % (
                  got[0], got[1],
                  sum(1 for r in rows if r.get("dir") == "c2s"),
                  sum(1 for r in rows if r.get("dir") == "s2c"),
                  per_dir_t["c2s"], per_dir_t["s2c"]))
    segment_checks(tap, cap, a, rep, c, sf_tuple)


def segment_checks(tap, cap, a, rep, c, sf_tuple):
    """segments.csv: time order, and each payload segment's time, subflow
    sequence and DSN against tshark's frame of the same bytes."""
    path = os.path.join(a.csv, "segments.csv")
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as e:
        tap.check(False, "afmp-trace: segments.csv readable", str(e))
        return
    t_origin = rep.get("t_origin")
    tap.check(isinstance(t_origin, (int, float)) and abs(t_origin - cap.t_earliest) < 1e-6,
              "afmp-trace: t_origin is the capture's earliest timestamp",
              "t_origin %r; earliest packet %.9f, first packet in file order %.9f (dumpcap writes"
              " two interfaces' packets out of time order)" % (t_origin, cap.t_earliest, cap.t_file_first))
    back = []
    prev = None
    for i, r in enumerate(rows):
        t = float(r["t"])
        if prev is not None and t < prev:
            back.append("row %d: t %s after %.9f" % (i + 2, r["t"], prev))
        prev = t
    tap.check(not back, "afmp-trace: segments.csv is in time order",
              *(["%d row(s) earlier than the row before them, e.g.:" % len(back)] + back[:3]))
    # Matched by (subflow, dir, seq, len, dsn); then the times, within 2 us
    # (t_origin is a JSON double: about 0.2 us at 1.8e9 s).
    idsn = cap.idsn("client"), cap.idsn("server")
    theirs = collections.defaultdict(list)
    for (cl, sv, d, seq, ln), seen in cap.segs.items():
        base = idsn[0] if d == "c2s" else idsn[1]
        for (t, dsn) in seen:
            rel = (dsn - base - 1) % M64 if dsn is not None and base is not None else None
            theirs[(cl, sv, d, seq, ln, rel)].append(t - (t_origin or 0))
    mine = collections.defaultdict(list)
    bad = []
    for r in rows:
        try:
            if int(r["conn"]) != c.get("id") or int(r["len"]) == 0:
                continue
            tup = sf_tuple[int(r["sf"])]
            dsn = num(r["dsn"]) if r["dsn"] != "" else None
            mine[(tup[0], tup[1], r["dir"], num(r["seq"]), int(r["len"]), dsn)].append(float(r["t"]))
        except (KeyError, ValueError, TypeError) as e:
            bad.append("row %r: %s" % (r, e))
    count = lambda m: collections.Counter({k: len(v) for k, v in m.items()})
    extra, missing = count(mine) - count(theirs), count(theirs) - count(mine)
    worst = (0.0, None)
    for k in set(mine) & set(theirs):
        for x, y in zip(sorted(mine[k]), sorted(theirs[k])):
            if abs(x - y) > worst[0]:
                worst = (abs(x - y), (k, x, y))

    def show(counter, limit=4):
        out = []
        for k, n in sorted(counter.items(), key=str)[:limit]:
            out.append("  %s %s seq %d len %d dsn %s (x%d)" % (tuple_str(k[0], k[1]), k[2], k[3], k[4], k[5], n))
        if len(counter) > limit:
            out.append("  ... %d more" % (len(counter) - limit))
        return out

    tap.check(not bad and not extra and not missing,
              "afmp-trace: segments.csv's payload segments (seq, len, dsn) are tshark's frames"
              " (tcp.seq - 1, tcp.len, mptcp.rawdsn64 - IDSN - 1)",
              *(bad[:3] + ["%d of %d rows not in tshark's:" % (sum(extra.values()), sum(count(mine).values()))]
                + show(extra)
                + ["%d of tshark's %d frames not in segments.csv:" % (
                    sum(missing.values()), sum(count(theirs).values()))] + show(missing)))
    tap.check(worst[0] <= 2e-6, "afmp-trace: segments.csv's times are tshark's frame times - t_origin",
              "largest difference %.9f s: %s at t %.9f, tshark's frame at %.9f" % (
                  worst[0], show(collections.Counter({worst[1][0]: 1}))[0].strip() if worst[1] else "",
                  worst[1][1] if worst[1] else 0, worst[1][2] if worst[1] else 0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--bytes", type=int, required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--initial", required=True, help="CLIENT,SERVER addresses")
    ap.add_argument("--join", required=True, help="CLIENT,SERVER addresses")
    ap.add_argument("--out", required=True)
    ap.add_argument("--first", type=int, default=0, help="TAP lines already printed")
    ap.add_argument("--json")
    ap.add_argument("--csv")
    a = ap.parse_args()
    tap = Tap(a.first)
    try:
        cap = Capture(a.pcap)
    except (RuntimeError, OSError) as e:
        tap.check(False, "tshark reads the capture", str(e))
        tap.plan()
        return 1
    capture_checks(tap, cap, a)
    if a.json:
        trace_checks(tap, cap, a)
    tap.plan()
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
