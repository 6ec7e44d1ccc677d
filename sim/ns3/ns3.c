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

#include "model/wire/wire.h"
#include "sim/engine.h"
#include "sim/net/link.h"
#include "sim/net/world.h"

#include "sim/ns3/glue.h"

/* ns-3's simulator is one per process: one ns-3 run at a time. */
G_LOCK_DEFINE_STATIC(ns3_run);

struct ns3_run {
    struct mp_build *b;
    struct mp_engine *eng;
    struct mp_pkt_pool *pool;
};

/* The run in progress; ns-3's callbacks reach it through here (the lock
 * makes it the only one). */
static struct ns3_run *cur;

struct ext_end {
    uint32_t link;
    struct mp_link *l;
};

static void ext_send(void *arg, int end, struct mp_pkt *pkt)
{
    const struct ext_end *x = arg;
    /* Only bytes cross: checksums left for later are computed now. */
    mp_wire_csum_finalize(pkt);
    if (mp_ns3cc_send(x->link, end, pkt->data, pkt->len))
        mp_pkt_free(pkt);
    else
        mp_link_ext_refused(x->l, end, pkt);
}

static const struct mp_link_ext_ops ext_ops = {.send = ext_send};

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

void mp_ns3g_receive(uint32_t link, int from_end, const uint8_t *data, uint32_t len, uint64_t now)
{
    mp_engine_advance(cur->eng, now);
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
                          "the ns-3 engine has ns-3's point-to-point links, without %s", why);
        if (sl->wifi)
            continue; /* ns-3's 802.11: no rate, delay or queue of ours */
        for (int d = 0; d < 2; d++)
            if (sl->dir[d].rate == 0)
                return refuse(err, scn, sl->line, what,
                              "the ns-3 engine needs a rate on every link (ns-3's point-to-point "
                              "devices have no unlimited rate)");
        if (sl->dir[0].delay != sl->dir[1].delay)
            return refuse(err, scn, sl->line, what,
                          "the ns-3 engine's point-to-point channel has one delay for both "
                          "directions");
    }
    for (size_t i = 0; i < scn->n_events; i++) {
        const struct mp_scn_event *e = &scn->events[i];
        if (e->kind == MP_SCN_EV_LINK_SET) {
            char what[160];
            g_snprintf(what, sizeof(what), "[events] %s", e->name);
            return refuse(err, scn, e->line, what,
                          "the ns-3 engine takes a link down and up, but changes nothing else "
                          "of a link at run time");
        }
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
        else
            ok = mp_ns3cc_link((uint32_t)i, (uint32_t)sl->node[0], (uint32_t)sl->node[1],
                               sl->dir[0].rate, sl->dir[1].rate, sl->dir[0].delay, qa, qb,
                               sl->mtu ? sl->mtu : 1500, msg, sizeof(msg));
        if (ok && !sl->wifi && fa)
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
