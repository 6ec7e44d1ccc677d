/*
 * afmp: a host's interfaces, addresses and listeners (see host.h). The
 * packet paths are in ip.c.
 */
#include "model/net/host.h"

#include <errno.h>
#include <string.h>

#include "model/net/addrconf.h"
#include "model/net/icmp.h"
#include "model/net/radv.h"
#include "model/trace.h"
#include "model/net/srcsel.h"
#include "model/net/udp.h"

struct listener {
    mp_host_listener_fn fn;
    void *arg;
};

void mp_host_opts_default(struct mp_host_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->ttl = 64;
    o->icmp_errors = true;
    o->linkdown_routes = true;
    o->accept_ra = true;
}

static mp_time_t lifetime_expire(void *arg, mp_time_t now);

struct mp_host *mp_host_new(const char *name, const struct mp_env *env,
                            const struct mp_host_opts *opts)
{
    struct mp_host *h = g_new0(struct mp_host, 1);
    h->name = g_strdup(name);
    h->env = env;
    if (opts)
        h->opts = *opts;
    else
        mp_host_opts_default(&h->opts);
    h->ifaces = g_ptr_array_new();
    h->rt = mp_rt_new();
    h->listeners = g_array_new(FALSE, FALSE, sizeof(struct listener));
    mp_deadline_init(&h->loopback_dl, mp_host_loopback_expire, h);
    mp_deadline_init(&h->lifetime_dl, lifetime_expire, h);
    char *stream = g_strdup_printf("host/%s/ports", name);
    mp_env_rng(env, stream, &h->rng);
    g_free(stream);
    mp_udp_attach(h);
    mp_icmp_attach(h);
    return h;
}

void mp_host_free(struct mp_host *h)
{
    if (!h)
        return;
    mp_env_deadline_stop(h->env, &h->loopback_dl);
    mp_env_deadline_stop(h->env, &h->lifetime_dl);
    mp_radv_detach(h);
    mp_addrconf_detach(h);
    mp_udp_detach(h);
    mp_icmp_detach(h);
    for (guint i = 0; i < h->ifaces->len; i++) {
        struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
        g_array_free(ifc->addrs, TRUE);
        g_free(ifc->name);
        g_free(ifc);
    }
    g_ptr_array_free(h->ifaces, TRUE);
    mp_pkt_queue_purge(&h->loopback);
    g_free(h->rtc);
    mp_rt_free(h->rt);
    g_array_free(h->listeners, TRUE);
    g_free(h->name);
    g_free(h);
}

struct mp_iface *mp_host_add_iface(struct mp_host *h, const char *name, uint32_t mtu)
{
    struct mp_iface *ifc = g_new0(struct mp_iface, 1);
    ifc->host = h;
    ifc->ifindex = h->ifaces->len + 1;
    ifc->name = g_strdup(name);
    ifc->mtu = mtu ? mtu : 1500;
    ifc->up = true;
    ifc->carrier = false;
    ifc->addrs = g_array_new(FALSE, FALSE, sizeof(struct mp_ifaddr));
    g_ptr_array_add(h->ifaces, ifc);
    return ifc;
}

struct mp_iface *mp_host_iface_by_name(const struct mp_host *h, const char *name)
{
    for (guint i = 0; i < h->ifaces->len; i++) {
        struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
        if (strcmp(ifc->name, name) == 0)
            return ifc;
    }
    return NULL;
}

const char *mp_host_event_name(enum mp_host_event_kind kind)
{
    static const char *const kinds[] = {
        [MP_HOST_ADDR_ADDED] = "addr-added",        [MP_HOST_ADDR_REMOVED] = "addr-removed",
        [MP_HOST_CARRIER_UP] = "carrier-up",        [MP_HOST_CARRIER_DOWN] = "carrier-down",
        [MP_HOST_IFACE_UP] = "iface-up",            [MP_HOST_IFACE_DOWN] = "iface-down",
        [MP_HOST_ADDR_DEPRECATED] = "addr-deprecated"};
    return (unsigned)kind < G_N_ELEMENTS(kinds) ? kinds[kind] : "?";
}

