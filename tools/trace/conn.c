/*
 * afmp-trace: TCP and MPTCP v1 connections rebuilt from segments.
 *
 * A subflow is found by its 4-tuple (a new SYN on a tuple that has ended
 * starts a new one); an MP_CAPABLE SYN starts an MPTCP connection, whose
 * keys (SYN/ACK: the server's, third ACK: both) give the tokens and IDSNs;
 * an MP_JOIN SYN names the connection by the token of its receiver. DSS
 * mappings are kept per subflow direction, so that a segment without one is
 * placed in data sequence space by the mapping that covers it. A payload
 * byte is a retransmission when its subflow sequence was sent before on the
 * subflow, and a reinjection when it is new on the subflow but its data
 * sequence was sent before (on any subflow).
 */
#include <inttypes.h>
#include <string.h>

#include "model/mptcp/crypto.h"
#include "model/wire/wire.h"
#include "tools/trace/trace.h"

struct tuple {
    struct mp_ip a, b;
    uint16_t pa, pb;
};

struct flowref {
    struct at_sf *sf;
    int dir; /* subflow orientation of segments with this tuple's order */
};

struct state {
    struct at_analysis *a;
    const struct at_opts *o;
    GHashTable *flows;  /* struct tuple -> struct flowref */
    GHashTable *tokens; /* uint32 token -> struct at_conn * (either side's) */
};

static guint tuple_hash(gconstpointer p)
{
    const uint8_t *b = p;
    guint h = 2166136261u;
    for (size_t i = 0; i < sizeof(struct tuple); i++)
        h = (h ^ b[i]) * 16777619u;
    return h;
}

static gboolean tuple_eq(gconstpointer x, gconstpointer y)
{
    return memcmp(x, y, sizeof(struct tuple)) == 0;
}

static void tuple_set(struct tuple *t, const struct mp_ip *a, uint16_t pa, const struct mp_ip *b,
                      uint16_t pb)
{
    memset(t, 0, sizeof(*t));
    t->a = *a;
    t->b = *b;
    t->pa = pa;
    t->pb = pb;
}

static void ev_clear(gpointer p)
{
    struct at_event *e = p;
    g_free(e->event);
    g_free(e->detail);
}

static void sf_free(gpointer p)
{
    g_free(p);
}

static void conn_free(gpointer p)
{
    struct at_conn *c = p;
    for (int d = 0; d < 2; d++)
        if (c->d[d].sent)
            g_array_unref(c->d[d].sent);
    g_ptr_array_unref(c->sfs);
    g_array_unref(c->events);
    if (c->rows)
        g_array_unref(c->rows);
    g_free(c->fallback);
    g_free(c);
}

void at_analysis_free(struct at_analysis *a)
{
    if (!a)
        return;
    g_ptr_array_unref(a->conns);
    if (a->files)
        g_ptr_array_unref(a->files);
    g_free(a);
}

static void add_event(struct at_conn *c, int64_t t, int sf, int dir, const char *ev,
                      const char *fmt, ...) G_GNUC_PRINTF(6, 7);
static void add_event(struct at_conn *c, int64_t t, int sf, int dir, const char *ev,
                      const char *fmt, ...)
{
    struct at_event e = {.t = t, .sf = sf, .dir = dir, .event = g_strdup(ev)};
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        e.detail = g_strdup_vprintf(fmt, ap);
        va_end(ap);
    } else {
        e.detail = g_strdup("");
    }
    g_array_append_val(c->events, e);
}

static struct at_conn *new_conn(struct state *st, const struct at_seg *s)
{
    struct at_conn *c = g_new0(struct at_conn, 1);
    c->id = st->a->conns->len + 1;
    c->sfs = g_ptr_array_new_with_free_func(sf_free);
    c->events = g_array_new(false, true, sizeof(struct at_event));
    g_array_set_clear_func(c->events, ev_clear);
    if (st->o->keep_rows)
        c->rows = g_array_new(false, false, sizeof(struct at_row));
    c->ip[0] = s->src;
    c->ip[1] = s->dst;
    c->port[0] = s->sport;
    c->port[1] = s->dport;
    c->t_start = s->t;
    for (int d = 0; d < 2; d++)
        c->d[d].sent = g_array_new(false, false, sizeof(struct at_range));
    g_ptr_array_add(st->a->conns, c);
    return c;
}

