/* afmp: router advertisements sent by a node (see radv.h). */
#include "model/net/radv.h"

#include <errno.h>
#include <string.h>

#include "model/net/addrconf.h"
#include "model/trace.h"

/* An advertising interface. */
struct adv {
    uint32_t ifindex;
    struct mp_radv_conf conf;
    bool running;
    bool final;       /* the last RA (router lifetime 0) is due */
    unsigned sent;    /* RAs since it became advertising */
    mp_time_t next_at;
};

struct radv {
    struct mp_host *h;
    GArray *advs; /* struct adv, in the order configured */
    struct mp_deadline dl;
};

uint16_t mp_radv_default_lifetime(mp_time_t interval)
{
    uint64_t s = (3 * interval + MP_S(1) - 1) / MP_S(1);
    return (uint16_t)MIN(s, 9000u);
}

static struct adv *adv_find(struct radv *st, uint32_t ifindex)
{
    for (guint i = 0; st && i < st->advs->len; i++) {
        struct adv *a = &g_array_index(st->advs, struct adv, i);
        if (a->ifindex == ifindex)
            return a;
    }
    return NULL;
}

static const struct mp_ifaddr *link_local(const struct mp_iface *ifc)
{
    for (guint i = 0; i < ifc->addrs->len; i++) {
        const struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, i);
        if (a->ip.v == 6 && mp_ip_is_link_local(&a->ip))
            return a;
    }
    return NULL;
}

static void ensure_link_local(struct mp_host *h, struct mp_iface *ifc)
{
    if (link_local(ifc))
        return;
    struct mp_ip ll = {0};
    ll.v = 6;
    ll.b[0] = 0xfe;
    ll.b[1] = 0x80;
    ll = mp_addrconf_addr(ifc, &ll);
    mp_host_addr_add(h, ifc->ifindex, &ll, 64, 0);
}

static void send_ra(struct radv *st, const struct adv *a, uint16_t lifetime)
{
    struct mp_host *h = st->h;
    struct mp_iface *ifc = mp_host_iface(h, a->ifindex);
    const struct mp_ifaddr *ll = ifc && ifc->up ? link_local(ifc) : NULL;
    if (!ll)
        return;
    struct mp_wire_nd nd;
    memset(&nd, 0, sizeof(nd));
    nd.type = MP_ICMP6_ROUTER_ADVERT;
    nd.hop_limit = 64;
    nd.router_lifetime = lifetime;
    nd.n_prefix = a->conf.n_prefix;
    for (size_t i = 0; i < a->conf.n_prefix; i++) {
        const struct mp_radv_prefix *p = &a->conf.prefix[i];
        nd.prefix[i] = (struct mp_wire_nd_prefix){p->len, MP_ND_PFX_ONLINK | MP_ND_PFX_AUTO,
                                                  p->valid, p->preferred, p->prefix};
    }
    uint8_t buf[16 + 32 * MP_WIRE_ND_MAX_PREFIX];
    int n = mp_wire_nd_emit(buf, sizeof(buf), &nd);
    if (n < 0)
        return;
    struct mp_pkt *pkt = mp_pkt_alloc(h->env->pool, (uint32_t)n);
    memcpy(pkt->data, buf, (size_t)n);
    /* RFC 4861 6.1.2: receivers accept only hop limit 255. */
    const struct mp_wire_ipx x = {.ttl = 255};
    struct mp_ip all_nodes = {0};
    mp_ip_parse("ff02::1", &all_nodes);
    if (mp_host_ip_send(h, pkt, &ll->ip, &all_nodes, MP_IPPROTO_ICMPV6, &x, a->ifindex) < 0)
        return;
    mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_OUT_MSGS);
    mp_ctr_inc(&h->ctr, MP_CTR_ICMP6_OUT_ROUTER_ADVERTS);
    if (mp_env_tracing(h->env, MP_TRACE_IP)) {
        struct mp_trace_rec r;
        mp_trace_begin(&r, mp_env_now(h->env), h->name, "ip.ra-out");
        mp_trace_str(&r, "iface", ifc->name);
        mp_addrconf_trace_ra(&r, &nd);
        mp_trace_end(&r, h->env);
    }
}

static mp_time_t expire(void *arg, mp_time_t now)
{
    struct radv *st = arg;
    mp_time_t next = MP_TIME_NEVER;
    for (guint i = 0; i < st->advs->len; i++) {
        struct adv *a = &g_array_index(st->advs, struct adv, i);
        if (a->final) {
            a->final = false;
            send_ra(st, a, 0);
            continue;
        }
        if (!a->running)
            continue;
        if (a->next_at <= now) {
            send_ra(st, a, a->conf.router_lifetime);
            a->sent++;
            mp_time_t wait = a->conf.interval;
            if (a->sent < MP_RADV_INITIAL)
                wait = MIN(wait, MP_RADV_INITIAL_INTERVAL);
            a->next_at = now + wait;
        }
        next = MIN(next, a->next_at);
    }
    return next;
}

