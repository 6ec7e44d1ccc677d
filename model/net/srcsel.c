/*
 * afmp: source address selection and destination ordering (see srcsel.h).
 */
#include "model/net/srcsel.h"

#include <errno.h>

#include "model/net/route.h"

/* --- policy table --------------------------------------------------------- */

#define P6(...) {.v = 6, .b = {__VA_ARGS__}}

/* RFC 6724 section 2.1, the default policy table. */
static const struct mp_addrsel_policy_entry default_entries[] = {
    {{P6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), 128}, 50, 0}, /* ::1/128 */
    {{P6(0), 0}, 40, 1},                                                 /* ::/0 */
    {{P6(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff), 96}, 35, 4},        /* ::ffff:0:0/96 */
    {{P6(0x20, 0x02), 16}, 30, 2},                                       /* 2002::/16 */
    {{P6(0x20, 0x01, 0, 0), 32}, 5, 5},                                  /* 2001::/32 */
    {{P6(0xfc), 7}, 3, 13},                                              /* fc00::/7 */
    {{P6(0), 96}, 1, 3},                                                 /* ::/96 */
    {{P6(0xfe, 0xc0), 10}, 1, 11},                                       /* fec0::/10 */
    {{P6(0x3f, 0xfe), 16}, 1, 12},                                       /* 3ffe::/16 */
};

static const struct mp_addrsel_policy default_policy = {default_entries,
                                                        MP_ARRAY_LEN(default_entries)};

const struct mp_addrsel_policy *mp_addrsel_default_policy(void)
{
    return &default_policy;
}

static const struct mp_addrsel_policy_entry *policy_find(const struct mp_addrsel_policy *policy,
                                                         const struct mp_ip *ip)
{
    const struct mp_addrsel_policy_entry *best = NULL;
    struct mp_ip m;

    if (!policy)
        policy = &default_policy;
    /* RFC 6724 section 2.1: IPv4 addresses are looked up as IPv4-mapped. */
    if (ip->v == 4) {
        mp_ip_map_v4(ip, &m);
        ip = &m;
    }
    for (size_t i = 0; i < policy->n; i++) {
        const struct mp_addrsel_policy_entry *e = &policy->entries[i];
        if (mp_prefix_contains(&e->prefix, ip) && (!best || e->prefix.len > best->prefix.len))
            best = e;
    }
    return best;
}

unsigned mp_addrsel_precedence(const struct mp_addrsel_policy *policy, const struct mp_ip *ip)
{
    const struct mp_addrsel_policy_entry *e = policy_find(policy, ip);
    return e ? e->precedence : 0;
}

unsigned mp_addrsel_label(const struct mp_addrsel_policy *policy, const struct mp_ip *ip)
{
    const struct mp_addrsel_policy_entry *e = policy_find(policy, ip);
    return e ? e->label : 0;
}

/* RFC 6724 section 2.2: CommonPrefixLen(S, D) looks "up to the length of
 * S's prefix". A prefix length of 0 counts as unknown: no cap. */
static unsigned common_prefix_len(const struct mp_ip *s, uint8_t plen, const struct mp_ip *d)
{
    unsigned n = mp_ip_common_prefix_len(s, d);
    return plen && n > plen ? plen : n;
}

/* Rule 9's prefix length of a destination (see there). */
static unsigned rule9_len(const struct mp_dstsort_entry *e)
{
    unsigned n = common_prefix_len(&e->src, e->src_plen, &e->dst);
    if (e->dst.v == 4 && e->src_plen && n < e->src_plen)
        return 0;
    return n;
}

/* --- source selection ----------------------------------------------------- */

static bool usable(const struct mp_srcsel_cand *c, const struct mp_ip *dst)
{
    if (c->ip.v != dst->v || (c->flags & MP_ADDR_TENTATIVE))
        return false;
    /* RFC 6724 section 4: "multicast addresses and the unspecified address
     * MUST NOT be included in a candidate set"; RFC 4291 2.5.3: loopback
     * never leaves the node. */
    if (mp_ip_is_multicast(&c->ip) || mp_ip_is_unspecified(&c->ip))
        return false;
    if (mp_ip_is_loopback(&c->ip) && !mp_ip_is_loopback(dst))
        return false;
    return !(c->ip.v == 6 && mp_ip_is_v4_mapped(&c->ip));
}