static struct at_sf *new_sf(struct state *st, struct at_conn *c, const struct at_seg *s)
{
    struct at_sf *sf = g_new0(struct at_sf, 1);
    sf->id = c->sfs->len;
    sf->conn = c;
    sf->cip = s->src;
    sf->sip = s->dst;
    sf->cport = s->sport;
    sf->sport = s->dport;
    sf->client_id = sf->server_id = -1;
    sf->t_syn = s->t;
    sf->t_est = sf->t_end = -1;
    sf->rst_reason = -1;
    g_ptr_array_add(c->sfs, sf);
    struct tuple k;
    struct flowref *r = g_new(struct flowref, 1);
    tuple_set(&k, &s->src, s->sport, &s->dst, s->dport);
    *r = (struct flowref){sf, 0};
    g_hash_table_replace(st->flows, g_memdup2(&k, sizeof(k)), r);
    r = g_new(struct flowref, 1);
    tuple_set(&k, &s->dst, s->dport, &s->src, s->sport);
    *r = (struct flowref){sf, 1};
    g_hash_table_replace(st->flows, g_memdup2(&k, sizeof(k)), r);
    return sf;
}

static void set_key(struct state *st, struct at_conn *c, int side, uint64_t key)
{
    if (c->has_key[side])
        return;
    c->has_key[side] = true;
    c->key[side] = key;
    mp_mptcp_key_derive(key, &c->token[side], &c->idsn[side]);
    c->have_idsn[side] = true;
    g_hash_table_insert(st->tokens, GUINT_TO_POINTER(c->token[side]), c);
}

/* A 32-bit DSN or data ACK widened against the last 64-bit value seen of
 * that data sequence space. */
static uint64_t widen(uint64_t last, uint64_t v32)
{
    uint64_t v = (last & ~UINT64_C(0xffffffff)) | (v32 & 0xffffffff);
    int64_t d = (int64_t)(v - last);
    if (d > INT64_C(0x80000000))
        v -= UINT64_C(0x100000000);
    else if (d < -INT64_C(0x80000000))
        v += UINT64_C(0x100000000);
    return v;
}

static uint64_t dsn_abs(struct at_conn *c, int cdir, bool is64, uint64_t v)
{
    if (!is64) {
        uint64_t base = c->have_dsn[cdir] ? c->last_dsn[cdir]
                        : c->have_idsn[cdir] ? c->idsn[cdir] + 1
                                           : v;
        v = widen(base, v);
    }
    c->last_dsn[cdir] = v;
    c->have_dsn[cdir] = true;
    return v;
}

/* Relative DSN: 0 is IDSN + 1 of that direction's sender. Without the key
 * (a capture that starts mid-connection), the first DSN seen is 0. */
static uint64_t dsn_rel(struct at_conn *c, int cdir, uint64_t abs)
{
    if (!c->have_idsn[cdir]) {
        c->have_idsn[cdir] = true;
        c->idsn[cdir] = abs - 1;
    }
    return abs - (c->idsn[cdir] + 1);
}

/* The absolute DSN of relative subflow sequence |rel|: from the mapping
 * that covers it or, after a fallback (when the options went missing), from
 * the newest mapping, which the subflow's sequence then continues. */
static bool map_dsn(const struct at_sfdir *d, uint64_t rel, bool extrapolate, uint64_t *dsn)
{
    for (unsigned i = 0; i < d->nmaps; i++) {
        const struct at_map *m = &d->maps[(d->head + 64 - 1 - i) % 64];
        if (rel >= m->rel && rel - m->rel < m->len) {
            *dsn = m->dsn + (rel - m->rel);
            return true;
        }
    }
    if (extrapolate && d->nmaps > 0) {
        const struct at_map *m = &d->maps[(d->head + 64 - 1) % 64];
        *dsn = m->dsn + (rel - m->rel);
        return true;
    }
    return false;
}

