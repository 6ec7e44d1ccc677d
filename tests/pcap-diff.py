#!/usr/bin/env python3
"""Compares two classic pcap files packet by packet: the same file header,
the same number of packets, and for each packet the same timestamp, lengths
and bytes. Prints nothing and exits 0 when they are identical. Otherwise
prints the first difference (the packet number, its time, both packets
decoded as IPv4/IPv6, TCP or UDP, and which fields differ) and exits 1;
exits 2 when a file cannot be read.
    pcap-diff.py EXPECTED ACTUAL
Only the standard library: the captures of afmp are LINKTYPE_RAW with
nanosecond timestamps, but microsecond files and Ethernet framing are read
too."""
import ipaddress
import struct
import sys

MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1000),  # microseconds, little-endian
    b"\xa1\xb2\xc3\xd4": (">", 1000),
    b"\x4d\x3c\xb2\xa1": ("<", 1),  # nanoseconds
    b"\xa1\xb2\x3c\x4d": (">", 1),
}
LINKTYPE_ETHERNET = 1
# LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6: the packet starts with IP.
LINKTYPES_IP = (101, 228, 229)
TCP_FLAGS = "FSRPAUEC"
MPTCP_SUBTYPES = ["MP_CAPABLE", "MP_JOIN", "DSS", "ADD_ADDR", "REMOVE_ADDR",
                  "MP_PRIO", "MP_FAIL", "MP_FASTCLOSE", "MP_TCPRST"]


class PcapError(Exception):
    pass


