/*
 * afmp: middleboxes on link directions.
 *
 * A middlebox is a fault decorator (fault.h) of stage
 * MP_FAULT_STAGE_MIDDLEBOX: it sees a packet before the loss models, so
 * what it lets through is what may then be lost, damaged, copied or
 * reordered on the wire, as with a box that sits at the sending end of the
 * link (a router's NAT is a nat44 on the router's outside link). Middleboxes
 * of one direction act in the order given.
 *
 * Kinds, looked up by name in a table (mp_mbox_parse()):
 *
 *   strip-mptcp      every TCP option of kind 30 (MPTCP) is overwritten with
 *                    NOPs (kind 1), so the header keeps its length; the TCP
 *                    checksum is updated (RFC 1624). Counted as
 *                    mp_link_stats.stripped.
 *   drop-join        a SYN (without ACK) carrying MP_JOIN (kind 30, subtype
 *                    1) is dropped as MP_LINK_DROP_FILTER; with the argument
 *                    "synack" SYN/ACKs carrying MP_JOIN too.
 *   drop-add-addr    a TCP segment carrying ADD_ADDR (kind 30, subtype 3) is
 *                    dropped as MP_LINK_DROP_FILTER; with the argument "echo"
 *                    only the echoes (E flag set): announcements are never
 *                    acknowledged. ADD_ADDR rides on pure ACKs, so no data
 *                    goes with it.
 *   blackhole        every packet is dropped as MP_LINK_DROP_BLACKHOLE. The
 *                    carrier stays up and nothing answers, unlike a link that
 *                    is down.
 *   rewrite-payload  with probability RATIO (default 100%; one draw per
 *                    packet from the fault's own stream, as every fault
 *                    takes), a TCP segment with payload has its payload
 *                    byte at offset len / 2 XORed with 0xff and the TCP
 *                    checksum updated to match, as an application level
 *                    gateway would: only MPTCP's DSS checksum can tell.
 *                    Counted as mp_link_stats.rewritten.
 *   nat44            a stateful NAPT whose inside is end 0 (side a) of the
 *                    link (see struct mp_nat44 below). Counted as
 *                    mp_link_stats.translated; drops as MP_LINK_DROP_NAT.
 *
 * Every middlebox that rewrites finalizes lazy checksums first
 * (mp_wire_csum_finalize()), then updates the checksums incrementally, so a
 * packet damaged earlier stays detectably damaged. IPv4 and IPv6 fragments
 * are not inspected (the transport header may be absent), except by
 * nat44, which drops IPv4 fragments: it does not reassemble.
 *
 * Trace records (category MP_TRACE_LINK): link.mbox {dir, kind, action,
 * pkt} for "strip" and "rewrite", {dir, kind, action "map", detail} for a
 * new NAT mapping, {dir, kind "middlebox", action "set", detail} when a
 * direction's list changes at run time; drops are link.drop records.
 */
#ifndef MP_SIM_NET_MIDDLEBOX_H
#define MP_SIM_NET_MIDDLEBOX_H

#include "sim/net/fault.h"

enum mp_mbox_kind {
    MP_MBOX_STRIP_MPTCP,
    MP_MBOX_DROP_JOIN,
    MP_MBOX_BLACKHOLE,
    MP_MBOX_REWRITE_PAYLOAD,
    MP_MBOX_NAT44,
    MP_MBOX_DROP_ADD_ADDR,
    MP_MBOX__COUNT
};

/* One middlebox as a scenario describes it. */
struct mp_mbox {
    enum mp_mbox_kind kind;
    uint32_t ratio_ppm; /* rewrite-payload: share of segments changed */
    bool synack;        /* drop-join: SYN/ACKs with MP_JOIN as well */
    bool echo;          /* drop-add-addr: only the echoes */
    struct mp_ip addr;  /* nat44: the outside address; v == 0: not given */
};

#define MP_MBOX_MAX 8

/* The middleboxes of one direction, in the order they act. */
struct mp_mbox_list {
    struct mp_mbox m[MP_MBOX_MAX];
    unsigned n;
};

/* "strip-mptcp", "nat44", ... */
const char *mp_mbox_kind_name(enum mp_mbox_kind kind);