static void add_map(struct at_sfdir *d, uint64_t dsn, uint64_t rel, uint32_t len)
{
    d->maps[d->head] = (struct at_map){dsn, rel, len};
    d->head = (d->head + 1) % 64;
    if (d->nmaps < 64)
        d->nmaps++;
}

/* Relative subflow sequence, unwrapped near what was sent before. */
static uint64_t rel_seq(const struct at_sfdir *d, uint32_t seq)
{
    uint32_t r32 = seq - d->isn - 1;
    uint64_t near = d->snd_max;
    uint64_t v = (near & ~UINT64_C(0xffffffff)) | r32;
    int64_t diff = (int64_t)(v - near);
    if (diff > INT64_C(0x80000000) && v >= UINT64_C(0x100000000))
        v -= UINT64_C(0x100000000);
    else if (diff < -INT64_C(0x80000000))
        v += UINT64_C(0x100000000);
    return v;
}

static void flags_str(uint16_t f, char *buf)
{
    static const struct {
        uint16_t bit;
        char c;
    } t[] = {{MP_TCP_SYN, 'S'}, {MP_TCP_ACK, 'A'}, {MP_TCP_FIN, 'F'}, {MP_TCP_RST, 'R'},
             {MP_TCP_PSH, 'P'}, {MP_TCP_URG, 'U'}, {MP_TCP_ECE, 'E'}, {MP_TCP_CWR, 'C'}};
    size_t n = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
        if (f & t[i].bit)
            buf[n++] = t[i].c;
    buf[n] = 0;
}

static void csv_u64(FILE *f, uint64_t v)
{
    if (v != UINT64_MAX)
        fprintf(f, "%" PRIu64, v);
}

/* The connection's ACK of direction |cdir| advanced to |ack| at |t|. */
static void ack_progress(struct at_cdir *d, uint64_t ack, int64_t t)
{
    if (d->have_ack && ack <= d->ack_max)
        return;
    bool outstanding = d->any && d->ack_max < d->bytes;
    if (outstanding && t - d->progress_t > d->max_stall)
        d->max_stall = t - d->progress_t;
    d->have_ack = true;
    d->ack_max = ack;
    d->progress_t = t;
    uint64_t acked = ack < d->bytes ? ack : d->bytes;
    if (acked > d->acked) {
        d->acked = acked;
        d->t_ack_last = t;
    }
}

/* New data in direction |cdir| up to |end| (relative) at |t|. */
static void data_sent(struct at_cdir *d, uint64_t end, int64_t t)
{
    if (!d->any) {
        d->any = true;
        d->t_first = t;
        d->progress_t = t;
    } else if (d->ack_max >= d->bytes) {
        d->progress_t = t; /* nothing was outstanding: a new wait starts */
    }
    if (end > d->bytes) {
        d->bytes = end;
        d->t_last_new = t;
    }
}

