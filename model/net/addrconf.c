/* afmp: SLAAC and default routers from router advertisements (see addrconf.h). */
#include "model/net/addrconf.h"

#include <string.h>

#include "model/trace.h"

/* An address whose DAD delay runs (Linux's IFA_F_TENTATIVE; afmp adds it to
 * the host only once the delay is over). */
struct pending {
    uint32_t ifindex;
    struct mp_ip ip;
    mp_time_t usable_at, valid_until, preferred_until;
};

/* An address SLAAC formed and added: only these are refreshed by RAs. */
struct formed {
    uint32_t ifindex;
    struct mp_ip ip;
};

/* RFC 4861 6.3.4: the default router list. */
struct router {
    uint32_t ifindex;
    struct mp_ip gw;
    uint32_t metric;
    mp_time_t until;
};

struct addrconf {
    struct mp_host *h;
    GArray *pending; /* struct pending, in the order formed */
    GArray *formed;  /* struct formed */
    GArray *routers; /* struct router */
    struct mp_deadline dl;
};

#define RA_METRIC 1024u
#define LFT_INFINITY 0xffffffffu

void mp_addrconf_iid(const char *node, const char *ifname, uint8_t iid[8])
{
    GChecksum *ck = g_checksum_new(G_CHECKSUM_SHA256);
    uint8_t d[32];
    gsize dlen = sizeof(d);
    g_checksum_update(ck, (const guchar *)node, (gssize)strlen(node));
    g_checksum_update(ck, (const guchar *)"/", 1);
    g_checksum_update(ck, (const guchar *)ifname, (gssize)strlen(ifname));
    g_checksum_get_digest(ck, d, &dlen);
    g_checksum_free(ck);
    /* A unicast, locally administered MAC, then RFC 4291 appendix A:
     * FF-FE in the middle and the universal/local bit inverted. */
    uint8_t mac[6] = {(uint8_t)((d[0] | 0x02) & ~0x01), d[1], d[2], d[3], d[4], d[5]};
    iid[0] = mac[0] ^ 0x02;
    iid[1] = mac[1];
    iid[2] = mac[2];
    iid[3] = 0xff;
    iid[4] = 0xfe;
    iid[5] = mac[3];
    iid[6] = mac[4];
    iid[7] = mac[5];
}

struct mp_ip mp_addrconf_addr(const struct mp_iface *ifc, const struct mp_ip *prefix)
{
    struct mp_ip ip = *prefix;
    mp_addrconf_iid(ifc->host->name, ifc->name, ip.b + 8);
    return ip;
}

void mp_addrconf_trace_ra(struct mp_trace_rec *r, const struct mp_wire_nd *nd)
{
    mp_trace_u64(r, "router_lifetime_s", nd->router_lifetime);
    for (size_t i = 0; i < nd->n_prefix; i++) {
        char key[24];
        g_snprintf(key, sizeof(key), "prefix%zu", i);
        mp_trace_ip(r, key, &nd->prefix[i].prefix);
        g_snprintf(key, sizeof(key), "valid%zu_s", i);
        mp_trace_u64(r, key, nd->prefix[i].valid);
        g_snprintf(key, sizeof(key), "preferred%zu_s", i);
        mp_trace_u64(r, key, nd->prefix[i].preferred);
    }
}

static mp_time_t lft_end(mp_time_t now, uint32_t s)
{
    return s == LFT_INFINITY ? MP_TIME_NEVER : now + MP_S(s);
}

/* RFC 4862 5.5.3 e: "If the received Valid Lifetime is greater than 2
 * hours or greater than RemainingLifetime, set the valid lifetime of the
 * corresponding address to the advertised Valid Lifetime. [...] If
 * RemainingLifetime is less than or equal to 2 hours, ignore the Prefix
 * Information option with regards to the valid lifetime [...] Otherwise,
 * reset the valid lifetime of the corresponding address to 2 hours." */
static mp_time_t valid_end(mp_time_t now, mp_time_t stored, uint32_t received)
{
    mp_time_t rx = lft_end(now, received);
    if (received == LFT_INFINITY || MP_S(received) > MP_ADDRCONF_TWO_HOURS || rx > stored)
        return rx;
    if (stored - now <= MP_ADDRCONF_TWO_HOURS)
        return stored;
    return now + MP_ADDRCONF_TWO_HOURS;
}

static struct pending *pending_find(struct addrconf *st, uint32_t ifindex, const struct mp_ip *ip)
{
    for (guint i = 0; i < st->pending->len; i++) {
        struct pending *p = &g_array_index(st->pending, struct pending, i);
        if (p->ifindex == ifindex && mp_ip_eq(&p->ip, ip))
            return p;
    }
    return NULL;
}

static int formed_find(const struct addrconf *st, uint32_t ifindex, const struct mp_ip *ip)
{
    for (guint i = 0; i < st->formed->len; i++) {
        const struct formed *f = &g_array_index(st->formed, struct formed, i);
        if (f->ifindex == ifindex && mp_ip_eq(&f->ip, ip))
            return (int)i;
    }
    return -1;
}

