/*
 * afmp: a host's IP layer.
 *
 * A host has any number of interfaces, each with several IPv4 and IPv6
 * addresses that can be added and removed while it runs. Routing is Linux's:
 * the weak host model (a packet for any local address is accepted on any
 * interface), a local table with one host route per address, a main table
 * with the connected prefixes of every address, and policy rules when the
 * scenario asks for them (struct mp_rt, model/net/route.h). Source addresses
 * are chosen as Linux does (RFC 6724 for IPv6, model/net/srcsel.h).
 *
 * A host meets the world only through the seam: it transmits with
 * mp_env_output(ifindex) and the world calls mp_host_input() when a packet
 * arrives and mp_host_set_carrier() when an interface's link goes up or
 * down. It learns of a local carrier loss, never of a failure further along
 * the path. With forwarding on (ip.forward) it is a router.
 *
 * Malformed packets are dropped and counted (IpInHdrErrors,
 * IpExtInTruncatedPkts, UdpInErrors, ...); nothing a peer sends can crash
 * the host. Checksums are verified only on packets a fault has marked
 * MP_PKT_CSUM_UNTRUSTED (model/pkt.h).
 */
#ifndef MP_NET_HOST_H
#define MP_NET_HOST_H

#include <glib.h>

#include "model/env.h"
#include "model/net/addr.h"
#include "model/net/counters.h"
#include "model/net/route.h"
#include "model/wire/wire.h"

struct mp_host;
struct mp_rt_cache;

/* An interface address. |flags| are a subset of the MP_ADDR_* of
 * srcsel.h. The lifetimes are absolute times, as `ip address` shows them
 * relative (valid_lft, preferred_lft): an address without them
 * (MP_TIME_NEVER, Linux's "forever" and IFA_F_PERMANENT) stays until
 * deleted. */
struct mp_ifaddr {
    struct mp_ip ip;
    uint8_t plen;
    uint32_t flags;
    mp_time_t valid_until;     /* removed then (MP_HOST_ADDR_REMOVED, expired) */
    mp_time_t preferred_until; /* deprecated then (MP_ADDR_DEPRECATED) */
};

struct mp_iface_stats {
    uint64_t rx_packets, rx_bytes;
    uint64_t tx_packets, tx_bytes;
    uint64_t tx_dropped; /* carrier down or interface down */
};

struct mp_iface {
    struct mp_host *host;
    uint32_t ifindex; /* 1, 2, ... in the order interfaces were added */
    char *name;
    uint32_t mtu;
    bool up;      /* administratively up */
    bool carrier; /* the link reports carrier */
    GArray *addrs; /* struct mp_ifaddr, in the order added: the first of a
                    * family is the primary one */
    struct mp_iface_stats stats;
};

/* What an upper layer learns of a received datagram. */
struct mp_ip_meta {
    struct mp_ip src, dst;
    uint8_t proto;
    uint8_t ttl;  /* TTL or hop limit as received */
    uint8_t tos;  /* DSCP << 2 | ECN */
    uint32_t ifindex;
    size_t l4_off; /* offset of the upper-layer header in pkt->data */
    size_t l4_len;
};

/* An ICMP or ICMPv6 error about a datagram this host sent, as handed to the
 * upper layer that sent it. */
struct mp_ip_error {
    uint8_t v;          /* 4: ICMP, 6: ICMPv6 */
    uint8_t type, code;
    uint32_t info;      /* MTU for "too big"; else 0 */
    int err;            /* the errno Linux reports for it (ECONNREFUSED, ...) */
    struct mp_ip from;  /* who sent the error */
    struct mp_ip src, dst; /* of the quoted datagram */
    uint8_t proto;
    const uint8_t *l4;  /* quoted upper-layer bytes (at least 8 when present) */
    size_t l4_len;
};

/* An upper-layer protocol. |input| owns |pkt|. |error| may be NULL. */
struct mp_l4_proto {
    void (*input)(void *arg, struct mp_host *h, struct mp_pkt *pkt, const struct mp_ip_meta *m);
    void (*error)(void *arg, struct mp_host *h, const struct mp_ip_error *e);
    void *arg;
};