static void handle_options(struct state *st, struct at_sf *sf, int sdir, const struct at_seg *s)
{
    struct at_conn *c = sf->conn;
    int cdir = sdir ^ sf->flip;
    const struct mp_mptcp_opts *m = &s->mp;
    (void)st;
    if (m->present & MP_MPTCP_HAS_ADD_ADDR) {
        char ip[64];
        at_ip_str(&m->add_addr.addr, ip, sizeof(ip));
        if (m->add_addr.has_port)
            add_event(c, s->t, (int)sf->id, cdir, m->add_addr.echo ? "add-addr-echo" : "add-addr",
                      "id=%u addr=%s port=%u", m->add_addr.addr_id, ip, m->add_addr.port);
        else
            add_event(c, s->t, (int)sf->id, cdir, m->add_addr.echo ? "add-addr-echo" : "add-addr",
                      "id=%u addr=%s", m->add_addr.addr_id, ip);
    }
    if (m->present & MP_MPTCP_HAS_REMOVE_ADDR) {
        GString *ids = g_string_new("ids=");
        for (unsigned i = 0; i < m->rm.n; i++)
            g_string_append_printf(ids, i ? ",%u" : "%u", m->rm.ids[i]);
        add_event(c, s->t, (int)sf->id, cdir, "remove-addr", "%s", ids->str);
        g_string_free(ids, true);
    }
    if (m->present & MP_MPTCP_HAS_PRIO) {
        sf->backup = m->prio.backup;
        add_event(c, s->t, (int)sf->id, cdir, "mp-prio", "backup=%d", m->prio.backup ? 1 : 0);
    }
    if (m->present & MP_MPTCP_HAS_FAIL) {
        uint64_t rel = dsn_rel(c, cdir ^ 1, m->fail.dsn);
        add_event(c, s->t, (int)sf->id, cdir, "mp-fail", "dsn=%" PRIu64, rel);
    }
    if (m->present & MP_MPTCP_HAS_FASTCLOSE)
        add_event(c, s->t, (int)sf->id, cdir, "fastclose", "key=0x%016" PRIx64,
                  m->fastclose.rcv_key);
    if (m->present & MP_MPTCP_HAS_TCPRST) {
        add_event(c, s->t, (int)sf->id, cdir, "tcprst", "reason=%u %s", m->rst.reason,
                  mp_mptcp_rst_reason_name(m->rst.reason));
        sf->rst_reason = m->rst.reason;
    }
    if (m->present & MP_MPTCP_HAS_DSS) {
        const struct mp_mptcp_dss *dss = &m->dss;
        struct at_sfdir *d = &sf->d[sdir];
        if (dss->has_map) {
            uint64_t dsn = dsn_abs(c, cdir, dss->dsn64, dss->dsn);
            c->d[cdir].mappings++;
            if (dss->data_len == 0) {
                add_event(c, s->t, (int)sf->id, cdir, "infinite-mapping", NULL);
                if (!c->fallback)
                    c->fallback = g_strdup("infinite mapping");
                /* everything from here on this subflow maps 1:1 */
                add_map(d, dsn, dss->ssn ? (uint64_t)dss->ssn - 1 : 0, UINT32_MAX);
            } else if (dss->ssn == 0) {
                /* RFC 8684 3.3.1: a mapping with subflow sequence 0 is the
                 * DATA_FIN alone */
            } else {
                add_map(d, dsn, (uint64_t)dss->ssn - 1, dss->data_len);
            }
            if (st->o->mappings) {
                fprintf(st->o->mappings, "%.9f,%u,%u,%s,%" PRIu64 ",%" PRIu64 ",%u,%u,",
                        s->t / 1e9, c->id, sf->id, cdir ? "s2c" : "c2s", dsn,
                        dsn_rel(c, cdir, dsn), dss->ssn, dss->data_len);
                if (dss->has_csum)
                    fprintf(st->o->mappings, "%04x", dss->csum);
                fputc('\n', st->o->mappings);
            }
        }
        if (dss->data_fin && !c->d[cdir].data_fin) {
            c->d[cdir].data_fin = true;
            add_event(c, s->t, (int)sf->id, cdir, "data-fin", NULL);
        }
    }
}