static struct router *router_find(struct addrconf *st, uint32_t ifindex, const struct mp_ip *gw,
                                  guint *at)
{
    for (guint i = 0; i < st->routers->len; i++) {
        struct router *r = &g_array_index(st->routers, struct router, i);
        if (r->ifindex == ifindex && mp_ip_eq(&r->gw, gw)) {
            *at = i;
            return r;
        }
    }
    return NULL;
}

static void router_drop(struct addrconf *st, guint i)
{
    struct router r = g_array_index(st->routers, struct router, i);
    struct mp_prefix any = {0};
    g_array_remove_index(st->routers, i);
    any.ip = mp_ip_any(6);
    /* Gone already if the interface went down. */
    mp_rt_route_del(st->h->rt, MP_RT_TABLE_MAIN, &any, &r.metric);
}

static void trace_slaac(struct mp_host *h, const char *type, const struct mp_iface *ifc,
                        const char *key, const struct mp_ip *ip, const char *why)
{
    struct mp_trace_rec r;
    mp_trace_begin(&r, mp_env_now(h->env), h->name, type);
    mp_trace_str(&r, "iface", ifc ? ifc->name : "");
    mp_trace_ip(&r, key, ip);
    if (why)
        mp_trace_str(&r, "why", why);
    mp_trace_end(&r, h->env);
}

static mp_time_t expire(void *arg, mp_time_t now)
{
    struct addrconf *st = arg;
    struct mp_host *h = st->h;
    bool changed = true;

    /* One change per pass: listeners of the host may change these lists. */
    while (changed) {
        changed = false;
        for (guint i = 0; i < st->pending->len && !changed; i++) {
            struct pending p = g_array_index(st->pending, struct pending, i);
            if (p.usable_at > now)
                continue;
            g_array_remove_index(st->pending, i);
            changed = true;
            if (p.valid_until <= now)
                continue;
            struct formed f = {p.ifindex, p.ip};
            g_array_append_val(st->formed, f);
            if (mp_host_addr_add_lifetimes(h, p.ifindex, &p.ip, 64, 0, p.valid_until,
                                           p.preferred_until) == 0) {
                mp_ctr_inc(&h->ctr, MP_CTR_ADDR_AUTOCONF);
            } else {
                int k = formed_find(st, p.ifindex, &p.ip);
                if (k >= 0)
                    g_array_remove_index(st->formed, (guint)k);
            }
        }
        for (guint i = 0; i < st->routers->len && !changed; i++) {
            if (g_array_index(st->routers, struct router, i).until <= now) {
                router_drop(st, i);
                changed = true;
            }
        }
    }
    mp_time_t next = MP_TIME_NEVER;
    for (guint i = 0; i < st->pending->len; i++)
        next = MIN(next, g_array_index(st->pending, struct pending, i).usable_at);
    for (guint i = 0; i < st->routers->len; i++)
        next = MIN(next, g_array_index(st->routers, struct router, i).until);
    return next;
}

static void on_host_event(void *arg, struct mp_host *h, const struct mp_host_event *ev)
{
    struct addrconf *st = arg;
    if (ev->kind == MP_HOST_ADDR_REMOVED) {
        int k = formed_find(st, ev->ifindex, &ev->addr.ip);
        if (k >= 0)
            g_array_remove_index(st->formed, (guint)k);
    } else if (ev->kind == MP_HOST_IFACE_DOWN) {
        /* Linux's addrconf_ifdown(): tentative addresses and the routers
         * learnt on the interface go with it (their routes are flushed). */
        for (guint i = st->pending->len; i-- > 0;)
            if (g_array_index(st->pending, struct pending, i).ifindex == ev->ifindex)
                g_array_remove_index(st->pending, i);
        for (guint i = st->routers->len; i-- > 0;)
            if (g_array_index(st->routers, struct router, i).ifindex == ev->ifindex)
                router_drop(st, i);
    }
    (void)h;
}

static struct addrconf *state(struct mp_host *h)
{
    if (!h->addrconf) {
        struct addrconf *st = g_new0(struct addrconf, 1);
        st->h = h;
        st->pending = g_array_new(FALSE, FALSE, sizeof(struct pending));
        st->formed = g_array_new(FALSE, FALSE, sizeof(struct formed));
        st->routers = g_array_new(FALSE, FALSE, sizeof(struct router));
        mp_deadline_init(&st->dl, expire, st);
        h->addrconf = st;
        mp_host_listen(h, on_host_event, st);
    }
    return h->addrconf;
}

void mp_addrconf_detach(struct mp_host *h)
{
    struct addrconf *st = h->addrconf;
    if (!st)
        return;
    mp_env_deadline_stop(h->env, &st->dl);
    g_array_free(st->pending, TRUE);
    g_array_free(st->formed, TRUE);
    g_array_free(st->routers, TRUE);
    g_free(st);
    h->addrconf = NULL;
}

/* RFC 4861 6.3.4: the router lifetime keeps, refreshes or removes the
 * router from the default router list. */
