/*
 * afmp: IPv6 stateless address autoconfiguration and default routers from
 * received router advertisements (RFC 4861 6.1.2, 6.3.4; RFC 4862 5.5.3),
 * as Linux's ndisc.c and addrconf.c do on a host with accept_ra = 1.
 *
 * A host that does not forward and has opts.accept_ra processes every valid
 * RA (ICMPv6 type 134 from a link-local source with hop limit 255, code 0,
 * well-formed options):
 *
 *   - a router lifetime above 0 installs `default via ROUTER dev IFACE`
 *     (table main, metric 1024 plus the ifindex minus one: Linux uses 1024
 *     for every RA route, afmp's tables hold one route per prefix and
 *     metric), removed when that lifetime ends or an RA says 0;
 *   - each Prefix Information option with the A flag, a /64 that is not
 *     link-local and a preferred lifetime not above the valid one forms
 *     PREFIX + the interface identifier (mp_addrconf_iid) after the DAD
 *     delay of MP_ADDRCONF_DAD_DELAY (Linux: dad_transmits 1 x retrans
 *     timer 1 s; no neighbour solicitation is sent, point-to-point links
 *     have no one to answer it), then adds it with mp_host_addr_add_lifetimes
 *     (listeners hear MP_HOST_ADDR_ADDED); lifetimes count from the RA
 *     that created it. Later RAs refresh the lifetimes of the addresses
 *     SLAAC formed: the preferred one as received, the valid one by RFC
 *     4862 5.5.3 e (the "two-hour rule" for unauthenticated RAs, as Linux:
 *     a received lifetime above two hours or above the remaining one is
 *     taken; otherwise the remaining one is kept if at most two hours, or
 *     cut to two hours). A withdrawal (valid 0) therefore deprecates the
 *     address at once and removes it no later than two hours on. The host's
 *     lifetimes (host.h) deprecate and remove it.
 *
 * Invalid RAs are dropped and counted in AfmpIcmp6InBadRA; every RA counts
 * in Icmp6InRouterAdvertisements. Not done: router solicitations (hosts wait
 * for the router's periodic RAs), the MTU, hop-limit, reachable-time and
 * retrans-timer fields, on-link-only prefixes (L without A: the prefix
 * route comes with the address), RFC 8981 temporary addresses.
 */
#ifndef MP_NET_ADDRCONF_H
#define MP_NET_ADDRCONF_H

#include "model/net/host.h"

/* Time from the first RA of a prefix to its address being usable. */
#define MP_ADDRCONF_DAD_DELAY MP_S(1)
/* RFC 4862 5.5.3 e. */
#define MP_ADDRCONF_TWO_HOURS MP_S(7200)

/*
 * Handles the RA |msg| (|len| bytes from the ICMPv6 header on) that arrived
 * in the datagram described by |m|. Drops it (counted) when invalid;
 * ignores it when the host forwards or opts.accept_ra is off.
 */
void mp_addrconf_ra_input(struct mp_host *h, const struct mp_ip_meta *m, const uint8_t *msg,
                          size_t len);

/* The interface identifier of interface |ifname| of node |node|: the
 * modified EUI-64 (RFC 4291 2.5.1) of a locally administered MAC address
 * taken from the SHA-256 of "NODE/IFNAME", so it is the same on every run
 * and every seed. */
void mp_addrconf_iid(const char *node, const char *ifname, uint8_t iid[8]);

/* |prefix| (its first 64 bits) followed by the identifier of |ifc|. */
struct mp_ip mp_addrconf_addr(const struct mp_iface *ifc, const struct mp_ip *prefix);

/* Adds the router lifetime and the prefixes of |nd| to a trace record
 * (ip.ra-in, ip.ra-out). */
struct mp_trace_rec;
void mp_addrconf_trace_ra(struct mp_trace_rec *r, const struct mp_wire_nd *nd);

void mp_addrconf_detach(struct mp_host *h);

#endif