/* Handshake and connection-level bookkeeping of one segment of |sf|. */
static void handle_handshake(struct state *st, struct at_sf *sf, int sdir, const struct at_seg *s)
{
    struct at_conn *c = sf->conn;
    const struct mp_mptcp_opts *m = &s->mp;
    bool syn = s->flags & MP_TCP_SYN, ackf = s->flags & MP_TCP_ACK;
    if (syn && ackf && sdir == 1 && !sf->synack) {
        sf->synack = true;
        sf->d[1].have_isn = true;
        sf->d[1].isn = s->seq;
        if (!sf->join) {
            if (sf->mpc_syn && (m->present & MP_MPTCP_HAS_CAPABLE) && m->mpc.version == 1) {
                c->mptcp = true;
                sf->client_id = sf->server_id = 0; /* RFC 8684 3.4.1 */
                if (m->mpc.flags & MP_MPC_FLAG_A)
                    c->csum = true;
                if (m->mpc.nkeys >= 1)
                    set_key(st, c, 1, m->mpc.snd_key);
            } else if (sf->mpc_syn) {
                c->fallback = g_strdup((m->present & MP_MPTCP_HAS_CAPABLE)
                                           ? "MP_CAPABLE version not 1 in SYN/ACK"
                                           : "no MP_CAPABLE in SYN/ACK");
                add_event(c, s->t, 0, 1, "fallback", "%s", c->fallback);
            }
        } else if (m->present & MP_MPTCP_HAS_JOIN) {
            sf->server_id = m->join.addr_id;
        }
        return;
    }
    if (!syn && ackf && sdir == 0 && sf->synack && !sf->established) {
        sf->established = true;
        sf->t_est = s->t;
        add_event(c, s->t, (int)sf->id, 0 ^ sf->flip, "established", NULL);
        if (!sf->join && c->mptcp && (m->present & MP_MPTCP_HAS_CAPABLE) && m->mpc.nkeys == 2) {
            set_key(st, c, 0, m->mpc.snd_key);
            set_key(st, c, 1, m->mpc.rcv_key);
        }
    }
    if (!sf->join && c->mptcp && sdir == 0 && (m->present & MP_MPTCP_HAS_CAPABLE) &&
        m->mpc.nkeys == 2) {
        set_key(st, c, 0, m->mpc.snd_key);
        if (m->mpc.has_data_len && s->len > 0 && !(m->present & MP_MPTCP_HAS_DSS)) {
            /* MP_CAPABLE with data (RFC 8684 3.1): the first data byte is
             * IDSN + 1 at subflow sequence 1 */
            add_map(&sf->d[0], c->idsn[0] + 1, 0, m->mpc.data_len);
        }
    }
}

static struct at_sf *open_flow(struct state *st, const struct at_seg *s)
{
    const struct mp_mptcp_opts *m = &s->mp;
    bool syn = (s->flags & (MP_TCP_SYN | MP_TCP_ACK)) == MP_TCP_SYN;
    struct at_conn *c = NULL;
    struct at_sf *sf;
    if (syn && (m->present & MP_MPTCP_HAS_JOIN) && m->join.kind == MP_JOIN_SYN) {
        c = g_hash_table_lookup(st->tokens, GUINT_TO_POINTER(m->join.token));
        if (c) {
            sf = new_sf(st, c, s);
            sf->join = true;
            /* the SYN goes to the side whose token it names */
            int server_side = c->has_key[1] && c->token[1] == m->join.token ? 1 : 0;
            sf->flip = server_side == 0;
            sf->client_id = m->join.addr_id;
            sf->backup = m->join.flags & MP_JOIN_FLAG_B;
            add_event(c, s->t, (int)sf->id, sf->flip, "syn", "join token=0x%08x id=%u%s",
                      m->join.token, m->join.addr_id, sf->backup ? " backup" : "");
            goto have;
        }
        c = new_conn(st, s);
        c->mptcp = true;
        c->unknown_join = true;
        c->fallback = NULL;
        sf = new_sf(st, c, s);
        sf->join = true;
        sf->client_id = m->join.addr_id;
        add_event(c, s->t, 0, 0, "syn", "join token=0x%08x: no connection has it", m->join.token);
        goto have;
    }
    c = new_conn(st, s);
    sf = new_sf(st, c, s);
    if (syn) {
        sf->mpc_syn = (m->present & MP_MPTCP_HAS_CAPABLE) != 0;
        add_event(c, s->t, 0, 0, "syn", sf->mpc_syn ? "MP_CAPABLE" : NULL);
    } else {
        /* the capture starts inside the connection: its sender is taken
         * for the client, its sequence numbers for the starts */
        add_event(c, s->t, 0, 0, "syn", "not seen: the capture starts mid-connection");
        sf->synack = sf->established = true;
        sf->d[0].have_isn = true;
        sf->d[0].isn = s->seq - 1;
        if (s->flags & MP_TCP_ACK) {
            sf->d[1].have_isn = true;
            sf->d[1].isn = s->ack - 1;
        }
        if (m->present & (MP_MPTCP_HAS_DSS | MP_MPTCP_HAS_CAPABLE))
            c->mptcp = true;
    }
have:
    if (syn) {
        sf->d[0].have_isn = true;
        sf->d[0].isn = s->seq;
    }
    return sf;
}