static void router_rcv(struct addrconf *st, uint32_t ifindex, const struct mp_ip *gw,
                       uint16_t lifetime, mp_time_t now)
{
    guint at;
    struct router *r = router_find(st, ifindex, gw, &at);
    if (lifetime == 0) {
        if (r)
            router_drop(st, at);
        return;
    }
    if (!r) {
        struct mp_rt_route rt = {0};
        struct router n = {ifindex, *gw, RA_METRIC + ifindex - 1, 0};
        rt.dst.ip = mp_ip_any(6);
        rt.ifindex = ifindex;
        rt.gw = *gw;
        rt.metric = n.metric;
        rt.kind = MP_RT_UNICAST;
        /* Another router of this interface has the slot: keep that one. */
        if (mp_rt_route_add(st->h->rt, MP_RT_TABLE_MAIN, &rt, 0) < 0)
            return;
        g_array_append_val(st->routers, n);
        r = &g_array_index(st->routers, struct router, st->routers->len - 1);
    }
    r->until = now + MP_S(lifetime);
    mp_env_deadline(st->h->env, &st->dl, r->until);
}

/* RFC 4862 5.5.3. */
static void prefix_rcv(struct addrconf *st, const struct mp_iface *ifc,
                       const struct mp_wire_nd_prefix *px, mp_time_t now)
{
    struct mp_host *h = st->h;
    /* a) "If the Autonomous flag is not set, silently ignore the Prefix
     * Information option." b) "If the prefix is the link-local prefix,
     * silently ignore" c) "If the preferred lifetime is greater than the
     * valid lifetime, silently ignore" */
    if (!(px->flags & MP_ND_PFX_AUTO) || mp_ip_is_link_local(&px->prefix) ||
        px->preferred > px->valid)
        return;
    struct mp_ip ip = mp_addrconf_addr(ifc, &px->prefix);
    mp_time_t pref = lft_end(now, px->preferred);
    struct pending *p = pending_find(st, ifc->ifindex, &ip);
    const struct mp_ifaddr *a =
        formed_find(st, ifc->ifindex, &ip) >= 0 ? mp_host_addr_find(h, ifc->ifindex, &ip) : NULL;
    if (!p && !a) {
        /* d) "If the sum of the prefix length and interface identifier
         * length does not equal 128 bits, the Prefix Information option
         * MUST be ignored." A new address needs a non-zero valid lifetime. */
        if (px->valid == 0 || px->len != 64)
            return;
        struct pending n = {ifc->ifindex, ip, now + MP_ADDRCONF_DAD_DELAY, lft_end(now, px->valid),
                            pref};
        g_array_append_val(st->pending, n);
        mp_env_deadline(h->env, &st->dl, n.usable_at);
        if (mp_env_tracing(h->env, MP_TRACE_IP))
            trace_slaac(h, "ip.slaac-tentative", ifc, "addr", &ip, NULL);
        return;
    }
    mp_time_t valid = valid_end(now, p ? p->valid_until : a->valid_until, px->valid);
    if (p) {
        p->valid_until = valid;
        p->preferred_until = MIN(pref, valid);
    } else {
        mp_host_addr_set_lifetimes(h, ifc->ifindex, &ip, valid, pref);
    }
}

void mp_addrconf_ra_input(struct mp_host *h, const struct mp_ip_meta *m, const uint8_t *msg,
                          size_t len)
{
    struct mp_wire_nd nd;
    struct mp_iface *ifc = mp_host_iface(h, m->ifindex);
    const char *bad = NULL;

    mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_IN_ROUTER_ADVERTS);
    /* RFC 4861 6.1.2: "IP Source Address is a link-local address", "The IP
     * Hop Limit field has a value of 255", "ICMP Code is 0", "ICMP length
     * [...] is 16 or more octets", "All included options have a length
     * that is greater than zero." (The checksum was checked on delivery.) */
    if (!mp_ip_is_link_local(&m->src))
        bad = "source not link-local";
    else if (m->ttl != 255)
        bad = "hop limit not 255";
    else if (mp_wire_nd_parse(msg, len, &nd) < 0)
        bad = "malformed";
    if (bad) {
        mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_IN_BAD_RA);
        if (mp_env_tracing(h->env, MP_TRACE_IP))
            trace_slaac(h, "ip.ra-bad", ifc, "from", &m->src, bad);
        return;
    }
    /* Linux's accept_ra = 1: a forwarding node ignores RAs. */
    if (h->opts.forward || !h->opts.accept_ra || !ifc || !ifc->up)
        return;
    struct addrconf *st = state(h);
    mp_time_t now = mp_env_now(h->env);
    if (mp_env_tracing(h->env, MP_TRACE_IP)) {
        struct mp_trace_rec r;
        mp_trace_begin(&r, now, h->name, "ip.ra-in");
        mp_trace_str(&r, "iface", ifc->name);
        mp_trace_ip(&r, "from", &m->src);
        mp_addrconf_trace_ra(&r, &nd);
        mp_trace_end(&r, h->env);
    }
    router_rcv(st, ifc->ifindex, &m->src, nd.router_lifetime, now);
    for (size_t i = 0; i < nd.n_prefix; i++)
        prefix_rcv(st, ifc, &nd.prefix[i], now);
}
