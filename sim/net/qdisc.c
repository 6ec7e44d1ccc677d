/*
 * afmp: queue disciplines (see qdisc.h).
 *
 * droptail: a FIFO with a limit in packets, in bytes, or both. Parameters:
 *   limit=N       at most N packets waiting (default 1000, Linux's default
 *                 txqueuelen, when no limit is given at all)
 *   bytes=N[unit] at most N bytes waiting; units B, kB, KiB, MB, MiB
 * A packet is accepted when it fits under every limit that is set, with the
 * same comparisons as Linux's pfifo (qlen < limit) and bfifo (backlog + len
 * <= limit). It implements both the early (admit) and the late
 * (enqueue/dequeue) shapes; links use the early one.
 */
#include "sim/net/qdisc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(mp - qdisc - error - quark, mp_qdisc_error)

static const char *const drop_names[MP_LINK_DROP__COUNT] = {
    [MP_LINK_DROP_QUEUE] = "queue", [MP_LINK_DROP_AQM] = "aqm",
    [MP_LINK_DROP_LOSS] = "loss",   [MP_LINK_DROP_CORRUPT] = "corrupt",
    [MP_LINK_DROP_DOWN] = "down",   [MP_LINK_DROP_NOPORT] = "noport",
    [MP_LINK_DROP_BLACKHOLE] = "blackhole", [MP_LINK_DROP_FILTER] = "filter",
    [MP_LINK_DROP_NAT] = "nat",
};

const char *mp_link_drop_name(enum mp_link_drop reason)
{
    if ((unsigned)reason >= MP_LINK_DROP__COUNT)
        return "?";
    return drop_names[reason];
}

/* --- parameter helpers --------------------------------------------------- */

bool mp_qdisc_params_foreach(const char *params,
                             bool (*fn)(void *ctx, const char *key, const char *val,
                                        GError **error),
                             void *ctx, GError **error)
{
    if (!params)
        return true;
    g_auto(GStrv) tokens = g_strsplit_set(params, " \t,", -1);
    for (char **t = tokens; *t; t++) {
        if (!**t)
            continue;
        char *eq = strchr(*t, '=');
        const char *val = "";
        if (eq) {
            *eq = '\0';
            val = eq + 1;
        }
        if (!fn(ctx, *t, val, error))
            return false;
    }
    return true;
}

bool mp_qdisc_parse_u64(const char *s, const struct mp_qdisc_unit *units, uint64_t *out)
{
    guint64 v;
    char *end;

    if (!s || !g_ascii_isdigit(*s))
        return false;
    errno = 0;
    v = g_ascii_strtoull(s, &end, 10);
    if (errno == ERANGE)
        return false;
    if (*end == '\0') {
        *out = v;
        return true;
    }
    for (const struct mp_qdisc_unit *u = units; u && u->suffix; u++) {
        if (strcmp(end, u->suffix) == 0) {
            if (u->mult && v > UINT64_MAX / u->mult)
                return false;
            *out = v * u->mult;
            return true;
        }
    }
    return false;
}

/* --- droptail ------------------------------------------------------------ */

struct droptail {
    uint32_t limit_pkts;  /* 0: no packet limit (only when bytes is set) */
    uint64_t limit_bytes; /* 0: no byte limit */
    bool pkts_set;
    struct mp_pkt_queue q; /* late shape only */
};

static const struct mp_qdisc_unit byte_units[] = {
    {"B", 1},        {"kB", 1000},         {"KB", 1000}, {"KiB", 1024},
    {"MB", 1000000}, {"MiB", 1024 * 1024}, {NULL, 0},
};

static bool droptail_param(void *ctx, const char *key, const char *val, GError **error)
{
    struct droptail *d = ctx;
    uint64_t v;

    if (strcmp(key, "limit") == 0) {
        if (!mp_qdisc_parse_u64(val, NULL, &v) || v > UINT32_MAX) {
            g_set_error(error, MP_QDISC_ERROR, MP_QDISC_ERROR_PARAM,
                        "droptail: limit: expected a packet count, got \"%s\"", val);
            return false;
        }
        d->limit_pkts = (uint32_t)v;
        d->pkts_set = true;
        return true;
    }
    if (strcmp(key, "bytes") == 0) {
        if (!mp_qdisc_parse_u64(val, byte_units, &v) || v == 0) {
            g_set_error(error, MP_QDISC_ERROR, MP_QDISC_ERROR_PARAM,
                        "droptail: bytes: expected a positive size (B, kB, KiB, MB, MiB), "
                        "got \"%s\"",
                        val);
            return false;
        }
        d->limit_bytes = v;
        return true;
    }
    g_set_error(error, MP_QDISC_ERROR, MP_QDISC_ERROR_PARAM,
                "droptail: unknown parameter \"%s\" (expected limit, bytes)", key);
    return false;
}