/*
 * Things that happen to a host's addresses and interfaces, for the layers
 * that care (path managers, the socket layer's address lists). Listeners
 * run synchronously, after the change is in place (the address is in or out
 * of the list, its routes added or removed), in the order they registered.
 *
 *   ADDR_ADDED       mp_host_addr_add*(), including addresses SLAAC forms
 *                    (model/net/addrconf.h) once their DAD delay is over.
 *   ADDR_REMOVED     mp_host_addr_del() (cause DELETED), the end of the
 *                    valid lifetime (EXPIRED), an interface set down
 *                    (IFACE_DOWN: its IPv6 addresses, see mp_host_set_up).
 *   ADDR_DEPRECATED  the preferred lifetime is over: still valid and
 *                    usable by the connections that have it, no longer
 *                    chosen as a source (RFC 4862 5.5.4, RFC 6724 rule 3).
 *   CARRIER_UP/DOWN  the link's carrier (mp_host_set_carrier); addresses
 *                    and routes stay.
 *   IFACE_UP/DOWN    administrative state (mp_host_set_up). DOWN comes
 *                    first, then one ADDR_REMOVED per flushed address, as
 *                    Linux sends RTM_NEWLINK before RTM_DELADDR.
 */
enum mp_host_event_kind {
    MP_HOST_ADDR_ADDED,
    MP_HOST_ADDR_REMOVED,
    MP_HOST_CARRIER_UP,
    MP_HOST_CARRIER_DOWN,
    MP_HOST_IFACE_UP,
    MP_HOST_IFACE_DOWN,
    MP_HOST_ADDR_DEPRECATED,
};

/* Why an address went (MP_HOST_ADDR_REMOVED). */
enum mp_host_addr_cause {
    MP_HOST_CAUSE_DELETED,    /* mp_host_addr_del(): ip address del, a lease lost */
    MP_HOST_CAUSE_EXPIRED,    /* its valid lifetime ran out */
    MP_HOST_CAUSE_IFACE_DOWN, /* flushed by an interface set down */
};

struct mp_host_event {
    enum mp_host_event_kind kind;
    uint32_t ifindex;
    struct mp_ifaddr addr;          /* for the address events */
    enum mp_host_addr_cause cause;  /* for MP_HOST_ADDR_REMOVED */
};

/* "addr-added", "iface-down", ... (also the trace record types, after
 * "ip."), and "deleted", "expired", "iface-down". */
const char *mp_host_event_name(enum mp_host_event_kind kind);
const char *mp_host_cause_name(enum mp_host_addr_cause cause);
/* Appends |ev| to |out| as "KIND IFACE [ADDR/LEN [CAUSE]]" ("addr-removed
 * eth0 10.0.2.2/24 expired"). */
void mp_host_event_format(const struct mp_host *h, const struct mp_host_event *ev, GString *out);

typedef void (*mp_host_listener_fn)(void *arg, struct mp_host *h, const struct mp_host_event *ev);

struct mp_host_opts {
    bool forward;           /* ip.forward: route packets not for us */
    uint8_t ttl;            /* default TTL / hop limit (64) */
    bool icmp_errors;       /* send ICMP errors (port unreachable, ...) */
    bool prefer_temporary;  /* RFC 6724 rule 7 (Linux default: off) */
    bool linkdown_routes;   /* keep using routes through a carrier-down
                             * interface, as Linux does by default
                             * (ignore_routes_with_linkdown = 0) */
    bool keep_addr_on_down; /* an interface set down keeps its permanent
                             * global IPv6 addresses (Linux's
                             * keep_addr_on_down; default off: flushed) */
    bool accept_ra;         /* process router advertisements while not
                             * forwarding (Linux accept_ra = 1, the default) */
};

void mp_host_opts_default(struct mp_host_opts *o);