const char *mp_host_cause_name(enum mp_host_addr_cause cause)
{
    static const char *const causes[] = {[MP_HOST_CAUSE_DELETED] = "deleted",
                                         [MP_HOST_CAUSE_EXPIRED] = "expired",
                                         [MP_HOST_CAUSE_IFACE_DOWN] = "iface-down"};
    return (unsigned)cause < G_N_ELEMENTS(causes) ? causes[cause] : "?";
}

static bool is_addr_event(enum mp_host_event_kind kind)
{
    return kind == MP_HOST_ADDR_ADDED || kind == MP_HOST_ADDR_REMOVED ||
           kind == MP_HOST_ADDR_DEPRECATED;
}

void mp_host_event_format(const struct mp_host *h, const struct mp_host_event *ev, GString *out)
{
    struct mp_iface *ifc = mp_host_iface(h, ev->ifindex);
    g_string_append_printf(out, "%s %s", mp_host_event_name(ev->kind), ifc ? ifc->name : "");
    if (is_addr_event(ev->kind)) {
        char b[MP_IP_STRLEN];
        g_string_append_printf(out, " %s/%u", mp_ip_str(&ev->addr.ip, b), ev->addr.plen);
    }
    if (ev->kind == MP_HOST_ADDR_REMOVED)
        g_string_append_printf(out, " %s", mp_host_cause_name(ev->cause));
}

static void trace_event(struct mp_host *h, const struct mp_host_event *ev)
{
    struct mp_trace_rec r;
    struct mp_iface *ifc = mp_host_iface(h, ev->ifindex);
    char type[32];
    g_snprintf(type, sizeof(type), "ip.%s", mp_host_event_name(ev->kind));
    mp_trace_begin(&r, mp_env_now(h->env), h->name, type);
    mp_trace_str(&r, "iface", ifc ? ifc->name : "");
    if (is_addr_event(ev->kind)) {
        mp_trace_ip(&r, "addr", &ev->addr.ip);
        mp_trace_u64(&r, "plen", ev->addr.plen);
        if (ev->addr.valid_until != MP_TIME_NEVER)
            mp_trace_u64(&r, "valid_until_ns", ev->addr.valid_until);
        if (ev->addr.preferred_until != MP_TIME_NEVER)
            mp_trace_u64(&r, "preferred_until_ns", ev->addr.preferred_until);
    }
    if (ev->kind == MP_HOST_ADDR_REMOVED)
        mp_trace_str(&r, "cause", mp_host_cause_name(ev->cause));
    mp_trace_end(&r, h->env);
}

static void notify(struct mp_host *h, const struct mp_host_event *ev)
{
    if (mp_env_tracing(h->env, MP_TRACE_IP))
        trace_event(h, ev);
    /* Listeners may add listeners: index, don't iterate pointers. */
    for (guint i = 0; i < h->listeners->len; i++) {
        struct listener l = g_array_index(h->listeners, struct listener, i);
        l.fn(l.arg, h, ev);
    }
}

void mp_host_listen(struct mp_host *h, mp_host_listener_fn fn, void *arg)
{
    struct listener l = {fn, arg};
    g_array_append_val(h->listeners, l);
}

void mp_host_unlisten(struct mp_host *h, mp_host_listener_fn fn, void *arg)
{
    for (guint i = h->listeners->len; i-- > 0;) {
        const struct listener *l = &g_array_index(h->listeners, struct listener, i);
        if (l->fn == fn && l->arg == arg)
            g_array_remove_index(h->listeners, i);
    }
}

void mp_host_set_l4(struct mp_host *h, uint8_t proto, const struct mp_l4_proto *p)
{
    if (p)
        h->l4[proto] = *p;
    else
        memset(&h->l4[proto], 0, sizeof(h->l4[proto]));
}

