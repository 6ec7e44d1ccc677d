/*
 * afmp: routing tables and policy rules of one host (or router).
 *
 * The weak host model with Linux semantics. A routing context (struct mp_rt)
 * holds numbered tables and an ordered list of policy rules, as `ip route`
 * and `ip rule` see them:
 *
 *   - a table maps prefixes (IPv4 and IPv6 in separate tries) to routes;
 *     lookup is longest prefix match, then lowest metric, then the route
 *     added first, so equal inputs give equal answers on every run;
 *   - rules are evaluated in priority order (ties: the rule added first);
 *     a matching "lookup" rule consults its table and the evaluation falls
 *     through to the next rule when that table has no route for the
 *     destination (or a throw route matches), as Linux does;
 *   - a new context has Linux's default rules: priority 0 lookup local
 *     (255), 32766 lookup main (254) and, for IPv4 only, 32767 lookup
 *     default (253). They can be deleted and re-added like any rule.
 *
 * Lookups are read-only and allocation-free; the tries are path-compressed,
 * so a lookup visits about log2(routes) nodes. Nothing here iterates a
 * pointer-keyed hash table; dumps come out in a fixed order.
 *
 * Errors are negative errno values, those Linux returns to the same request
 * (route add: EEXIST; delete of a missing route: ESRCH; sendto over a
 * blackhole: EINVAL, unreachable: EHOSTUNREACH, prohibit: EACCES; no route
 * at all: ENETUNREACH).
 */
#ifndef MP_NET_ROUTE_H
#define MP_NET_ROUTE_H

#include <glib.h>

#include "model/net/addr.h"

/* Table ids of Linux (rtnetlink.h RT_TABLE_*). */
#define MP_RT_TABLE_DEFAULT 253u
#define MP_RT_TABLE_MAIN 254u
#define MP_RT_TABLE_LOCAL 255u

/* Priorities of the default rules, and "pick one" for mp_rt_rule_add(). */
#define MP_RT_PRIO_LOCAL 0u
#define MP_RT_PRIO_MAIN 32766u
#define MP_RT_PRIO_DEFAULT 32767u
#define MP_RT_PRIO_AUTO UINT32_MAX

/* Route types (Linux RTN_*). The reject types carry the errno a sender
 * gets (Linux fib_props / fib6_prop tables). */
enum mp_rt_kind {
    MP_RT_UNICAST = 0, /* forward through ifindex, to gw or on-link */
    MP_RT_LOCAL,       /* an address of this host: deliver locally */
    MP_RT_BLACKHOLE,   /* discard silently; a local sender gets -EINVAL */
    MP_RT_UNREACHABLE, /* -EHOSTUNREACH (ICMP host unreachable if forwarded) */
    MP_RT_PROHIBIT,    /* -EACCES (ICMP administratively prohibited) */
    MP_RT_THROW,       /* stop this table, continue with the next rule */
};

struct mp_rt_route {
    struct mp_prefix dst;  /* host bits must be zero */
    uint32_t ifindex;      /* outgoing interface; 0 for the reject kinds */
    struct mp_ip gw;       /* next hop; v = 0 when the prefix is on-link */
    uint32_t metric;       /* lower is preferred */
    struct mp_ip prefsrc;  /* preferred source ("src"); v = 0 if none */
    enum mp_rt_kind kind;
};

/* Rule actions (Linux FR_ACT_*). */
enum mp_rt_rule_action {
    MP_RT_RULE_LOOKUP = 0, /* consult |table|; fall through if no match */
    MP_RT_RULE_BLACKHOLE,  /* -EINVAL */
    MP_RT_RULE_UNREACHABLE,/* -EHOSTUNREACH */
    MP_RT_RULE_PROHIBIT,   /* -EACCES */
};

/* A policy rule. Selectors left zero match everything. */
struct mp_rt_rule {
    uint32_t priority;     /* evaluated in increasing order */
    uint8_t family;        /* 4 or 6; 0: taken from |from| or |to| */
    struct mp_prefix from; /* source selector; from.ip.v = 0: any */
    struct mp_prefix to;   /* destination selector; to.ip.v = 0: any */
    uint32_t iif;          /* input interface; 0: any (see mp_rt_flow) */
    uint32_t oif;          /* output interface the flow is bound to; 0: any */
    uint32_t table;        /* for MP_RT_RULE_LOOKUP */
    enum mp_rt_rule_action action;
};

/* What a lookup is about. */
struct mp_rt_flow {
    struct mp_ip dst;
    struct mp_ip src; /* v = 0: not chosen yet (matches only "from all") */
    uint32_t iif;     /* interface the packet came in by; 0: sent locally */
    uint32_t oif;     /* interface the socket is bound to; 0: none */
};

enum {
    /* No table had a route but the flow is bound to an interface: like
     * Linux (ip_route_output_key_hash_rcu) the destination is assumed to
     * be on-link through that interface. route.dst is the host prefix. */
    MP_RT_RES_ASSUMED_ONLINK = 1u << 0,
};

struct mp_rt_result {
    struct mp_rt_route route; /* copy of the route chosen */
    uint32_t table;           /* table it came from (0 if assumed on-link) */
    uint32_t rule_priority;   /* priority of the rule that chose it */
    uint32_t ifindex;         /* outgoing interface (route.ifindex) */
    struct mp_ip nexthop;     /* route.gw, or the destination if on-link */
    uint32_t flags;           /* MP_RT_RES_* */
};

/* An entry of mp_rt_dump(). */
struct mp_rt_entry {
    uint32_t table;
    struct mp_rt_route route;
};

struct mp_rt;

/* A routing context with empty tables and the default rules. Never returns
 * NULL. */
