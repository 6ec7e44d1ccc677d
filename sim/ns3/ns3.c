/*
 * afmp: the ns-3 engine, C half (see ns3.h, glue.h, ns3.cc).
 *
 * The world is built as for the embedded engine: hosts, routers, their
 * interfaces, routes, applications, events, captures. Then every link is
 * handed to ns-3 (mp_link_set_ext): what a port sends goes to an ns-3
 * PointToPointNetDevice, and what arrives on the other device comes back
 * through mp_link_ext_deliver() to the far port. The world's engine keeps
 * the world's own events (timers, processes, scenario events); ns-3 runs
 * them from a bridge event set at the time of the next one, and moves the
 * world's clock to its own time before it hands over a packet.
 */
#include "sim/ns3/ns3.h"

#include <stdio.h>
#include <string.h>

#include "model/net/addr.h"
#include "model/net/host.h"
#include "model/wire/wire.h"
#include "sim/engine.h"
#include "sim/net/link.h"
#include "sim/net/world.h"

#include "sim/ns3/glue.h"

/* ns-3's simulator is one per process: one ns-3 run at a time. */
G_LOCK_DEFINE_STATIC(ns3_run);

struct ext_end;

struct ns3_run {
    struct mp_build *b;
    struct mp_engine *eng;
    struct mp_pkt_pool *pool;
    struct ext_end *ends; /* by link */
};

/* The run in progress; ns-3's callbacks reach it through here (the lock
 * makes it the only one). */
static struct ns3_run *cur;

/* Neighbour resolution on an end of a Wi-Fi or CSMA link (an Ethernet-like
 * device that needs the peer's MAC address), for one family: ARP for IPv4,
 * neighbour solicitation for IPv6 (RFC 826, RFC 4861 7.2). A packet waits
 * while its neighbour is unknown; a probe goes out at once and again every
 * second, three in all (Linux's mcast_solicit 3, retrans_time 1 s); then
 * the waiting packets are dropped (counted as "noport": nobody answered). */
#define NBR_QUEUE_MAX 101 /* Linux's unres_qlen */
#define NBR_PROBES 3
#define NBR_RETRANS MP_S(1)

struct mac_end;

struct nbr {
    struct mac_end *we;
    int fam; /* 0 IPv4, 1 IPv6 */
    bool known;
    uint8_t mac[6];
    struct mp_pkt_queue q;
    uint32_t qlen;
    bool probing;
    unsigned probes;
};

struct ext_end {
    uint32_t link;
    struct mp_link *l;
    bool wifi;    /* ns-3's 802.11: rate and delay are ns-3's */
    bool resolve; /* Wi-Fi or CSMA: MAC addresses by ARP and ND */
    struct mac_end {
        struct ext_end *x;
        int end;
        uint8_t mac[6];
        struct mp_host *host, *peer; /* this end's host and the other end's */
        uint32_t ifindex, peer_ifindex;
        struct nbr n[2]; /* [0] IPv4, [1] IPv6 */
    } w[2];
};

static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* The first address of family |v| (IPv6: link-local first) of |h|'s
 * interface |ifindex|. */
static bool iface_addr(struct mp_host *h, uint32_t ifindex, uint8_t v, struct mp_ip *out)
{
    const struct mp_iface *ifc = mp_host_iface(h, ifindex);
    bool found = false;
    for (guint i = 0; ifc && i < ifc->addrs->len; i++) {
        const struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, i);
        if (a->ip.v != v)
            continue;
        if (v == 6 && mp_ip_is_link_local(&a->ip)) {
            *out = a->ip;
            return true;
        }
        if (!found) {
            *out = a->ip;
            found = true;
        }
    }
    return found;
}

static bool owns(struct mp_host *h, uint32_t ifindex, const struct mp_ip *ip)
{
    return mp_host_addr_find(h, ifindex, ip) != NULL;
}

static void send_l2(struct mac_end *we, const uint8_t *data, uint32_t len, uint16_t proto,
                    const uint8_t dst[6])
{
    mp_ns3cc_send_to(we->x->link, we->end, data, len, proto, dst);
}

static void nbr_probe(void *arg, mp_time_t now);

/* One probe for family |fam| of |we|: an ARP request, or a neighbour
 * solicitation to the target's solicited-node address. */