/* The routes Linux adds with an address: a local host route in table local
 * and the connected prefix in table main. */
static void addr_routes(struct mp_host *h, uint32_t ifindex, const struct mp_ifaddr *a, bool add)
{
    struct mp_rt_route local = {0}, conn = {0};
    unsigned bits = a->ip.v == 4 ? 32 : 128;

    mp_prefix_make(&a->ip, bits, &local.dst);
    local.ifindex = ifindex;
    local.kind = MP_RT_LOCAL;
    local.prefsrc = a->ip;
    mp_prefix_make(&a->ip, a->plen, &conn.dst);
    mp_prefix_masked(&conn.dst, &conn.dst);
    conn.ifindex = ifindex;
    conn.kind = MP_RT_UNICAST;
    conn.metric = a->ip.v == 4 ? 0 : 256;
    conn.prefsrc = a->ip.v == 4 ? a->ip : (struct mp_ip){0};
    if (add) {
        mp_rt_route_add(h->rt, MP_RT_TABLE_LOCAL, &local, MP_RT_REPLACE);
        if (a->plen < bits)
            mp_rt_route_add(h->rt, MP_RT_TABLE_MAIN, &conn, 0);
    } else {
        mp_rt_route_del(h->rt, MP_RT_TABLE_LOCAL, &local.dst, NULL);
        if (a->plen < bits)
            mp_rt_route_del(h->rt, MP_RT_TABLE_MAIN, &conn.dst, &conn.metric);
    }
}

static struct mp_ifaddr *addr_lookup(const struct mp_iface *ifc, const struct mp_ip *ip, guint *at)
{
    for (guint i = 0; i < ifc->addrs->len; i++) {
        struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, i);
        if (mp_ip_eq(&a->ip, ip)) {
            if (at)
                *at = i;
            return a;
        }
    }
    return NULL;
}

const struct mp_ifaddr *mp_host_addr_find(const struct mp_host *h, uint32_t ifindex,
                                          const struct mp_ip *ip)
{
    struct mp_iface *ifc = mp_host_iface(h, ifindex);
    return ifc ? addr_lookup(ifc, ip, NULL) : NULL;
}

static void addr_cache_clear(struct mp_host *h)
{
    memset(h->addr_cache, 0, sizeof(h->addr_cache));
}

int mp_host_addr_add_lifetimes(struct mp_host *h, uint32_t ifindex, const struct mp_ip *ip,
                               uint8_t plen, uint32_t flags, mp_time_t valid_until,
                               mp_time_t preferred_until)
{
    struct mp_iface *ifc = mp_host_iface(h, ifindex);
    if (!ifc)
        return -ENODEV;
    if ((ip->v != 4 && ip->v != 6) || plen > (ip->v == 4 ? 32 : 128))
        return -EINVAL;
    if (addr_lookup(ifc, ip, NULL))
        return -EEXIST;
    struct mp_ifaddr a = {*ip, plen, flags, valid_until, MIN(preferred_until, valid_until)};
    g_array_append_val(ifc->addrs, a);
    addr_cache_clear(h);
    if (ifc->up)
        addr_routes(h, ifindex, &a, true);
    struct mp_host_event ev = {MP_HOST_ADDR_ADDED, ifindex, a, MP_HOST_CAUSE_DELETED};
    notify(h, &ev);
    /* Lifetimes already over take effect at once, as later ones will. */
    if (valid_until != MP_TIME_NEVER || preferred_until != MP_TIME_NEVER)
        mp_env_deadline(h->env, &h->lifetime_dl, mp_env_now(h->env));
    return 0;
}

int mp_host_addr_add(struct mp_host *h, uint32_t ifindex, const struct mp_ip *ip, uint8_t plen,
                     uint32_t flags)
{
    return mp_host_addr_add_lifetimes(h, ifindex, ip, plen, flags, MP_TIME_NEVER, MP_TIME_NEVER);
}