struct mp_host {
    char *name;
    const struct mp_env *env;
    struct mp_host_opts opts;
    GPtrArray *ifaces; /* struct mp_iface *, index ifindex - 1 */
    struct mp_rt *rt;
    struct mp_counters ctr;
    struct mp_l4_proto l4[256];
    GArray *listeners; /* struct { fn, arg } */
    struct mp_pkt_queue loopback; /* packets to ourselves, delivered next */
    struct mp_deadline loopback_dl;
    struct mp_rng rng; /* ports, identifiers: stream "host/<name>/ports" */
    uint16_t ip_id;
    struct mp_rt_cache *rtc; /* recent routing decisions (mp_host_rt_lookup) */
    /* The last two addresses mp_host_addr_ifindex() found (ifindex 0:
     * empty), cleared when an address is added or removed: an end host
     * asks for every packet it sends (its source) and receives (the
     * destination), nearly always about the same one or two. */
    struct {
        struct mp_ip ip;
        uint32_t ifindex;
    } addr_cache[2];
    unsigned addr_cache_next;
    void *udp;  /* model/net/udp.c's state */
    void *icmp; /* model/net/icmp.c's state */
    void *addrconf; /* model/net/addrconf.c's state (SLAAC, default routers) */
    void *radv; /* model/net/radv.c's state (router advertisements sent) */
    struct mp_deadline lifetime_dl; /* the next address lifetime to end */
    void *user; /* for the layer that owns the host (the world, tests) */
    void *sock; /* afmp/'s socket layer state */
    void *mptcp; /* model/mptcp's state (struct mp_mptcp_stack) */
};

/*
 * mp_host_new creates a host named |name| (copied) on environment |env|
 * (which must outlive it), with UDP and ICMP attached. |opts| may be NULL
 * for the defaults.
 */
struct mp_host *mp_host_new(const char *name, const struct mp_env *env,
                            const struct mp_host_opts *opts);
void mp_host_free(struct mp_host *h);

/* Adds an interface (administratively up, carrier down until the world says
 * otherwise) and returns it. */
struct mp_iface *mp_host_add_iface(struct mp_host *h, const char *name, uint32_t mtu);
/* The interface with |ifindex|, or NULL. (Inline: several calls per
 * forwarded packet.) */
static inline struct mp_iface *mp_host_iface(const struct mp_host *h, uint32_t ifindex)
{
    if (ifindex == 0 || ifindex > h->ifaces->len)
        return NULL;
    return (struct mp_iface *)h->ifaces->pdata[ifindex - 1];
}
/* The interface named |name|, or NULL. */
struct mp_iface *mp_host_iface_by_name(const struct mp_host *h, const char *name);

/*
 * mp_host_addr_add assigns |ip|/|plen| to interface |ifindex|, adding the
 * local route (table local) and the connected prefix route (table main,
 * metric 0 for IPv4, 256 for IPv6, as Linux does), and tells the listeners.
 * The address is permanent (no lifetimes).
 * Returns 0, -ENODEV (no such interface), -EEXIST (already assigned there),
 * -EINVAL (bad family or prefix length).
 */
int mp_host_addr_add(struct mp_host *h, uint32_t ifindex, const struct mp_ip *ip, uint8_t plen,
                     uint32_t flags);
/* mp_host_addr_add() with lifetimes, as `ip address add ... valid_lft
 * preferred_lft` (absolute times; see mp_host_addr_set_lifetimes). */
int mp_host_addr_add_lifetimes(struct mp_host *h, uint32_t ifindex, const struct mp_ip *ip,
                               uint8_t plen, uint32_t flags, mp_time_t valid_until,
                               mp_time_t preferred_until);
/*
 * mp_host_addr_set_lifetimes changes the lifetimes of address |ip| of
 * interface |ifindex| (`ip address change ... valid_lft preferred_lft`):
 * absolute times, MP_TIME_NEVER for forever; a preferred time beyond the
 * valid one is taken as the valid one. A valid time already passed removes
 * the address at once (cause EXPIRED); a preferred time passed deprecates
 * it (MP_HOST_ADDR_DEPRECATED once), a later one makes it preferred again
 * (silently). Returns 0, -ENODEV, -EADDRNOTAVAIL.
 */
int mp_host_addr_set_lifetimes(struct mp_host *h, uint32_t ifindex, const struct mp_ip *ip,
                               mp_time_t valid_until, mp_time_t preferred_until);
/* Removes an address and its routes (cause DELETED). Returns 0, -ENODEV,
 * -EADDRNOTAVAIL. */
int mp_host_addr_del(struct mp_host *h, uint32_t ifindex, const struct mp_ip *ip);
/* The address |ip| of interface |ifindex|, or NULL. The pointer is valid
 * until the next address change. */
const struct mp_ifaddr *mp_host_addr_find(const struct mp_host *h, uint32_t ifindex,
                                          const struct mp_ip *ip);