/* Adds [s, e) to the sorted, disjoint ranges |r| and returns how many of
 * its bytes were there already. Data is mostly sent in order, so the
 * array stays short: a hole lasts until the data around it is filled in. */
static uint64_t ranges_add(GArray *r, uint64_t s, uint64_t e)
{
    guint lo = 0, hi = r->len;
    /* the first range that ends at or after s */
    while (lo < hi) {
        guint mid = (lo + hi) / 2;
        if (g_array_index(r, struct at_range, mid).e < s)
            lo = mid + 1;
        else
            hi = mid;
    }
    uint64_t covered = 0, ns = s, ne = e;
    guint i = lo, j = lo;
    while (j < r->len && g_array_index(r, struct at_range, j).s <= e) {
        struct at_range *x = &g_array_index(r, struct at_range, j);
        uint64_t os = MAX(x->s, s), oe = MIN(x->e, e);
        if (oe > os)
            covered += oe - os;
        ns = MIN(ns, x->s);
        ne = MAX(ne, x->e);
        j++;
    }
    struct at_range m = {ns, ne};
    if (j > i)
        g_array_remove_range(r, i, j - i);
    g_array_insert_val(r, i, m);
    return covered;
}

static bool no_mptcp_option(const struct at_seg *s)
{
    return s->mp.present == 0;
}

static void handle_payload(struct at_sf *sf, int sdir, const struct at_seg *s, uint64_t rel,
                           uint64_t *dsn_out, enum at_class *cls)
{
    struct at_conn *c = sf->conn;
    int cdir = sdir ^ sf->flip;
    struct at_sfdir *d = &sf->d[sdir];
    struct at_cdir *cd = &c->d[cdir];
    uint64_t end = rel + s->len;
    d->payload += s->len;
    *dsn_out = UINT64_MAX;
    if (d->any_data && rel < d->snd_max) {
        uint64_t old = (end < d->snd_max ? end : d->snd_max) - rel;
        d->retrans += old;
        cd->retrans += old;
        *cls = AT_RETRANS;
    } else {
        *cls = AT_NEW;
    }
    bool new_sub = !d->any_data || end > d->snd_max;
    if (new_sub)
        d->snd_max = end;
    d->any_data = true;
    if (!c->mptcp) {
        if (new_sub)
            data_sent(cd, end, s->t);
        return;
    }
    uint64_t abs;
    bool have = map_dsn(d, rel, c->fallback != NULL, &abs);
    if (!have && sf->established && no_mptcp_option(s) && d->nmaps > 0) {
        /* RFC 8684 3.7: data without any MPTCP option once the connection
         * is up: the options went missing and the connection fell back */
        c->fallback = g_strdup("MPTCP options missing");
        add_event(c, s->t, (int)sf->id, cdir, "fallback", "%s", c->fallback);
        have = map_dsn(d, rel, true, &abs);
    }
    if (!have)
        return;
    uint64_t dsn = dsn_rel(c, cdir, abs);
    *dsn_out = dsn;
    /* data sequence sent before, on any subflow: a reinjection (the
     * subflows' packets interleave in any order on the wire, so this is a
     * question of ranges, not of the highest DSN) */
    uint64_t old = ranges_add(cd->sent, dsn, dsn + s->len);
    if (*cls == AT_NEW && old) {
        d->reinject += old;
        cd->reinject += old;
        *cls = AT_REINJECT;
    }
    if (new_sub)
        data_sent(cd, dsn + s->len, s->t);
}