static void addr_remove(struct mp_host *h, struct mp_iface *ifc, guint i,
                        enum mp_host_addr_cause cause)
{
    struct mp_ifaddr a = g_array_index(ifc->addrs, struct mp_ifaddr, i);
    g_array_remove_index(ifc->addrs, i);
    addr_cache_clear(h);
    if (ifc->up)
        addr_routes(h, ifc->ifindex, &a, false);
    struct mp_host_event ev = {MP_HOST_ADDR_REMOVED, ifc->ifindex, a, cause};
    notify(h, &ev);
}

int mp_host_addr_del(struct mp_host *h, uint32_t ifindex, const struct mp_ip *ip)
{
    struct mp_iface *ifc = mp_host_iface(h, ifindex);
    guint i;
    if (!ifc)
        return -ENODEV;
    if (!addr_lookup(ifc, ip, &i))
        return -EADDRNOTAVAIL;
    addr_remove(h, ifc, i, MP_HOST_CAUSE_DELETED);
    return 0;
}

int mp_host_addr_set_lifetimes(struct mp_host *h, uint32_t ifindex, const struct mp_ip *ip,
                               mp_time_t valid_until, mp_time_t preferred_until)
{
    struct mp_iface *ifc = mp_host_iface(h, ifindex);
    if (!ifc)
        return -ENODEV;
    struct mp_ifaddr *a = addr_lookup(ifc, ip, NULL);
    if (!a)
        return -EADDRNOTAVAIL;
    a->valid_until = valid_until;
    a->preferred_until = MIN(preferred_until, valid_until);
    if (a->preferred_until > mp_env_now(h->env))
        a->flags &= ~(uint32_t)MP_ADDR_DEPRECATED;
    /* Ends already passed are handled by the deadline, at this time. */
    mp_env_deadline(h->env, &h->lifetime_dl, mp_env_now(h->env));
    return 0;
}

/* RFC 4862 5.5.4: a deprecated address stays valid; removal at the end of
 * the valid lifetime. One change per pass, so that listeners that change
 * addresses never leave this loop with a stale index. */
static mp_time_t lifetime_expire(void *arg, mp_time_t now)
{
    struct mp_host *h = arg;
    bool changed = true;
    while (changed) {
        changed = false;
        for (guint i = 0; i < h->ifaces->len && !changed; i++) {
            struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
            for (guint j = 0; j < ifc->addrs->len && !changed; j++) {
                struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, j);
                if (a->valid_until <= now) {
                    mp_ctr_inc(&h->ctr, MP_CTR_ADDR_EXPIRED);
                    addr_remove(h, ifc, j, MP_HOST_CAUSE_EXPIRED);
                    changed = true;
                } else if (a->preferred_until <= now && !(a->flags & MP_ADDR_DEPRECATED)) {
                    a->flags |= MP_ADDR_DEPRECATED;
                    struct mp_host_event ev = {MP_HOST_ADDR_DEPRECATED, ifc->ifindex, *a,
                                               MP_HOST_CAUSE_DELETED};
                    notify(h, &ev);
                    changed = true;
                }
            }
        }
    }
    mp_time_t next = MP_TIME_NEVER;
    for (guint i = 0; i < h->ifaces->len; i++) {
        struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
        for (guint j = 0; j < ifc->addrs->len; j++) {
            const struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, j);
            next = MIN(next, a->valid_until);
            if (!(a->flags & MP_ADDR_DEPRECATED))
                next = MIN(next, a->preferred_until);
        }
    }
    return next;
}