static void probe_once(struct mac_end *we, int fam, mp_time_t now)
{
    struct nbr *n = &we->n[fam];
    uint8_t buf[128];
    struct mp_ip me, target;
    if (!iface_addr(we->host, we->ifindex, fam ? 6 : 4, &me) ||
        !iface_addr(we->peer, we->peer_ifindex, fam ? 6 : 4, &target))
        return;
    if (!fam) {
        struct mp_wire_arp a = {.op = MP_ARP_REQUEST, .spa = me, .tpa = target};
        memcpy(a.sha, we->mac, 6);
        int k = mp_wire_arp_emit(buf, sizeof(buf), &a);
        if (k > 0)
            send_l2(we, buf, (uint32_t)k, MP_ETHERTYPE_ARP, bcast);
    } else {
        struct mp_ip snm = {.v = 6};
        static const uint8_t pfx[13] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
        memcpy(snm.b, pfx, 13);
        memcpy(snm.b + 13, target.b + 13, 3);
        struct mp_wire_nd nd = {.type = 135, .target = target, .has_src_ll = true};
        memcpy(nd.src_ll, we->mac, 6);
        int k = mp_wire_nd_build(buf, sizeof(buf), &me, &snm, &nd, true);
        const uint8_t mc[6] = {0x33, 0x33, 0xff, target.b[13], target.b[14], target.b[15]};
        if (k > 0)
            send_l2(we, buf, (uint32_t)k, MP_ETHERTYPE_IPV6, mc);
    }
    n->probes++;
    mp_engine_at(cur->eng, now + NBR_RETRANS, nbr_probe, &we->n[fam]);
}

static void nbr_probe(void *arg, mp_time_t now)
{
    struct nbr *n = arg;
    struct mac_end *we = n->we;
    if (n->known || !n->probing)
        return;
    if (n->probes < NBR_PROBES) {
        probe_once(we, n->fam, now);
        return;
    }
    /* nobody answered: what waited is dropped */
    struct mp_pkt *p;
    while ((p = mp_pkt_queue_pop(&n->q)))
        mp_link_ext_drop(we->x->l, we->end, p, MP_LINK_DROP_NOPORT);
    n->qlen = 0;
    n->probing = false;
}

static void send_ip(struct mac_end *we, int fam, struct mp_pkt *p)
{
    if (mp_ns3cc_send_to(we->x->link, we->end, p->data, p->len,
                         fam ? MP_ETHERTYPE_IPV6 : MP_ETHERTYPE_IPV4, we->n[fam].mac))
        mp_pkt_free(p);
    else
        mp_link_ext_drop(we->x->l, we->end, p, MP_LINK_DROP_QUEUE);
}

/* |mac| answers for family |fam|: the waiting packets go. */
static void nbr_learn(struct mac_end *we, int fam, const uint8_t mac[6])
{
    struct nbr *n = &we->n[fam];
    memcpy(n->mac, mac, 6);
    n->known = true;
    n->probing = false;
    struct mp_pkt *p;
    while ((p = mp_pkt_queue_pop(&n->q)))
        send_ip(we, fam, p);
    n->qlen = 0;
}

/* An IP datagram leaves a Wi-Fi or CSMA end: to its neighbour's MAC address once
 * known, else it waits for the answer to a probe. */
static void mac_send(struct mac_end *we, struct mp_pkt *pkt)
{
    int fam = pkt->len && (pkt->data[0] >> 4) == 6;
    struct nbr *n = &we->n[fam];
    if (n->known) {
        send_ip(we, fam, pkt);
        return;
    }
    if (n->qlen >= NBR_QUEUE_MAX) {
        mp_link_ext_drop(we->x->l, we->end, pkt, MP_LINK_DROP_QUEUE);
        return;
    }
    mp_pkt_queue_push(&n->q, pkt);
    n->qlen++;
    if (!n->probing) {
        n->probing = true;
        n->probes = 0;
        probe_once(we, fam, mp_engine_now(cur->eng));
    }
}

/* ARP and neighbour discovery that arrive on the Wi-Fi or CSMA end |we|, answered
 * here on its host's behalf: true when |data| was one of them (it does not
 * go up to the host, whose IP layer has no neighbour cache). */