static void handle_seg(struct state *st, const struct at_seg *s)
{
    struct tuple k;
    tuple_set(&k, &s->src, s->sport, &s->dst, s->dport);
    struct flowref *r = g_hash_table_lookup(st->flows, &k);
    bool pure_syn = (s->flags & (MP_TCP_SYN | MP_TCP_ACK)) == MP_TCP_SYN;
    struct at_sf *sf;
    int sdir;
    /* a pure SYN belongs to the flow of its tuple only as a retransmission
     * of that flow's SYN; otherwise it opens a new connection */
    bool same = r && (!pure_syn || (r->dir == 0 && r->sf->end == AT_OPEN &&
                                     r->sf->d[0].have_isn && r->sf->d[0].isn == s->seq));
    if (same) {
        sf = r->sf;
        sdir = r->dir;
    } else if (!pure_syn && (s->flags & MP_TCP_RST)) {
        st->a->ignored++; /* a RST for nothing we know */
        return;
    } else {
        sf = open_flow(st, s);
        sdir = 0;
    }
    struct at_conn *c = sf->conn;
    int cdir = sdir ^ sf->flip;
    struct at_sfdir *d = &sf->d[sdir];
    d->segments++;
    if (s->t > c->t_end)
        c->t_end = s->t;

    handle_handshake(st, sf, sdir, s);
    if (c->mptcp || sf->join)
        handle_options(st, sf, sdir, s);

    /* MP_JOIN refused: RST in answer to the SYN */
    if ((s->flags & MP_TCP_RST) && sf->join && !sf->established && sdir == 1)
        add_event(c, s->t, (int)sf->id, cdir, "join-refused",
                  sf->rst_reason >= 0 ? "reason=%d" : NULL, sf->rst_reason);

    uint64_t rel = 0;
    if (d->have_isn)
        rel = rel_seq(d, s->seq);
    uint64_t dsn = UINT64_MAX;
    enum at_class cls = AT_CTL;
    if (s->len > 0 && d->have_isn)
        handle_payload(sf, sdir, s, rel, &dsn, &cls);

    /* ACKs: the connection's data ACK (MPTCP) or the subflow ACK (plain TCP,
     * or MPTCP after a fallback, through the mappings) */
    uint64_t data_ack = UINT64_MAX;
    struct at_sfdir *od = &sf->d[sdir ^ 1];
    int adir = cdir ^ 1; /* the direction whose data is acknowledged */
    if (c->mptcp && (s->mp.present & MP_MPTCP_HAS_DSS) && s->mp.dss.has_ack &&
        c->have_idsn[adir]) {
        uint64_t base = c->idsn[adir] + 1;
        uint64_t abs = s->mp.dss.ack64 ? s->mp.dss.data_ack
                                       : widen(base + c->d[adir].ack_max, s->mp.dss.data_ack);
        data_ack = abs - base;
        ack_progress(&c->d[adir], data_ack, s->t);
    } else if ((s->flags & MP_TCP_ACK) && !(s->flags & MP_TCP_SYN) && od->have_isn &&
               (!c->mptcp || c->fallback)) {
        uint64_t a = (uint64_t)(uint32_t)(s->ack - od->isn - 1);
        if (!c->mptcp) {
            ack_progress(&c->d[adir], a, s->t);
        } else {
            uint64_t abs;
            if (a > 0 && c->have_idsn[adir] && map_dsn(od, a - 1, true, &abs))
                ack_progress(&c->d[adir], abs + 1 - (c->idsn[adir] + 1), s->t);
        }
    }

    if (s->flags & MP_TCP_FIN) {
        bool *fin = sdir == 0 ? &sf->fin_c : &sf->fin_s;
        if (!*fin) {
            *fin = true;
            add_event(c, s->t, (int)sf->id, cdir, "fin", NULL);
            if (sf->fin_c && sf->fin_s && sf->end == AT_OPEN) {
                sf->end = AT_FIN;
                sf->t_end = s->t;
            }
        }
    }
    if (s->flags & MP_TCP_RST) {
        if (sf->end != AT_RST)
            add_event(c, s->t, (int)sf->id, cdir, "rst", NULL);
        sf->end = AT_RST;
        sf->t_end = s->t;
    }

    if (st->o->segments) {
        char fl[12];
        flags_str(s->flags, fl);
        FILE *f = st->o->segments;
        fprintf(f, "%.9f,%u,%u,%s,%s,%u,", s->t / 1e9, c->id, sf->id, cdir ? "s2c" : "c2s",
                fl, s->len);
        if (s->flags & MP_TCP_SYN)
            fputs("-1", f);
        else
            fprintf(f, "%" PRIu64, rel);
        fputc(',', f);
        if ((s->flags & MP_TCP_ACK) && od->have_isn)
            fprintf(f, "%" PRIu64, (uint64_t)(uint32_t)(s->ack - od->isn - 1));
        fputc(',', f);
        csv_u64(f, dsn);
        fputc(',', f);
        csv_u64(f, data_ack);
        fprintf(f, ",%s\n", at_class_name(cls));
    }
    if (c->rows && s->len > 0) {
        struct at_row row = {.t = s->t, .sf = (uint16_t)sf->id, .dir = (uint8_t)cdir,
                             .klass = (uint8_t)cls, .len = s->len, .dsn = dsn,
                             .data_ack = data_ack};
        g_array_append_val(c->rows, row);
    }
}