uint32_t mp_host_addr_ifindex(const struct mp_host *h, const struct mp_ip *ip)
{
    for (unsigned k = 0; k < G_N_ELEMENTS(h->addr_cache); k++)
        if (h->addr_cache[k].ifindex && mp_ip_eq(&h->addr_cache[k].ip, ip))
            return h->addr_cache[k].ifindex;
    for (guint i = 0; i < h->ifaces->len; i++) {
        struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
        for (guint j = 0; j < ifc->addrs->len; j++)
            if (mp_ip_eq(&g_array_index(ifc->addrs, struct mp_ifaddr, j).ip, ip)) {
                /* The host is never const where it lives: only the cache
                 * changes, and no answer does. */
                struct mp_host *mh = (struct mp_host *)h;
                unsigned k = mh->addr_cache_next++ % G_N_ELEMENTS(mh->addr_cache);
                mh->addr_cache[k].ip = *ip;
                mh->addr_cache[k].ifindex = ifc->ifindex;
                return ifc->ifindex;
            }
    }
    return 0;
}

size_t mp_host_addrs(const struct mp_host *h, struct mp_ifaddr *out, size_t max)
{
    size_t n = 0;
    for (guint i = 0; i < h->ifaces->len; i++) {
        struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
        for (guint j = 0; j < ifc->addrs->len; j++, n++)
            if (n < max)
                out[n] = g_array_index(ifc->addrs, struct mp_ifaddr, j);
    }
    return n;
}

void mp_host_set_carrier(struct mp_host *h, uint32_t ifindex, bool up)
{
    struct mp_iface *ifc = mp_host_iface(h, ifindex);
    if (!ifc || ifc->carrier == up)
        return;
    ifc->carrier = up;
    struct mp_host_event ev = {.kind = up ? MP_HOST_CARRIER_UP : MP_HOST_CARRIER_DOWN, .ifindex = ifindex};
    notify(h, &ev);
}

void mp_host_set_up(struct mp_host *h, uint32_t ifindex, bool up)
{
    struct mp_iface *ifc = mp_host_iface(h, ifindex);
    if (!ifc || ifc->up == up)
        return;
    ifc->up = up;
    if (up) {
        for (guint i = 0; i < ifc->addrs->len; i++)
            addr_routes(h, ifindex, &g_array_index(ifc->addrs, struct mp_ifaddr, i), true);
        struct mp_host_event ev = {.kind = MP_HOST_IFACE_UP, .ifindex = ifindex};
        notify(h, &ev);
        return;
    }
    /* Linux flushes every route through an interface set down. */
    mp_rt_flush_ifindex(h->rt, ifindex);
    struct mp_host_event ev = {.kind = MP_HOST_IFACE_DOWN, .ifindex = ifindex};
    notify(h, &ev);
    /* addrconf_ifdown(): IPv4 addresses stay; IPv6 ones go, but for the
     * permanent global ones under keep_addr_on_down. A listener may have
     * set the interface up again: then nothing more is flushed. */
    for (guint i = 0; i < ifc->addrs->len && !ifc->up;) {
        const struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, i);
        bool keep = a->ip.v == 4 || (h->opts.keep_addr_on_down && a->valid_until == MP_TIME_NEVER &&
                                     !mp_ip_is_link_local(&a->ip));
        if (keep) {
            i++;
            continue;
        }
        mp_ctr_inc(&h->ctr, MP_CTR_ADDR_FLUSHED);
        addr_remove(h, ifc, i, MP_HOST_CAUSE_IFACE_DOWN);
    }
}

/* Hosts send, and routers forward, the same few flows again and again: a
 * small direct-mapped cache of routing decisions, valid while the routing
 * context's generation is unchanged (the lookup depends on nothing else). */
#define RTC_ROUTER 64 /* powers of 2 */
#define RTC_HOST 8

struct rtc_entry {
    uint64_t gen; /* 0: empty */
    struct mp_ip dst, src;
    uint32_t iif, oif;
    int rc;
    struct mp_rt_result res;
};

struct mp_rt_cache {
    uint32_t n;
    struct rtc_entry e[];
};