static bool mac_resolution(struct mac_end *we, uint16_t proto, const uint8_t *data, uint32_t len)
{
    uint8_t buf[128];
    if (proto == MP_ETHERTYPE_ARP) {
        struct mp_wire_arp a;
        if (mp_wire_arp_parse(data, len, &a) < 0)
            return true;
        if (a.op == MP_ARP_REQUEST && owns(we->host, we->ifindex, &a.tpa)) {
            nbr_learn(we, 0, a.sha); /* RFC 826: the requester is learned */
            struct mp_wire_arp r = {.op = MP_ARP_REPLY, .spa = a.tpa, .tpa = a.spa};
            memcpy(r.sha, we->mac, 6);
            memcpy(r.tha, a.sha, 6);
            int k = mp_wire_arp_emit(buf, sizeof(buf), &r);
            if (k > 0)
                send_l2(we, buf, (uint32_t)k, MP_ETHERTYPE_ARP, a.sha);
        } else if (a.op == MP_ARP_REPLY) {
            nbr_learn(we, 0, a.sha);
        }
        return true;
    }
    if (proto != MP_ETHERTYPE_IPV6 || len < 41 || data[6] != 58)
        return false;
    uint8_t type = data[40];
    if (type != 135 && type != 136)
        return false;
    struct mp_wire_ip6 ip;
    struct mp_wire_nd nd;
    if (mp_wire_ip6_parse(data, len, &ip) < 0 ||
        mp_wire_nd_parse(data + ip.l4_off, ip.l4_len, &nd) < 0 || ip.hop_limit != 255)
        return true;
    if (type == 135 && owns(we->host, we->ifindex, &nd.target)) {
        if (nd.has_src_ll)
            nbr_learn(we, 1, nd.src_ll);
        struct mp_wire_nd na = {.type = 136, .target = nd.target, .has_tgt_ll = true,
                                .flags = MP_ND_NA_SOLICITED | MP_ND_NA_OVERRIDE};
        memcpy(na.tgt_ll, we->mac, 6);
        int k = mp_wire_nd_build(buf, sizeof(buf), &nd.target, &ip.src, &na, true);
        if (k > 0 && nd.has_src_ll)
            send_l2(we, buf, (uint32_t)k, MP_ETHERTYPE_IPV6, nd.src_ll);
    } else if (type == 136 && nd.has_tgt_ll) {
        nbr_learn(we, 1, nd.tgt_ll);
    }
    return true;
}

static void ext_send(void *arg, int end, struct mp_pkt *pkt)
{
    struct ext_end *x = arg;
    /* Only bytes cross: checksums left for later are computed now. */
    mp_wire_csum_finalize(pkt);
    if (x->resolve) {
        mac_send(&x->w[end], pkt);
        return;
    }
    if (mp_ns3cc_send(x->link, end, pkt->data, pkt->len))
        mp_pkt_free(pkt);
    else
        mp_link_ext_drop(x->l, end, pkt, MP_LINK_DROP_QUEUE);
}

static void ext_set_rate(void *arg, int end, uint64_t rate_bps)
{
    struct ext_end *x = arg;
    if (!x->wifi)
        mp_ns3cc_set_rate(x->link, end, rate_bps);
}

static void ext_set_delay(void *arg, int end, mp_time_t delay)
{
    struct ext_end *x = arg;
    (void)end; /* one channel delay: ns3_check asks for both directions */
    if (!x->wifi)
        mp_ns3cc_set_delay(x->link, delay);
}

static const struct mp_link_ext_ops ext_ops = {
    .send = ext_send, .set_rate = ext_set_rate, .set_delay = ext_set_delay};

uint64_t mp_ns3g_next_time(void)
{
    mp_time_t t = mp_engine_next_time(cur->eng);
    return t == MP_TIME_NEVER ? MP_NS3_NEVER : t;
}

void mp_ns3g_run_now(uint64_t now)
{
    mp_engine_advance(cur->eng, now);
    while (mp_engine_next_time(cur->eng) == now && mp_engine_step(cur->eng))
        ;
}

void mp_ns3g_receive(uint32_t link, int from_end, uint16_t proto, const uint8_t src[6],
                     const uint8_t *data, uint32_t len, uint64_t now)
{
    mp_engine_advance(cur->eng, now);
    struct ext_end *x = &cur->ends[link];
    (void)src;
    if (x->resolve && mac_resolution(&x->w[!from_end], proto, data, len))
        return;
    struct mp_pkt *pkt = mp_pkt_alloc(cur->pool, len);
    if (!pkt)
        return;
    memcpy(pkt->data, data, len);
    pkt->len = len;
    mp_link_ext_deliver(cur->b->links[link], from_end, pkt);
}