def read_pcap(path):
    """The file header as a dict and the packets as (ns, orig_len, bytes)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise PcapError("%s: %s" % (path, e.strerror))
    if len(data) < 24 or data[:4] not in MAGICS:
        raise PcapError("%s: not a classic pcap file" % path)
    order, ns_per_unit = MAGICS[data[:4]]
    major, minor, _, _, snaplen, linktype = struct.unpack(order + "HHiIII", data[4:24])
    header = {"magic": data[:4].hex(), "version": "%d.%d" % (major, minor),
              "snaplen": snaplen, "linktype": linktype}
    packets = []
    off = 24
    while off < len(data):
        if off + 16 > len(data):
            raise PcapError("%s: packet %d: record header cut short" % (path, len(packets) + 1))
        sec, frac, incl, orig = struct.unpack(order + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            raise PcapError("%s: packet %d: %d bytes announced, %d left"
                            % (path, len(packets) + 1, incl, len(data) - off))
        packets.append((sec * 1000000000 + frac * ns_per_unit, orig, data[off:off + incl]))
        off += incl
    return header, packets


def tcp_option_at(opts, pos):
    """Names the TCP option that holds byte |pos| of the option bytes."""
    i = 0
    while i < len(opts):
        kind = opts[i]
        size = 1 if kind in (0, 1) else (opts[i + 1] if i + 1 < len(opts) else 2)
        if size < 1:
            break
        if i <= pos < i + size:
            if kind == 30 and i + 2 < len(opts):
                sub = opts[i + 2] >> 4
                name = MPTCP_SUBTYPES[sub] if sub < len(MPTCP_SUBTYPES) else "subtype %d" % sub
                return "kind 30 MPTCP %s" % name
            return "kind %d" % kind
        i += size
    return "after the options"


def decode(pkt, linktype):
    """The fields of one packet, in order, as far as the captured bytes go.
    Option and payload bytes are kept whole under the keys 'tcp options' and
    'payload' and compared apart."""
    orig, b = pkt[1], pkt[2]
    fields = {"captured": len(b), "length": orig}
    if linktype == LINKTYPE_ETHERNET:
        if len(b) < 14:
            return fields
        fields["ethertype"] = "0x%04x" % struct.unpack("!H", b[12:14])
        b = b[14:]
    elif linktype not in LINKTYPES_IP:
        return fields
    if len(b) >= 20 and b[0] >> 4 == 4:
        ihl = (b[0] & 15) * 4
        fields.update({
            "ip": "IPv4", "tos": b[1], "ip length": struct.unpack("!H", b[2:4])[0],
            "ip id": struct.unpack("!H", b[4:6])[0],
            "frag": "0x%04x" % struct.unpack("!H", b[6:8]), "ttl": b[8], "proto": b[9],
            "ip checksum": "0x%04x" % struct.unpack("!H", b[10:12]),
            "src": str(ipaddress.IPv4Address(b[12:16])),
            "dst": str(ipaddress.IPv4Address(b[16:20]))})
        proto, l4 = b[9], b[ihl:]
    elif len(b) >= 40 and b[0] >> 4 == 6:
        fields.update({
            "ip": "IPv6", "traffic class/flow": "0x%08x" % struct.unpack("!I", b[0:4]),
            "ip length": struct.unpack("!H", b[4:6])[0], "proto": b[6], "hop limit": b[7],
            "src": str(ipaddress.IPv6Address(b[8:24])),
            "dst": str(ipaddress.IPv6Address(b[24:40]))})
        proto, l4 = b[6], b[40:]
    else:
        fields["bytes"] = b
        return fields
    if proto == 6 and len(l4) >= 20:
        sport, dport, seq, ack, off_flags, win, csum, urg = struct.unpack("!HHIIHHHH", l4[:20])
        doff = (off_flags >> 12) * 4
        flags = "".join(c for i, c in enumerate(TCP_FLAGS) if off_flags & (1 << i)) or "-"
        fields.update({"sport": sport, "dport": dport, "seq": seq, "ack": ack,
                       "data offset": doff, "flags": flags, "window": win,
                       "tcp checksum": "0x%04x" % csum, "urgent": urg,
                       "tcp options": l4[20:doff], "payload": l4[doff:]})
    elif proto == 17 and len(l4) >= 8:
        sport, dport, ulen, csum = struct.unpack("!HHHH", l4[:8])
        fields.update({"sport": sport, "dport": dport, "udp length": ulen,
                       "udp checksum": "0x%04x" % csum, "payload": l4[8:]})
    else:
        fields["payload"] = l4
    return fields


def first_byte_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def summary(f):
    """One line for a decoded packet, tcpdump-like."""
    if "ip" not in f:
        return "%d bytes (length %d), not decoded" % (f["captured"], f["length"])
    s = "%s %s" % (f["ip"], f["src"])
    if "sport" in f:
        s += ".%d > %s.%d" % (f["sport"], f["dst"], f["dport"])
    else:
        s += " > %s proto %d" % (f["dst"], f["proto"])
    if "flags" in f:
        s += " [%s] seq %d ack %d win %d options %d bytes" % (
            f["flags"], f["seq"], f["ack"], f["window"], len(f["tcp options"]))
    return s + ", length %d (%d captured)" % (f["length"], f["captured"])


def differences(fa, fb):
    """Lines naming each field of two decoded packets that differs."""
    out = []
    for key in list(fa) + [k for k in fb if k not in fa]:
        a, b = fa.get(key), fb.get(key)
        if a == b:
            continue
        if key == "tcp options" and a is not None and b is not None:
            i = first_byte_difference(a, b)
            out.append("TCP option bytes differ at offset %d (%s; expected %s, got %s)"
                       % (i, tcp_option_at(a, i), a.hex() or "none", b.hex() or "none"))
        elif key in ("payload", "bytes") and a is not None and b is not None:
            i = first_byte_difference(a, b)
            out.append("%s differs at offset %d (%d and %d bytes captured)"
                       % ("payload" if key == "payload" else "packet", i, len(a), len(b)))
        else:
            out.append("%s: expected %s, got %s" % (key, a, b))
    return out


def fmt_time(ns):
    return "%d.%09d s" % (ns // 1000000000, ns % 1000000000)


def compare(expected, actual):
    """The report of the first difference as lines, or [] when none."""
    ha, pa = read_pcap(expected)
    hb, pb = read_pcap(actual)
    report = ["file header: %s: expected %s, got %s" % (k, ha[k], hb[k])
              for k in ha if ha[k] != hb[k]]
    if report:
        return report
    for n, (a, b) in enumerate(zip(pa, pb), 1):
        if a == b:
            continue
        fa, fb = decode(a, ha["linktype"]), decode(b, hb["linktype"])
        lines = ["packet %d at %s differs" % (n, fmt_time(a[0]))]
        if a[0] != b[0]:
            lines.append("time: expected %s, got %s" % (fmt_time(a[0]), fmt_time(b[0])))
        lines += differences(fa, fb)
        lines.append("expected: " + summary(fa))
        lines.append("got:      " + summary(fb))
        return lines
    if len(pa) != len(pb):
        n = min(len(pa), len(pb))
        extra = pa[n] if len(pa) > n else pb[n]
        return ["%d packets expected, got %d; packet %d at %s is the first %s"
                % (len(pa), len(pb), n + 1, fmt_time(extra[0]),
                   "missing" if len(pa) > n else "extra"),
                ("missing: " if len(pa) > n else "extra:   ")
                + summary(decode(extra, ha["linktype"]))]
    return []


def main(argv):
    if len(argv) != 3:
        print("usage: pcap-diff.py EXPECTED ACTUAL", file=sys.stderr)
        return 2
    try:
        report = compare(argv[1], argv[2])
    except PcapError as e:
        print(e)
        return 2
    for line in report:
        print(line)
    return 1 if report else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