int mp_host_rt_lookup(struct mp_host *h, const struct mp_rt_flow *fl, const struct mp_rt_result **out)
{
    uint64_t gen = mp_rt_generation(h->rt);
    if (G_UNLIKELY(!h->rtc)) {
        uint32_t n = h->opts.forward ? RTC_ROUTER : RTC_HOST;
        h->rtc = g_malloc0(sizeof(*h->rtc) + n * sizeof(h->rtc->e[0]));
        h->rtc->n = n;
    }
    const uint8_t *d = fl->dst.b + (fl->dst.v == 4 ? 0 : 12);
    uint32_t k = ((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]) ^
                 fl->iif * 0x9e3779b1u ^ fl->oif * 0x85ebca6bu;
    k *= 0x9e3779b1u; /* the high bits depend on every bit of the key */
    struct rtc_entry *e = &h->rtc->e[(k >> 16) & (h->rtc->n - 1)];
    if (e->gen != gen || e->iif != fl->iif || e->oif != fl->oif || !mp_ip_eq(&e->dst, &fl->dst) ||
        !mp_ip_eq(&e->src, &fl->src)) {
        e->gen = gen;
        e->dst = fl->dst;
        e->src = fl->src;
        e->iif = fl->iif;
        e->oif = fl->oif;
        e->rc = mp_rt_lookup_flow(h->rt, fl, &e->res);
    }
    *out = &e->res;
    return e->rc;
}

int mp_host_route(struct mp_host *h, const struct mp_ip *src, const struct mp_ip *dst, uint32_t oif,
                  struct mp_host_route *out)
{
    bool have_src = src && src->v && !mp_ip_is_unspecified(src);
    int rc;

    if (have_src && !mp_host_addr_ifindex(h, src))
        return -EADDRNOTAVAIL;
    struct mp_rt_flow fl = {.dst = *dst, .oif = oif};
    if (have_src)
        fl.src = *src;
    const struct mp_rt_result *res; /* in the cache: read before any other lookup */
    rc = mp_host_rt_lookup(h, &fl, &res);
    if (rc < 0)
        return rc;
    struct mp_iface *ifc = mp_host_iface(h, res->ifindex);
    out->ifindex = res->ifindex;
    out->nexthop = res->nexthop;
    out->local = res->route.kind == MP_RT_LOCAL;
    out->mtu = ifc ? ifc->mtu : 65535;
    if (out->local)
        out->mtu = 65535;
    if (have_src) {
        out->src = *src;
        return 0;
    }

    /* Source selection over every address of the host (weak host). */
    struct mp_srcsel_cand cand[64];
    size_t n = 0;
    for (guint i = 0; i < h->ifaces->len && n < G_N_ELEMENTS(cand); i++) {
        struct mp_iface *c = g_ptr_array_index(h->ifaces, i);
        for (guint j = 0; j < c->addrs->len && n < G_N_ELEMENTS(cand); j++) {
            struct mp_ifaddr *a = &g_array_index(c->addrs, struct mp_ifaddr, j);
            cand[n++] = (struct mp_srcsel_cand){a->ip, a->plen, c->ifindex, a->flags};
        }
    }
    struct mp_srcsel_req req = {0};
    req.dst = *dst;
    req.oif = out->local ? mp_host_addr_ifindex(h, dst) : res->ifindex;
    req.gw = res->route.gw;
    req.prefsrc = res->route.prefsrc;
    req.prefer_temporary = h->opts.prefer_temporary;
    if (out->local) {
        /* To ourselves: the destination is the natural source. */
        out->src = *dst;
        return 0;
    }
    int k = mp_srcsel_pick(cand, n, &req);
    if (k < 0)
        return -EADDRNOTAVAIL;
    out->src = cand[k].ip;
    return 0;
}

uint16_t mp_host_pick_port(struct mp_host *h, bool (*in_use)(void *arg, uint16_t port), void *arg)
{
    const uint32_t lo = 32768, n = 61000 - 32768;
    uint32_t start = (uint32_t)mp_rng_below(&h->rng, n);
    for (uint32_t i = 0; i < n; i++) {
        uint16_t port = (uint16_t)(lo + (start + i) % n);
        if (!in_use(arg, port))
            return port;
    }
    return 0;
}