/* >0: prefer |a|; <0: prefer |b|; 0: the rules do not tell them apart. */
static int v6_compare(const struct mp_srcsel_cand *a, const struct mp_srcsel_cand *b,
                      const struct mp_srcsel_req *req, unsigned dscope, unsigned dlabel)
{
    const struct mp_ip *d = &req->dst;

    /* Rule 1: prefer same address. */
    bool ea = mp_ip_eq(&a->ip, d), eb = mp_ip_eq(&b->ip, d);
    if (ea != eb)
        return ea ? 1 : -1;

    /* Rule 2: prefer appropriate scope. "If Scope(SA) < Scope(SB): If
     * Scope(SA) < Scope(D), then prefer SB and otherwise prefer SA." */
    unsigned sa = mp_ip_scope(&a->ip), sb = mp_ip_scope(&b->ip);
    if (sa < sb)
        return sa < dscope ? -1 : 1;
    if (sb < sa)
        return sb < dscope ? 1 : -1;

    /* Rule 3: avoid deprecated addresses. */
    bool da = a->flags & MP_ADDR_DEPRECATED, db = b->flags & MP_ADDR_DEPRECATED;
    if (da != db)
        return da ? -1 : 1;

    /* Rule 4 (home addresses) and 5.5 (next-hop prefixes) do not apply. */

    /* Rule 5: prefer outgoing interface. */
    if (req->oif) {
        bool oa = a->ifindex == req->oif, ob = b->ifindex == req->oif;
        if (oa != ob)
            return oa ? 1 : -1;
    }

    /* Rule 6: prefer matching label. */
    bool la = mp_addrsel_label(req->policy, &a->ip) == dlabel;
    bool lb = mp_addrsel_label(req->policy, &b->ip) == dlabel;
    if (la != lb)
        return la ? 1 : -1;

    /* Rule 7: prefer temporary addresses (or public ones; see srcsel.h). */
    bool ta = a->flags & MP_ADDR_TEMPORARY, tb = b->flags & MP_ADDR_TEMPORARY;
    if (ta != tb)
        return ta == req->prefer_temporary ? 1 : -1;

    /* Rule 8: use longest matching prefix. */
    unsigned ca = common_prefix_len(&a->ip, a->plen, d);
    unsigned cb = common_prefix_len(&b->ip, b->plen, d);
    if (ca != cb)
        return ca > cb ? 1 : -1;
    return 0;
}

static int pick_v6(const struct mp_srcsel_cand *c, size_t n, const struct mp_srcsel_req *req)
{
    const struct mp_ip *d = &req->dst;
    unsigned dscope = mp_ip_scope(d);
    unsigned dlabel = mp_addrsel_label(req->policy, d);
    /* RFC 6724 section 4: "For all multicast and link-local destination
     * addresses, the set of candidate source addresses MUST only include
     * addresses assigned to interfaces belonging to the same link as the
     * outgoing interface." */
    bool same_link = req->oif && dscope <= MP_SCOPE_LINK;
    int best = -EADDRNOTAVAIL;

    for (size_t i = 0; i < n; i++) {
        if (!usable(&c[i], d) || (same_link && c[i].ifindex != req->oif))
            continue;
        if (best < 0 || v6_compare(&c[i], &c[best], req, dscope, dlabel) > 0)
            best = (int)i;
    }
    return best;
}

/* Linux keeps one primary address per subnet and interface; later ones in
 * the same subnet are secondaries, which inet_select_addr() skips. */
static bool v4_secondary(const struct mp_srcsel_cand *c, size_t i)
{
    struct mp_prefix pi = {c[i].ip, c[i].plen};
    for (size_t j = 0; j < i; j++) {
        struct mp_prefix pj = {c[j].ip, c[j].plen};
        if (c[j].ip.v == 4 && !(c[j].flags & MP_ADDR_TENTATIVE) && c[j].ifindex == c[i].ifindex &&
            mp_prefix_same_net(&pi, &pj))
            return true;
    }
    return false;
}

static int pick_v4(const struct mp_srcsel_cand *c, size_t n, const struct mp_srcsel_req *req)
{
    const struct mp_ip *d = &req->dst;
    const struct mp_ip *target = req->gw.v == 4 ? &req->gw : d;
    int first_on_oif = -1, first_any = -1;

    for (size_t i = 0; i < n; i++) {
        if (!usable(&c[i], d) || v4_secondary(c, i))
            continue;
        if (req->oif && c[i].ifindex == req->oif) {
            struct mp_prefix net = {c[i].ip, c[i].plen};
            if (mp_prefix_contains(&net, target))
                return (int)i;
            if (first_on_oif < 0)
                first_on_oif = (int)i;
        }
        /* Linux walks the devices in ifindex order for the last resort. */
        if (first_any < 0 || c[i].ifindex < c[first_any].ifindex)
            first_any = (int)i;
    }
    if (first_on_oif >= 0)
        return first_on_oif;
    return first_any >= 0 ? first_any : -EADDRNOTAVAIL;
}