/* The interface holding |ip|, or 0 when it is not ours. */
uint32_t mp_host_addr_ifindex(const struct mp_host *h, const struct mp_ip *ip);
/* Fills |out| with up to |max| addresses of the host, interfaces in
 * ifindex order, addresses in the order added; returns how many there are. */
size_t mp_host_addrs(const struct mp_host *h, struct mp_ifaddr *out, size_t max);

/* Link-layer carrier of interface |ifindex| (the world calls this). */
void mp_host_set_carrier(struct mp_host *h, uint32_t ifindex, bool up);
/*
 * Administrative state (ip link set dev X down/up), as Linux by default:
 * down drops every route through the interface, tells the listeners
 * (MP_HOST_IFACE_DOWN), then flushes its IPv6 addresses one by one
 * (MP_HOST_ADDR_REMOVED, cause IFACE_DOWN; with opts.keep_addr_on_down the
 * permanent non-link-local ones stay) and keeps its IPv4 addresses. Up
 * restores the connected and local routes of the addresses left and tells
 * the listeners (MP_HOST_IFACE_UP); flushed IPv6 addresses do not come
 * back (SLAAC forms them again from the next router advertisement).
 * Nothing happens when the state does not change.
 */
void mp_host_set_up(struct mp_host *h, uint32_t ifindex, bool up);

void mp_host_listen(struct mp_host *h, mp_host_listener_fn fn, void *arg);
/* Removes the listener registered with |fn| and |arg|. */
void mp_host_unlisten(struct mp_host *h, mp_host_listener_fn fn, void *arg);

/* Registers the handler of IP protocol |proto|. */
void mp_host_set_l4(struct mp_host *h, uint8_t proto, const struct mp_l4_proto *p);

/* A packet arrived on |ifindex| (the world calls this); the host owns it. */
void mp_host_input(struct mp_host *h, uint32_t ifindex, struct mp_pkt *pkt);

/* The outcome of routing a flow. */
struct mp_host_route {
    uint32_t ifindex;
    struct mp_ip src;     /* the source to use */
    struct mp_ip nexthop;
    uint32_t mtu;
    bool local;           /* the destination is this host */
};

/*
 * mp_host_route routes a flow to |dst| from |src| (unspecified: choose one)
 * bound to interface |oif| (0: any). Returns 0, or -ENETUNREACH,
 * -EHOSTUNREACH, -EINVAL (blackhole), -EACCES (prohibit), -EADDRNOTAVAIL
 * (|src| is not an address of this host, or no address to send from).
 */
int mp_host_route(struct mp_host *h, const struct mp_ip *src, const struct mp_ip *dst, uint32_t oif,
                  struct mp_host_route *out);
/* mp_rt_lookup_flow() on the host's routing context through a small cache
 * of recent decisions (exact: it is keyed by the whole flow and the
 * context's generation). *out stays valid until the next call. */
int mp_host_rt_lookup(struct mp_host *h, const struct mp_rt_flow *fl, const struct mp_rt_result **out);

/*
 * mp_host_ip_send sends an upper-layer message: pkt->data holds the
 * upper-layer header and payload with its checksum not yet computed (the
 * packet is marked MP_PKT_CSUM_PENDING here). Prepends the IP header,
 * routes (|oif| as for mp_host_route) and transmits, or delivers locally.
 * |x| may be NULL (TTL from the host options). The host owns |pkt| in every
 * case. Returns 0 or a negative errno: those of mp_host_route, -EMSGSIZE
 * (larger than the interface MTU; afmp does not fragment), -ENETDOWN (the
 * interface is administratively down), -ENOBUFS (no headroom).
 */
int mp_host_ip_send(struct mp_host *h, struct mp_pkt *pkt, const struct mp_ip *src,
                    const struct mp_ip *dst, uint8_t proto, const struct mp_wire_ipx *x,
                    uint32_t oif);

/* Internal to model/net: transmit a finished IP packet on |ifindex|. */
void mp_host_xmit(struct mp_host *h, uint32_t ifindex, struct mp_pkt *pkt);
mp_time_t mp_host_loopback_expire(void *arg, mp_time_t now);

/* Internal to model/net: an ephemeral port (32768..60999, Linux's
 * ip_local_port_range) for which |in_use| says no, or 0 when all are taken. */
uint16_t mp_host_pick_port(struct mp_host *h, bool (*in_use)(void *arg, uint16_t port), void *arg);

#endif