/* Advertise from now: an RA at once, then the initial ones. */
static void restart(struct radv *st, struct adv *a)
{
    mp_time_t now = mp_env_now(st->h->env);
    a->running = true;
    a->final = false;
    a->sent = 0;
    a->next_at = now;
    mp_env_deadline(st->h->env, &st->dl, now);
}

static void on_host_event(void *arg, struct mp_host *h, const struct mp_host_event *ev)
{
    struct radv *st = arg;
    struct adv *a = ev->kind == MP_HOST_IFACE_UP ? adv_find(st, ev->ifindex) : NULL;
    if (!a)
        return;
    /* Linux gives the interface its link-local address again; radvd
     * starts over on an interface that comes back. */
    ensure_link_local(h, mp_host_iface(h, ev->ifindex));
    if (a->running)
        restart(st, a);
}

static struct radv *state(struct mp_host *h)
{
    if (!h->radv) {
        struct radv *st = g_new0(struct radv, 1);
        st->h = h;
        st->advs = g_array_new(FALSE, TRUE, sizeof(struct adv));
        mp_deadline_init(&st->dl, expire, st);
        h->radv = st;
        mp_host_listen(h, on_host_event, st);
    }
    return h->radv;
}

void mp_radv_detach(struct mp_host *h)
{
    struct radv *st = h->radv;
    if (!st)
        return;
    mp_env_deadline_stop(h->env, &st->dl);
    g_array_free(st->advs, TRUE);
    g_free(st);
    h->radv = NULL;
}

int mp_radv_configure(struct mp_host *h, uint32_t ifindex, const struct mp_radv_conf *c)
{
    struct mp_iface *ifc = mp_host_iface(h, ifindex);
    if (!ifc)
        return -ENODEV;
    if (c->interval == 0 || c->n_prefix > MP_WIRE_ND_MAX_PREFIX)
        return -EINVAL;
    for (size_t i = 0; i < c->n_prefix; i++)
        if (c->prefix[i].prefix.v != 6 || c->prefix[i].len > 128)
            return -EINVAL;
    struct radv *st = state(h);
    struct adv *a = adv_find(st, ifindex);
    if (!a) {
        struct adv n = {0};
        n.ifindex = ifindex;
        g_array_append_val(st->advs, n);
        a = &g_array_index(st->advs, struct adv, st->advs->len - 1);
    }
    a->conf = *c;
    ensure_link_local(h, ifc);
    restart(st, a);
    return 0;
}

int mp_radv_set_running(struct mp_host *h, uint32_t ifindex, bool on)
{
    struct radv *st = h->radv;
    struct adv *a = adv_find(st, ifindex);
    if (!a)
        return -ENODEV;
    if (a->running == on)
        return 0;
    if (on) {
        restart(st, a);
        return 0;
    }
    /* RFC 4861 6.2.5: "the router SHOULD transmit one or more (but not
     * more than MAX_FINAL_RTR_ADVERTISEMENTS) final multicast Router
     * Advertisements on the interface with a Router Lifetime field of
     * zero." */
    a->running = false;
    a->final = true;
    mp_env_deadline(h->env, &st->dl, mp_env_now(h->env));
    return 0;
}

int mp_radv_set_prefix(struct mp_host *h, uint32_t ifindex, const struct mp_radv_prefix *p)
{
    struct radv *st = h->radv;
    struct adv *a = adv_find(st, ifindex);
    if (!a)
        return -ENODEV;
    if (p->prefix.v != 6 || p->len > 128)
        return -EINVAL;
    size_t i = 0;
    while (i < a->conf.n_prefix &&
           !(a->conf.prefix[i].len == p->len && mp_ip_eq(&a->conf.prefix[i].prefix, &p->prefix)))
        i++;
    if (i == a->conf.n_prefix) {
        if (i == MP_WIRE_ND_MAX_PREFIX)
            return -ENOSPC;
        a->conf.n_prefix++;
    }
    a->conf.prefix[i] = *p;
    if (a->running) {
        /* As radvd on a reload: an RA now; the schedule goes on. */
        a->next_at = mp_env_now(h->env);
        mp_env_deadline(h->env, &st->dl, a->next_at);
    }
    return 0;
}