bool mp_ns3g_interrupted(void)
{
    return mp_engine_interrupted(cur->eng);
}

static bool refuse(GError **err, const struct mp_scenario *scn, unsigned line, const char *what,
                   const char *fmt, ...) G_GNUC_PRINTF(5, 6);
static bool refuse(GError **err, const struct mp_scenario *scn, unsigned line, const char *what,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(err, MP_SCENARIO_ERROR, MP_SCENARIO_ERROR_VALUE, "%s:%u: %s: %s", scn->file,
                line ? line : 1, what, msg);
    g_free(msg);
    return false;
}

/* ns-3's drop-tail queue size for a direction: packets or bytes. */
static void queue_size(const struct mp_scn_dir *d, char *buf, size_t len)
{
    g_snprintf(buf, len, "%" G_GUINT64_FORMAT "%s", d->queue_limit ? d->queue_limit : 1000,
               d->queue_bytes ? "B" : "p");
}

static bool ns3_check(const struct mp_build *b, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    for (size_t i = 0; i < scn->n_links; i++) {
        const struct mp_scn_link *sl = &scn->links[i];
        char what[160];
        g_snprintf(what, sizeof(what), "[link %s]", sl->name);
        const char *why = mp_link_ext_check(b->links[i]);
        if (why)
            return refuse(err, scn, sl->line, what,
                          "the ns-3 engine carries links on ns-3's devices, without %s", why);
        if (sl->wifi)
            continue; /* ns-3's 802.11: no rate, delay or queue of ours */
        for (int d = 0; d < 2; d++)
            if (sl->dir[d].rate == 0)
                return refuse(err, scn, sl->line, what,
                              "the ns-3 engine needs a rate on every link (ns-3's devices have "
                              "no unlimited rate)");
        if (sl->dir[0].delay != sl->dir[1].delay)
            return refuse(err, scn, sl->line, what,
                          "the ns-3 engine's channels have one delay for both directions");
        if (sl->csma && sl->dir[0].rate != sl->dir[1].rate)
            return refuse(err, scn, sl->line, what,
                          "a CSMA link is one shared cable: one rate for both directions");
    }
    for (size_t i = 0; i < scn->n_events; i++) {
        const struct mp_scn_event *e = &scn->events[i];
        if (e->kind != MP_SCN_EV_LINK_SET)
            continue;
        const struct mp_scn_link *sl = &scn->links[e->link];
        char what[160];
        g_snprintf(what, sizeof(what), "[events] %s", e->name);
        bool wire = e->param == MP_SCN_LP_RATE || e->param == MP_SCN_LP_DELAY;
        if (wire && sl->wifi)
            return refuse(err, scn, e->line, what,
                          "link %s is ns-3's 802.11: its rate and delay are ns-3's, not ours to "
                          "change", sl->name);
        if (e->param == MP_SCN_LP_RATE && e->value == 0)
            return refuse(err, scn, e->line, what,
                          "the ns-3 engine's point-to-point devices have no unlimited rate");
        if (e->param == MP_SCN_LP_DELAY && e->dirs != 3)
            return refuse(err, scn, e->line, what,
                          "the ns-3 engine's channels have one delay for both directions: "
                          "change it for both");
        if (e->param == MP_SCN_LP_RATE && sl->csma && e->dirs != 3)
            return refuse(err, scn, e->line, what,
                          "a CSMA link is one shared cable: change its rate for both "
                          "directions");
    }
    return true;
}