static bool droptail_init(struct mp_qdisc *q, const char *params, GError **error)
{
    struct droptail *d = mp_qdisc_priv(q);

    if (!mp_qdisc_params_foreach(params, droptail_param, d, error))
        return false;
    if (!d->pkts_set && !d->limit_bytes) {
        d->limit_pkts = 1000;
        d->pkts_set = true;
    }
    return true;
}

static inline bool droptail_fits(const struct droptail *d, uint32_t len, uint32_t pkts,
                                 uint64_t bytes)
{
    if (d->pkts_set && pkts >= d->limit_pkts)
        return false;
    if (d->limit_bytes && bytes + len > d->limit_bytes)
        return false;
    return true;
}

static bool droptail_admit(struct mp_qdisc *q, uint32_t len, uint32_t backlog_pkts,
                           uint64_t backlog_bytes, mp_time_t now)
{
    return droptail_fits(mp_qdisc_priv(q), len, backlog_pkts, backlog_bytes);
}

static enum mp_link_drop droptail_enqueue(struct mp_qdisc *q, struct mp_pkt *pkt, mp_time_t now)
{
    struct droptail *d = mp_qdisc_priv(q);

    if (!droptail_fits(d, pkt->len, d->q.count, d->q.bytes))
        return MP_LINK_DROP_QUEUE;
    mp_pkt_queue_push(&d->q, pkt);
    q->backlog_pkts = d->q.count;
    q->backlog_bytes = d->q.bytes;
    return MP_LINK_DROP__COUNT;
}

static struct mp_pkt *droptail_dequeue(struct mp_qdisc *q, mp_time_t now)
{
    struct droptail *d = mp_qdisc_priv(q);
    struct mp_pkt *p = mp_pkt_queue_pop(&d->q);

    q->backlog_pkts = d->q.count;
    q->backlog_bytes = d->q.bytes;
    return p;
}

static void droptail_purge(struct mp_qdisc *q, enum mp_link_drop reason, mp_time_t now)
{
    struct droptail *d = mp_qdisc_priv(q);
    struct mp_pkt *p;

    while ((p = mp_pkt_queue_pop(&d->q)))
        mp_qdisc_drop(q, p, reason, now);
    q->backlog_pkts = 0;
    q->backlog_bytes = 0;
}

static const struct mp_qdisc_ops droptail_ops = {
    .name = "droptail",
    .priv_size = sizeof(struct droptail),
    .init = droptail_init,
    .admit = droptail_admit,
    .enqueue = droptail_enqueue,
    .dequeue = droptail_dequeue,
    .purge = droptail_purge,
};

/* --- registry ------------------------------------------------------------ */

static const struct mp_qdisc_ops *const registry[] = {
    &droptail_ops,
};

const struct mp_qdisc_ops *mp_qdisc_lookup(const char *name)
{
    for (size_t i = 0; i < MP_ARRAY_LEN(registry); i++)
        if (strcmp(registry[i]->name, name) == 0)
            return registry[i];
    return NULL;
}

struct mp_qdisc *mp_qdisc_new(const char *name, const char *params, GError **error)
{
    const struct mp_qdisc_ops *ops = mp_qdisc_lookup(name ? name : "droptail");
    struct mp_qdisc *q;

    if (!ops) {
        g_set_error(error, MP_QDISC_ERROR, MP_QDISC_ERROR_UNKNOWN,
                    "unknown queue discipline \"%s\"", name);
        return NULL;
    }
    q = g_malloc0(sizeof(*q) + ops->priv_size);
    q->ops = ops;
    if (ops->init && !ops->init(q, params, error)) {
        g_free(q);
        return NULL;
    }
    return q;
}

void mp_qdisc_free(struct mp_qdisc *q)
{
    if (!q)
        return;
    if (q->ops->destroy)
        q->ops->destroy(q);
    g_free(q);
}
