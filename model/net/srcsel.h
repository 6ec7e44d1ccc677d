/*
 * afmp: source address selection and destination address ordering.
 *
 * Source selection picks the address a host puts in a packet it originates
 * once the route is known:
 *   - IPv6: RFC 6724 section 5, rules 1 to 8 (rule 4, home addresses, and
 *     rule 5.5, next-hop prefixes, do not apply: afmp has no Mobile IPv6
 *     and no per-router prefix tracking). The candidate set is every
 *     address of the host (the weak host model, as Linux does), narrowed to
 *     the outgoing interface for link-local and multicast destinations of
 *     link scope or less, as RFC 6724 section 4 requires.
 *   - IPv4: Linux's inet_select_addr(): the route's preferred source, else
 *     the first primary address of the outgoing interface whose subnet
 *     contains the gateway (or the destination when on-link), else that
 *     interface's first primary address, else the first primary address of
 *     the host in interface order.
 * A route's preferred source (`src`) wins in both families when it is one of
 * the host's usable addresses.
 *
 * Destination ordering is RFC 6724 section 6 (rules 1 to 10, with 4 and 7
 * not applicable), used by the resolver to sort A and AAAA answers.
 *
 * Both use the policy table of RFC 6724 section 2.1 unless the caller gives
 * another; IPv4 addresses take part as IPv4-mapped IPv6 addresses (section
 * 3.2 and 2.1).
 */
#ifndef MP_NET_SRCSEL_H
#define MP_NET_SRCSEL_H

#include "model/net/addr.h"

struct mp_rt;

/* Address flags (the IFA_F_* subset that source selection reads). */
enum {
    MP_ADDR_DEPRECATED = 1u << 0, /* RFC 4862 deprecated: rule 3 avoids it */
    MP_ADDR_TENTATIVE = 1u << 1,  /* DAD not done: never a source */
    MP_ADDR_TEMPORARY = 1u << 2,  /* RFC 8981 temporary: rule 7 */
};

/* One address of the host, in the host's configuration order (which is
 * what "first" and "primary" refer to). */
struct mp_srcsel_cand {
    struct mp_ip ip;
    uint8_t plen;     /* prefix length of its subnet; 0: unknown */
    uint32_t ifindex; /* interface it is assigned to */
    uint32_t flags;   /* MP_ADDR_* */
};

/* A row of the policy table. */
struct mp_addrsel_policy_entry {
    struct mp_prefix prefix; /* IPv6 */
    uint8_t precedence;
    uint8_t label;
};

struct mp_addrsel_policy {
    const struct mp_addrsel_policy_entry *entries;
    size_t n;
};

/* The default policy table of RFC 6724 section 2.1. */
const struct mp_addrsel_policy *mp_addrsel_default_policy(void);

/* Precedence and label of |ip| under |policy| (NULL: the default): the row
 * with the longest prefix containing |ip| (IPv4 is looked up as
 * ::ffff:a.b.c.d). An address no row contains gets precedence 0, label 0. */
unsigned mp_addrsel_precedence(const struct mp_addrsel_policy *policy, const struct mp_ip *ip);
unsigned mp_addrsel_label(const struct mp_addrsel_policy *policy, const struct mp_ip *ip);

/* What the source is for. */
struct mp_srcsel_req {
    struct mp_ip dst;
    uint32_t oif;          /* interface the route chose; 0 if unknown */
    struct mp_ip gw;       /* the route's gateway; v = 0 if on-link */
    struct mp_ip prefsrc;  /* the route's preferred source; v = 0 if none */
    bool prefer_temporary; /* rule 7: RFC 6724 says prefer temporary
                            * addresses; Linux does so only with
                            * use_tempaddr >= 2, so afmp's default (false)
                            * prefers public ones, like Linux's default */
    const struct mp_addrsel_policy *policy; /* NULL: RFC 6724 default */
};

/*
 * Chooses the source address for |req| among the |n| candidates |c|.
 * Returns the index of the chosen candidate, or
 *   -EINVAL         req->dst has no family;
 *   -EADDRNOTAVAIL  no candidate of the destination's family is usable
 *                   (tentative, multicast, unspecified and, for a
 *                   non-loopback destination, loopback addresses never are).
 * Ties left after the last rule go to the candidate that comes first.
 */
int mp_srcsel_pick(const struct mp_srcsel_cand *c, size_t n, const struct mp_srcsel_req *req);

/* One destination to order, with what is known about reaching it. */
struct mp_dstsort_entry {
    struct mp_ip dst;
    bool unreachable;   /* no route (RFC 6724 section 6 rule 1) */
    struct mp_ip src;   /* Source(D); v = 0 if undefined */
    uint8_t src_plen;   /* prefix length of Source(D), caps CommonPrefixLen */
    uint32_t src_flags; /* MP_ADDR_* of Source(D) */
};

/*
 * Sorts |e| in place by RFC 6724 section 6: rule 1 usable destinations
 * first, 2 matching scope, 3 avoid deprecated sources, 5 matching label,
 * 6 higher precedence, 8 smaller scope, 9 longest matching prefix (same
 * family only; an IPv4 destination off the source's subnet has none, as in
 * glibc), 10 otherwise the given order (the sort is stable). Rules 2,
 * 3, 5 and 9 see a destination without source as not matching. |policy|:
 * NULL for the default. Insertion sort: meant for the handful of answers a
 * name lookup gives.
 */
void mp_dstsort(struct mp_dstsort_entry *e, size_t n, const struct mp_addrsel_policy *policy);

/*
 * Fills the reachability and source fields of |e[0..n)| (dst set by the
 * caller) the way the host would: a route lookup in |rt| with no source and
 * no bound interface, then mp_srcsel_pick() over |c| for the route found.
 * Destinations without a route, with a reject route or without a usable
 * source are marked unreachable / without source. Then call mp_dstsort().
 */
void mp_dstsort_fill(const struct mp_rt *rt, const struct mp_srcsel_cand *c, size_t nc,
                     bool prefer_temporary, struct mp_dstsort_entry *e, size_t n);

#endif