int mp_srcsel_pick(const struct mp_srcsel_cand *c, size_t n, const struct mp_srcsel_req *req)
{
    const struct mp_ip *d = &req->dst;
    if (d->v != 4 && d->v != 6)
        return -EINVAL;
    if (req->prefsrc.v == d->v) {
        for (size_t i = 0; i < n; i++)
            if (mp_ip_eq(&c[i].ip, &req->prefsrc) && usable(&c[i], d))
                return (int)i;
    }
    return d->v == 6 ? pick_v6(c, n, req) : pick_v4(c, n, req);
}

/* --- destination ordering ------------------------------------------------- */

/* <0: |a| goes first; >0: |b| goes first; 0: keep the order. */
static int dst_compare(const struct mp_dstsort_entry *a, const struct mp_dstsort_entry *b,
                       const struct mp_addrsel_policy *policy)
{
    bool has_a = a->src.v != 0, has_b = b->src.v != 0;

    /* Rule 1: avoid unusable destinations. */
    bool ua = has_a && !a->unreachable, ub = has_b && !b->unreachable;
    if (ua != ub)
        return ua ? -1 : 1;

    /* Rule 2: prefer matching scope. */
    unsigned sda = mp_ip_scope(&a->dst), sdb = mp_ip_scope(&b->dst);
    bool ma = has_a && sda == mp_ip_scope(&a->src);
    bool mb = has_b && sdb == mp_ip_scope(&b->src);
    if (ma != mb)
        return ma ? -1 : 1;

    /* Rule 3: avoid deprecated addresses. */
    bool da = has_a && (a->src_flags & MP_ADDR_DEPRECATED);
    bool db = has_b && (b->src_flags & MP_ADDR_DEPRECATED);
    if (da != db)
        return da ? 1 : -1;

    /* Rule 4 (home addresses) does not apply. */

    /* Rule 5: prefer matching label. */
    bool la = has_a && mp_addrsel_label(policy, &a->src) == mp_addrsel_label(policy, &a->dst);
    bool lb = has_b && mp_addrsel_label(policy, &b->src) == mp_addrsel_label(policy, &b->dst);
    if (la != lb)
        return la ? -1 : 1;

    /* Rule 6: prefer higher precedence. */
    unsigned pa = mp_addrsel_precedence(policy, &a->dst);
    unsigned pb = mp_addrsel_precedence(policy, &b->dst);
    if (pa != pb)
        return pa > pb ? -1 : 1;

    /* Rule 7 (prefer native transport) does not apply: afmp has no
     * encapsulating interfaces. */

    /* Rule 8: prefer smaller scope. */
    if (sda != sdb)
        return sda < sdb ? -1 : 1;

    /* Rule 9: use longest matching prefix, "when DA and DB belong to the
     * same address family". For IPv4, as glibc's getaddrinfo: a common
     * prefix counts only when the destination is on the source's subnet
     * (outside it, shared leading bits of IPv4 addresses say nothing about
     * closeness), so off-link IPv4 answers keep the order they came in. */
    if (has_a && has_b && a->dst.v == b->dst.v) {
        unsigned ca = rule9_len(a);
        unsigned cb = rule9_len(b);
        if (ca != cb)
            return ca > cb ? -1 : 1;
    }

    /* Rule 10: otherwise, leave the order unchanged. */
    return 0;
}

void mp_dstsort(struct mp_dstsort_entry *e, size_t n, const struct mp_addrsel_policy *policy)
{
    for (size_t i = 1; i < n; i++) {
        struct mp_dstsort_entry x = e[i];
        size_t j = i;
        while (j > 0 && dst_compare(&x, &e[j - 1], policy) < 0) {
            e[j] = e[j - 1];
            j--;
        }
        e[j] = x;
    }
}

void mp_dstsort_fill(const struct mp_rt *rt, const struct mp_srcsel_cand *c, size_t nc,
                     bool prefer_temporary, struct mp_dstsort_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct mp_rt_result res;
        e[i].unreachable = true;
        e[i].src = mp_ip_any(0);
        e[i].src_plen = 0;
        e[i].src_flags = 0;
        if (mp_rt_lookup(rt, NULL, &e[i].dst, 0, &res) < 0)
            continue;
        struct mp_srcsel_req req = {
            .dst = e[i].dst,
            .oif = res.ifindex,
            .gw = res.route.gw,
            .prefsrc = res.route.prefsrc,
            .prefer_temporary = prefer_temporary,
        };
        int k = mp_srcsel_pick(c, nc, &req);
        if (k < 0)
            continue;
        e[i].unreachable = false;
        e[i].src = c[k].ip;
        e[i].src_plen = c[k].plen;
        e[i].src_flags = c[k].flags;
    }
}