/* At the end: data still outstanding has stalled since the ACK last moved,
 * until the observation ended (the last packet of any input, or the run's
 * end); a direction is complete when its last byte was acknowledged. */
static void finish(struct at_analysis *a, int64_t t_end)
{
    for (guint i = 0; i < a->conns->len; i++) {
        struct at_conn *c = a->conns->pdata[i];
        for (int d = 0; d < 2; d++) {
            struct at_cdir *cd = &c->d[d];
            if (cd->any && cd->ack_max < cd->bytes && t_end - cd->progress_t > cd->max_stall)
                cd->max_stall = t_end - cd->progress_t;
            cd->t_acked = cd->any && cd->acked == cd->bytes ? cd->t_ack_last : -1;
        }
    }
}

double at_goodput(const struct at_cdir *d)
{
    if (!d->any || d->t_ack_last <= d->t_first)
        return 0;
    return (double)d->acked * 8e9 / (double)(d->t_ack_last - d->t_first);
}

struct at_analysis *at_analyse(struct at_input *in, const struct at_opts *o, GError **err)
{
    struct state st = {0};
    st.a = g_new0(struct at_analysis, 1);
    st.a->conns = g_ptr_array_new_with_free_func(conn_free);
    st.o = o;
    st.flows = g_hash_table_new_full(tuple_hash, tuple_eq, g_free, g_free);
    st.tokens = g_hash_table_new(g_direct_hash, g_direct_equal);
    struct at_seg s;
    int rc;
    while ((rc = at_input_next(in, &s, err)) == 1)
        handle_seg(&st, &s);
    g_hash_table_destroy(st.flows);
    g_hash_table_destroy(st.tokens);
    if (rc < 0) {
        at_analysis_free(st.a);
        return NULL;
    }
    int64_t t_end = o->t_end;
    for (guint i = 0; i < st.a->conns->len; i++)
        t_end = MAX(t_end, ((struct at_conn *)st.a->conns->pdata[i])->t_end);
    st.a->t_end = t_end;
    finish(st.a, t_end);
    uint64_t ign;
    at_input_counts(in, &st.a->packets, &st.a->segments, &st.a->duplicates, &ign);
    st.a->ignored += ign;
    st.a->origin = at_input_origin(in);
    st.a->files = g_ptr_array_new_with_free_func(g_free);
    const GPtrArray *f = at_input_files(in);
    for (guint i = 0; i < f->len; i++)
        g_ptr_array_add(st.a->files, g_strdup(f->pdata[i]));
    return st.a;
}

struct at_conn *at_main_conn(const struct at_analysis *a)
{
    struct at_conn *best = NULL;
    for (guint i = 0; i < a->conns->len; i++) {
        struct at_conn *c = a->conns->pdata[i];
        if (!best || c->d[0].bytes + c->d[1].bytes > best->d[0].bytes + best->d[1].bytes)
            best = c;
    }
    return best;
}