struct mp_rt *mp_rt_new(void);
void mp_rt_free(struct mp_rt *rt);

/* Flags of mp_rt_route_add(). */
enum {
    /* `ip route replace`: a route of the same table, prefix and metric is
     * overwritten in place (keeping its position among equals); without it
     * one is created. */
    MP_RT_REPLACE = 1u << 0,
};

/*
 * Adds |r| to table |table| (created on first use).
 *
 * Like Linux for IPv4 (`ip route add`, NLM_F_EXCL), a route with the same
 * prefix and metric already in the table makes the call fail with -EEXIST,
 * unless |flags| has MP_RT_REPLACE. IPv6 follows the same rule here (Linux
 * would merge such an IPv6 route into a multipath route; afmp has no ECMP).
 * Routes with the same prefix and different metrics coexist.
 *
 * Returns 0, or
 *   -EINVAL  family of r->dst is not 4/6, length beyond its bits, host bits
 *            set ("Invalid prefix for given prefix length"), a gw or prefsrc
 *            of another family, a unicast route with ifindex 0, a gateway on
 *            a non-unicast route, |table| 0, or an unknown kind;
 *   -EEXIST  see above.
 */
int mp_rt_route_add(struct mp_rt *rt, uint32_t table, const struct mp_rt_route *r,
                    uint32_t flags);

/*
 * Deletes from |table| the route for exactly |dst| with metric *|metric|,
 * or, when |metric| is NULL, the one with the lowest metric (the first
 * `ip route del` would find). Returns 0, -EINVAL (bad prefix) or -ESRCH (no
 * such route, Linux's answer).
 */
int mp_rt_route_del(struct mp_rt *rt, uint32_t table, const struct mp_prefix *dst,
                    const uint32_t *metric);

/* Deletes every route through interface |ifindex| from every table (the
 * interface went away). Returns the number of routes removed. */
size_t mp_rt_flush_ifindex(struct mp_rt *rt, uint32_t ifindex);

/* Number of routes in |table| (0 if it does not exist). */
size_t mp_rt_table_size(const struct mp_rt *rt, uint32_t table);

/*
 * Adds a policy rule. A zero family is taken from |from| or |to|; prefixes
 * are stored with host bits cleared. A priority of MP_RT_PRIO_AUTO picks
 * Linux's default: one less than the first non-zero priority of the family
 * (32765 for the first rule added to the defaults), or 0.
 * Returns 0, or
 *   -EINVAL  no family can be determined, families disagree, a prefix is
 *            too long, table 0 with a lookup action, unknown action;
 *   -EEXIST  an identical rule exists (`ip rule add` sends NLM_F_EXCL).
 */
int mp_rt_rule_add(struct mp_rt *rt, const struct mp_rt_rule *rule);

/* Deletes the first rule equal to |rule| in every field (family resolved
 * and prefixes masked as mp_rt_rule_add() does). Returns 0, -EINVAL or
 * -ENOENT (no such rule, Linux's answer). */
int mp_rt_rule_del(struct mp_rt *rt, const struct mp_rt_rule *rule);

/* The rules in evaluation order (both families, stable); |*n| gets their
 * number. The pointer is valid until the next rule change. */
const struct mp_rt_rule *mp_rt_rules(const struct mp_rt *rt, size_t *n);

/*
 * Routes |fl|: walks the rules in priority order; for each matching rule
 * (family, from src, to dst, iif, oif), a reject action ends the walk with
 * its error, and a lookup action consults its table: longest prefix match,
 * then lowest metric, then first added. When fl->oif is set, unicast and
 * local routes through other interfaces are skipped (shorter prefixes may
 * then match), as Linux's fib_table_lookup does; reject routes match
 * regardless of oif. A throw route or no match in the table continues with
 * the next rule.
 *
 * Returns 0 with |out| filled (also for MP_RT_LOCAL routes: the caller
 * delivers locally), or
 *   -EINVAL        blackhole route or rule; dst without family; src of
 *                  another family than dst;
 *   -EHOSTUNREACH  unreachable route or rule;
 *   -EACCES        prohibit route or rule;
 *   -ENETUNREACH   no rule found a route (and fl->oif is 0; with an oif the
 *                  result is MP_RT_RES_ASSUMED_ONLINK instead).
 * |out| is written only on success.
 */
int mp_rt_lookup_flow(const struct mp_rt *rt, const struct mp_rt_flow *fl, struct mp_rt_result *out);

/* mp_rt_lookup_flow() for a locally sent packet: |src| may be NULL (not
 * chosen yet), |oif| 0 when the socket is not bound to an interface. */
int mp_rt_lookup(const struct mp_rt *rt, const struct mp_ip *src, const struct mp_ip *dst,
                 uint32_t oif, struct mp_rt_result *out);

/* A number that changes whenever a route or rule changes (never 0), so
 * that callers can cache lookups. */
uint64_t mp_rt_generation(const struct mp_rt *rt);

/* Every route of every table, ordered by table id, then family (IPv4
 * first), then network address, then prefix length, then metric, then age.
 * Returns a GArray of struct mp_rt_entry; free with g_array_unref(). */
GArray *mp_rt_dump(const struct mp_rt *rt);

/* Writes |r| in `ip route` style ("10.0.0.0/8 via 10.0.0.1 dev 2 metric
 * 100 src 10.0.0.5", "blackhole 192.0.2.0/24", " table 2" appended for
 * tables other than main). Returns the length, or -ENOSPC (buffer too
 * small; 160 bytes always suffice) or -EINVAL (bad route). */
int mp_rt_route_format(uint32_t table, const struct mp_rt_route *r, char *buf, size_t len);

#endif