static enum mp_run_result ns3_run(struct mp_build *b, mp_time_t stop, const char *pcap_dir,
                                  uint64_t *ns3_events, GError **err)
{
    const struct mp_scenario *scn = b->scn;
    if (!ns3_check(b, err))
        return MP_RUN_IDLE;
    G_LOCK(ns3_run);
    struct ns3_run run = {.b = b, .eng = mp_world_engine(b->w), .pool = mp_world_pool(b->w)};
    cur = &run;
    mp_ns3cc_begin((uint32_t)scn->n_nodes, scn->seed);
    struct ext_end *ends = g_new0(struct ext_end, scn->n_links ? scn->n_links : 1);
    run.ends = ends;
    bool ok = true;
    for (size_t i = 0; i < scn->n_links && ok; i++) {
        const struct mp_scn_link *sl = &scn->links[i];
        char qa[32], qb[32], msg[200] = "";
        char *fa = pcap_dir ? g_strdup_printf("%s/ns3-%s-a.pcap", pcap_dir, sl->name) : NULL;
        char *fb = pcap_dir ? g_strdup_printf("%s/ns3-%s-b.pcap", pcap_dir, sl->name) : NULL;
        queue_size(&sl->dir[0], qa, sizeof(qa));
        queue_size(&sl->dir[1], qb, sizeof(qb));
        if (sl->wifi)
            ok = mp_ns3cc_wifi((uint32_t)i, (uint32_t)sl->node[0], (uint32_t)sl->node[1],
                               sl->wifi_standard, sl->wifi_manager, sl->wifi_distance_mm,
                               sl->wifi_speed_mm_s, sl->mtu ? sl->mtu : 1500, fa, fb, msg,
                               sizeof(msg));
        else if (sl->csma)
            ok = mp_ns3cc_csma((uint32_t)i, (uint32_t)sl->node[0], (uint32_t)sl->node[1],
                               sl->dir[0].rate, sl->dir[0].delay, qa, qb,
                               sl->mtu ? sl->mtu : 1500, fa, fb, msg, sizeof(msg));
        else
            ok = mp_ns3cc_link((uint32_t)i, (uint32_t)sl->node[0], (uint32_t)sl->node[1],
                               sl->dir[0].rate, sl->dir[1].rate, sl->dir[0].delay, qa, qb,
                               sl->mtu ? sl->mtu : 1500, msg, sizeof(msg));
        if (ok && !sl->wifi && !sl->csma && fa)
            mp_ns3cc_pcap((uint32_t)i, fa, fb);
        g_free(fa);
        g_free(fb);
        if (!ok) {
            char what[160];
            g_snprintf(what, sizeof(what), "[link %s]", sl->name);
            refuse(err, scn, sl->line, what, "ns-3: %s", msg);
            break;
        }
        ends[i].link = (uint32_t)i;
        ends[i].l = b->links[i];
        ends[i].wifi = sl->wifi;
        ends[i].resolve = sl->wifi || sl->csma;
        for (int e = 0; ends[i].resolve && e < 2; e++) {
            struct mac_end *we = &ends[i].w[e];
            we->x = &ends[i];
            we->end = e;
            mp_ns3cc_mac((uint32_t)i, e, we->mac);
            we->host = mp_node_host(b->nodes[sl->node[e]]);
            we->peer = mp_node_host(b->nodes[sl->node[!e]]);
            we->ifindex = (uint32_t)sl->iface[e] + 1;
            we->peer_ifindex = (uint32_t)sl->iface[!e] + 1;
            for (int f = 0; f < 2; f++) {
                we->n[f].we = we;
                we->n[f].fam = f;
            }
        }
        mp_link_set_ext(b->links[i], &ext_ops, &ends[i]);
    }
    enum mp_run_result rr = MP_RUN_IDLE;
    if (ok) {
        mp_engine_set_stop(run.eng, stop);
        uint64_t n = mp_ns3cc_run(stop);
        if (ns3_events)
            *ns3_events = n;
        if (mp_engine_interrupted(run.eng)) {
            rr = MP_RUN_INTERRUPTED;
        } else {
            /* as the embedded engine: the clock ends at the stop time */
            mp_engine_advance(run.eng, stop);
            rr = mp_engine_next_time(run.eng) == MP_TIME_NEVER ? MP_RUN_IDLE : MP_RUN_STOP_TIME;
        }
    }
    /* packets still waiting for a neighbour go with the run */
    for (size_t i = 0; i < scn->n_links; i++)
        for (int e = 0; ends[i].resolve && e < 2; e++)
            for (int f = 0; f < 2; f++)
                mp_pkt_queue_purge(&ends[i].w[e].n[f].q);
    /* the world outlives ns-3: its links are its own again */
    for (size_t i = 0; i < scn->n_links; i++)
        mp_link_set_ext(b->links[i], NULL, NULL);
    mp_ns3cc_end();
    cur = NULL;
    G_UNLOCK(ns3_run);
    g_free(ends);
    return ok ? rr : MP_RUN_IDLE;
}

const struct mp_ns3_engine mp_ns3_engine_impl = {.check = ns3_check, .run = ns3_run};