/*
 * Parses a comma-separated list "KIND [ARG], ..." (blank space around
 * words and commas is free) or "none" (the empty list). Returns true and
 * fills |out|, or false with |why| set to a description of the problem
 * (g_free it) and, when a kind is unknown, |unknown| to that word (g_free
 * it; may be NULL when not wanted). Checks: known kinds, their arguments
 * (a ratio for rewrite-payload, "synack" for drop-join, an IPv4 address
 * for nat44), nat44 at most once, at most MP_MBOX_MAX entries, "none"
 * alone.
 */
bool mp_mbox_parse(const char *text, struct mp_mbox_list *out, char **why, char **unknown);

/* The list in the form mp_mbox_parse() reads back: "strip-mptcp,
 * nat44 203.0.113.1" or "none". g_free it. */
char *mp_mbox_format(const struct mp_mbox_list *list);
/* One entry in that form. g_free it. */
char *mp_mbox_format_one(const struct mp_mbox *m);

/* True when |list| holds a nat44; |addr| (may be NULL) gets its address. */
bool mp_mbox_list_nat44(const struct mp_mbox_list *list, struct mp_ip *addr);

/* --- the decorators ------------------------------------------------------ */

struct mp_fault *mp_fault_strip_mptcp_new(void);
struct mp_fault *mp_fault_drop_join_new(bool synack);
struct mp_fault *mp_fault_drop_add_addr_new(bool echo_only);
struct mp_fault *mp_fault_blackhole_new(void);
/* |p32|: probability per segment with payload (UINT32_MAX: always). */
struct mp_fault *mp_fault_rewrite_payload_new(uint32_t p32);

/*
 * A NAPT (masquerade) table shared by the two directions of a link:
 *
 * - Outbound (end 0 to end 1): an unfragmented IPv4 TCP segment, UDP
 *   datagram or ICMP echo request gets the source address |outside| and a
 *   source port (echo identifier) taken from the mapping of (protocol,
 *   inside address, inside port); a new mapping takes the next free port
 *   from 1024 up, per protocol, wrapping around to 1024 after 65535. When
 *   every port is taken the packet is dropped (MP_LINK_DROP_NAT). IPv4
 *   checksums (header, and TCP/UDP with their pseudo-header) are updated;
 *   a UDP checksum of zero (none) stays zero. Other IPv4 packets (other
 *   protocols, ICMP messages other than echo requests) pass untouched;
 *   IPv4 fragments are dropped.
 * - Inbound (end 1 to end 0): an IPv4 packet to |outside| that is a TCP
 *   segment, a UDP datagram or an echo reply matching a mapping gets the
 *   inside address and port back as destination; any other packet to
 *   |outside| (no mapping, another protocol, ICMP errors, fragments) is
 *   dropped (MP_LINK_DROP_NAT). Packets to other addresses pass untouched:
 *   a NAT is not a firewall.
 * - IPv6 passes untouched both ways.
 *
 * Mappings never expire (Linux keeps an established TCP mapping for 5
 * days, others for 120 s or less: longer than any simulated run here), and
 * TCP states are not followed: a mapping made by a SYN serves the whole
 * connection and any later one from the same inside address and port.
 */
struct mp_nat44;

struct mp_nat44 *mp_nat44_new(const struct mp_ip *outside);
void mp_nat44_ref(struct mp_nat44 *nat);
void mp_nat44_unref(struct mp_nat44 *nat);
/* Mappings made so far. */
uint64_t mp_nat44_mappings(const struct mp_nat44 *nat);
/* The decorator of one side: |inbound| false for the direction sent by
 * end 0 (inside to outside), true for the other. Takes a reference. */
struct mp_fault *mp_fault_nat44_new(struct mp_nat44 *nat, bool inbound);

/* A decorator for |m|, except nat44 (which needs its shared table:
 * mp_fault_nat44_new()); NULL for nat44. */
struct mp_fault *mp_mbox_fault_new(const struct mp_mbox *m);

/*
 * Replaces the middleboxes of the link's directions: lists[e] (NULL: leave
 * direction |e| as it is) for the direction sent by end e. A nat44 in both
 * lists of one call makes one shared table; in one list only, a table of
 * its own for that direction (whose other side then translates nothing).
 * nat44 entries must have their address. With |trace| a link.mbox "set"
 * record is written per direction changed.
 */
void mp_middlebox_set(struct mp_link *l, const struct mp_mbox_list *lists[2], bool trace,
                      mp_time_t now);

#endif
