/*
 * afmp: TCP connection lifecycle: the per-host stack and its demux table,
 * connect/listen/accept, the owner's calls, state changes and the end of a
 * connection (RFC 9293 3.10.1-3.10.6).
 */
#include <errno.h>
#include <string.h>

#include "model/tcp/tcp_int.h"
#include "model/trace.h"

static const char *const state_names[] = {
    "CLOSED",     "LISTEN",     "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
    "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK",     "TIME-WAIT",
};

const char *mp_tcp_state_name(enum mp_tcp_state s)
{
    return (unsigned)s < MP_ARRAY_LEN(state_names) ? state_names[s] : "?";
}

void mp_tcp_opts_default(struct mp_tcp_opts *o)
{
    memset(o, 0, sizeof(*o));
    /* net.ipv4.tcp_rmem and tcp_wmem; a connection starts at the middle
     * values and autotunes. */
    o->rmem[0] = 4096;
    o->rmem[1] = 131072;
    o->rmem[2] = 6u << 20;
    o->wmem[0] = 4096;
    o->wmem[1] = 16384;
    o->wmem[2] = 4u << 20;
    o->rcvbuf = o->rmem[1];
    o->sndbuf = o->wmem[1];
    o->sack = true;
    o->timestamps = true;
    o->wscale = true;
    o->nagle = true;
    o->cc = "cubic";
    o->time_wait = MP_S(60);
    o->delack_min = MP_MS(40);
    o->syn_retries = 6;
    o->synack_retries = 5;
    o->retries2 = 15;
    o->keepalive_time = MP_S(7200);
    o->keepalive_intvl = MP_S(75);
    o->keepalive_probes = 9;
}

/* ---- demux table ---- */

/* A word at a time (the byte-wise FNV this replaces was 2-3% of a bulk
 * transfer, one lookup per segment). make_key() zeroes the padding. Only
 * lookups use the table, never its order, so the hash cannot change a run. */
static guint key_hash(gconstpointer p)
{
    uint64_t w[(sizeof(struct mp_tcp_key) + 7) / 8] = {0};
    memcpy(w, p, sizeof(struct mp_tcp_key));
    uint64_t h = UINT64_C(0x9e3779b97f4a7c15);
    for (size_t i = 0; i < G_N_ELEMENTS(w); i++) {
        h = (h ^ w[i]) * UINT64_C(0xbf58476d1ce4e5b9);
        h ^= h >> 29;
    }
    return (guint)(h ^ (h >> 32));
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    return memcmp(a, b, sizeof(struct mp_tcp_key)) == 0;
}

static void make_key(struct mp_tcp_key *k, const struct mp_ip *l, uint16_t lport,
                     const struct mp_ip *r, uint16_t rport)
{
    memset(k, 0, sizeof(*k));
    k->v = l->v;
    memcpy(k->laddr, l->b, 16);
    memcpy(k->raddr, r->b, 16);
    k->lport = lport;
    k->rport = rport;
}

static bool ip_unspec(const struct mp_ip *ip)
{
    if (ip->v == 0)
        return true;
    for (size_t i = 0; i < mp_ip_len(ip); i++)
        if (ip->b[i])
            return false;
    return true;
}

struct mp_tcp_conn *mp_tcp_lookup(struct mp_tcp_stack *st, const struct mp_ip *laddr,
                                  uint16_t lport, const struct mp_ip *raddr, uint16_t rport)
{
    struct mp_tcp_key k;
    make_key(&k, laddr, lport, raddr, rport);
    /* Fibonacci hashing of the ports: the top 3 bits pick one of 8. */
    unsigned slot = ((uint32_t)(lport ^ rport) * UINT32_C(0x9e3779b1)) >> 29;
    struct mp_tcp_conn *c = st->demux_cache[slot];
    if (c && memcmp(&c->key, &k, sizeof(k)) == 0)
        return c;
    c = g_hash_table_lookup(st->conns, &k);
    if (c) {
        st->demux_cache[slot] = c;
        return c;
    }
    /* Listeners: an exact address beats a wildcard (Linux scores them so). */
    struct mp_tcp_conn *wild = NULL;
    for (guint i = 0; i < st->listeners->len; i++) {
        struct mp_tcp_conn *l = st->listeners->pdata[i];
        if (l->local.port != lport)
            continue;
        if (mp_ip_eq(&l->local.ip, laddr))
            return l;
        if (!wild && ip_unspec(&l->local.ip) && (l->local.ip.v == 0 || l->local.ip.v == laddr->v))
            wild = l;
    }
    return wild;
}

int mp_tcp_hash(struct mp_tcp_conn *c)
{
    make_key(&c->key, &c->local.ip, c->local.port, &c->remote.ip, c->remote.port);
    if (g_hash_table_contains(c->st->conns, &c->key))
        return -EADDRINUSE;
    g_hash_table_insert(c->st->conns, &c->key, c);
    c->hashed = true;
    return 0;
}

static void unhash(struct mp_tcp_conn *c)
{
    if (c->hashed) {
        g_hash_table_remove(c->st->conns, &c->key);
        c->hashed = false;
        for (size_t i = 0; i < G_N_ELEMENTS(c->st->demux_cache); i++)
            if (c->st->demux_cache[i] == c)
                c->st->demux_cache[i] = NULL;
    }
    g_ptr_array_remove(c->st->listeners, c);
}

/* ---- life ---- */

struct mp_tcp_conn *mp_tcp_conn_new(struct mp_tcp_stack *st, const struct mp_tcp_opts *o)
{
    struct mp_tcp_conn *c = g_new0(struct mp_tcp_conn, 1);
    c->st = st;
    c->id = st->next_id++;
    c->o = o ? *o : st->defaults;
    c->state = MP_TCP_CLOSED;
    g_queue_init(&c->acceptq);
    mp_deadline_init(&c->dl, mp_tcp_expire, c);
    c->rto_at = c->persist_at = c->ka_at = c->tw_at = c->delack_at = MP_TIME_NEVER;
    c->last_oow_ack = MP_TIME_NEVER;
    c->rack_at = c->tlp_at = c->retrans_stamp = MP_TIME_NEVER;
    c->pace_at = c->rcv_rtt_time = MP_TIME_NEVER;
    mp_rack_init(&c->rack);
    mp_rtt_init(&c->rtt, NULL);
    mp_tcp_buf_init(c);
    mp_reass_init(&c->rq, c->rcvbuf);
    c->mss = MP_TCP_DEFAULT_MSS;
    g_ptr_array_add(st->all, c);
    return c;
}

static void conn_free(struct mp_tcp_conn *c)
{
    if (c->zombie)
        g_ptr_array_remove_fast(c->st->zombies, c);
    mp_env_deadline_stop(c->st->env, &c->dl);
    mp_sndbuf_clear(&c->sb);
    mp_rtxq_clear(&c->q);
    mp_reass_clear(&c->rq);
    if (c->cc_ok)
        mp_cc_release(&c->cc);
    mp_pkt_queue_purge(&c->rcvq);
    g_queue_clear(&c->acceptq);
    g_free(c);
}

void mp_tcp_enter(struct mp_tcp_conn *c)
{
    c->busy++;
}

void mp_tcp_leave(struct mp_tcp_conn *c)
{
    if (--c->busy == 0 && c->dead && !c->owned)
        conn_free(c);
}

/* Removes |c| from the stack; it is freed once nobody holds it. */
static void conn_unlink(struct mp_tcp_conn *c)
{
    if (c->dead)
        return;
    unhash(c);
    g_ptr_array_remove(c->st->all, c);
    mp_env_deadline_stop(c->st->env, &c->dl);
    c->rto_at = c->persist_at = c->ka_at = c->tw_at = c->delack_at = MP_TIME_NEVER;
    c->rack_at = c->tlp_at = c->pace_at = MP_TIME_NEVER;
    c->dead = true;
    if (c->listener) {
        c->listener->nchildren--;
        g_queue_remove(&c->listener->acceptq, c);
        c->listener = NULL;
    }
    if (c->owned) {
        /* The owner frees it with mp_tcp_close(); until then the stack
         * remembers it, so mp_tcp_detach() frees it if that never comes. */
        c->zombie = true;
        g_ptr_array_add(c->st->zombies, c);
    }
    if (c->busy == 0 && !c->owned)
        conn_free(c);
}

void mp_tcp_set_state(struct mp_tcp_conn *c, enum mp_tcp_state s, mp_time_t now)
{
    enum mp_tcp_state from = c->state;
    if (from == s)
        return;
    c->state = s;
    if (mp_env_tracing(c->st->env, MP_TRACE_TCP)) {
        struct mp_trace_rec r;
        mp_trace_begin(&r, now, c->st->h->name, "tcp.state");
        mp_trace_u64(&r, "conn", c->id);
        mp_trace_str(&r, "from", mp_tcp_state_name(from));
        mp_trace_str(&r, "to", mp_tcp_state_name(s));
        /* The 4-tuple once it is known, so that analysers can tie a
         * connection's records to the packets of a capture. */
        if (s == MP_TCP_SYN_SENT || s == MP_TCP_SYN_RECEIVED || s == MP_TCP_ESTABLISHED) {
            mp_trace_ip(&r, "local", &c->local.ip);
            mp_trace_u64(&r, "lport", c->local.port);
            mp_trace_ip(&r, "remote", &c->remote.ip);
            mp_trace_u64(&r, "rport", c->remote.port);
        }
        mp_trace_end(&r, c->st->env);
    }
    if (s == MP_TCP_TIME_WAIT)
        MP_TCP_CTR(c, TCP_TW);
    if (c->ext && c->ext->state_change)
        c->ext->state_change(c->ext_arg, c, from, s, now);
    if (c->owned && c->cbs.state_change)
        c->cbs.state_change(c->cbs.arg, c, from, s, now);
}

void mp_tcp_done(struct mp_tcp_conn *c, int err, mp_time_t now)
{
    if (c->dead)
        return;
    if (err)
        c->err = err;
    if (c->state == MP_TCP_SYN_SENT || c->state == MP_TCP_SYN_RECEIVED)
        MP_TCP_CTR(c, TCP_ATTEMPT_FAILS);
    mp_tcp_set_state(c, MP_TCP_CLOSED, now);
    /* An owned connection survives the unlink (the owner frees it with
     * close), so the callback may use it. */
    bool notify = c->owned && c->cbs.closed;
    conn_unlink(c);
    if (notify)
        c->cbs.closed(c->cbs.arg, c, err, now);
}

void mp_tcp_child_established(struct mp_tcp_conn *c, mp_time_t now)
{
    struct mp_tcp_conn *l = c->listener;
    if (!l)
        return;
    g_queue_push_tail(&l->acceptq, c);
    if (l->owned && l->cbs.accept_ready)
        l->cbs.accept_ready(l->cbs.arg, l, now);
}

/* ---- the stack ---- */

struct mp_tcp_stack *mp_tcp_attach(struct mp_host *h, const struct mp_tcp_opts *defaults)
{
    struct mp_tcp_stack *st = g_new0(struct mp_tcp_stack, 1);
    st->h = h;
    st->env = h->env;
    if (defaults)
        st->defaults = *defaults;
    else
        mp_tcp_opts_default(&st->defaults);
    char *name = g_strdup_printf("host/%s/tcp/isn", h->name);
    mp_env_rng(h->env, name, &st->isn_rng);
    g_free(name);
    name = g_strdup_printf("host/%s/tcp/challenge", h->name);
    mp_env_rng(h->env, name, &st->challenge_rng);
    g_free(name);
    st->challenge_second = UINT64_MAX;
    st->conns = g_hash_table_new(key_hash, key_equal);
    st->listeners = g_ptr_array_new();
    st->all = g_ptr_array_new();
    st->zombies = g_ptr_array_new();
    st->next_id = 1;
    struct mp_l4_proto p = {.input = mp_tcp_input, .error = mp_tcp_icmp_error, .arg = st};
    mp_host_set_l4(h, MP_IPPROTO_TCP, &p);
    return st;
}

struct mp_tcp_stack *mp_tcp_stack_of(struct mp_host *h)
{
    if (h->l4[MP_IPPROTO_TCP].input != mp_tcp_input)
        return NULL;
    return h->l4[MP_IPPROTO_TCP].arg;
}

void mp_tcp_detach(struct mp_tcp_stack *st)
{
    if (mp_tcp_stack_of(st->h) == st)
        mp_host_set_l4(st->h, MP_IPPROTO_TCP, NULL);
    /* Owned connections the owner never closed are freed too: the end of a
     * simulation frees everything. */
    while (st->all->len) {
        struct mp_tcp_conn *c = st->all->pdata[st->all->len - 1];
        c->owned = false;
        c->busy = 0;
        conn_unlink(c);
    }
    while (st->zombies->len)
        conn_free(st->zombies->pdata[st->zombies->len - 1]);
    g_ptr_array_unref(st->zombies);
    g_hash_table_unref(st->conns);
    g_ptr_array_unref(st->listeners);
    g_ptr_array_unref(st->all);
    g_free(st->scratch);
    g_free(st);
}

static bool port_in_use(void *arg, uint16_t port)
{
    struct mp_tcp_stack *st = arg;
    for (guint i = 0; i < st->all->len; i++) {
        const struct mp_tcp_conn *c = st->all->pdata[i];
        if (c->local.port == port)
            return true;
    }
    return false;
}

static void set_cbs(struct mp_tcp_conn *c, const struct mp_tcp_cbs *cbs)
{
    if (cbs)
        c->cbs = *cbs;
    else
        memset(&c->cbs, 0, sizeof(c->cbs));
}

int mp_tcp_connect(struct mp_tcp_stack *st, const struct mp_endpoint *local,
                   const struct mp_endpoint *remote, const struct mp_tcp_opts *o,
                   const struct mp_tcp_cbs *cbs, struct mp_tcp_conn **out, mp_time_t now)
{
    return mp_tcp_connect_ext(st, local, remote, o, cbs, NULL, NULL, out, now);
}

int mp_tcp_connect_ext(struct mp_tcp_stack *st, const struct mp_endpoint *local,
                       const struct mp_endpoint *remote, const struct mp_tcp_opts *o,
                       const struct mp_tcp_cbs *cbs, const struct mp_tcp_ext *ext,
                       void *ext_arg, struct mp_tcp_conn **out, mp_time_t now)
{
    if (remote->ip.v != 4 && remote->ip.v != 6)
        return -EINVAL;
    if (local && local->ip.v && local->ip.v != remote->ip.v)
        return -EINVAL;
    const struct mp_tcp_opts *oo = o ? o : &st->defaults;
    if (!mp_cc_lookup(oo->cc ? oo->cc : "cubic"))
        return -ENOENT;
    struct mp_host_route rt;
    const struct mp_ip *src = local && !ip_unspec(&local->ip) ? &local->ip : NULL;
    int rc = mp_host_route(st->h, src, &remote->ip, 0, &rt);
    if (rc < 0)
        return rc;
    struct mp_tcp_conn *c = mp_tcp_conn_new(st, oo);
    c->local.ip = rt.src;
    c->local.port = local ? local->port : 0;
    c->remote = *remote;
    if (c->local.port == 0)
        c->local.port = mp_host_pick_port(st->h, port_in_use, st);
    if (c->local.port == 0 || mp_tcp_hash(c) < 0) {
        conn_unlink(c);
        return -EADDRINUSE;
    }
    c->owned = true;
    set_cbs(c, cbs);
    c->ext = ext;
    c->ext_arg = ext_arg;
    uint32_t hdr = remote->ip.v == 4 ? 40 : 60;
    c->mss_clamp = c->o.mss ? c->o.mss : (rt.mtu > hdr ? rt.mtu - hdr : MP_TCP_DEFAULT_MSS);
    c->iss = mp_rng_u32(&st->isn_rng);
    c->ts_offset = mp_rng_u32(&st->isn_rng);
    c->snd_una = c->iss;
    c->snd_nxt = c->iss;
    mp_rtxq_init(&c->q, c->iss);
    mp_sndbuf_init(&c->sb, c->iss + 1, c->o.sndbuf);
    c->active_open = true;
    MP_TCP_CTR(c, TCP_ACTIVE_OPENS);
    mp_tcp_set_state(c, MP_TCP_SYN_SENT, now);
    mp_tcp_enter(c);
    *out = c; /* before the SYN: the extension may look for it */
    mp_tcp_send_syn(c, false, now);
    mp_tcp_leave(c);
    return 0;
}

int mp_tcp_listen(struct mp_tcp_stack *st, const struct mp_endpoint *local, int backlog,
                  const struct mp_tcp_opts *o, const struct mp_tcp_cbs *cbs,
                  struct mp_tcp_conn **out)
{
    if (local->ip.v != 0 && local->ip.v != 4 && local->ip.v != 6)
        return -EINVAL;
    if (local->port == 0)
        return -EINVAL;
    for (guint i = 0; i < st->listeners->len; i++) {
        const struct mp_tcp_conn *l = st->listeners->pdata[i];
        if (l->local.port == local->port && l->local.ip.v == local->ip.v &&
            mp_ip_eq(&l->local.ip, &local->ip))
            return -EADDRINUSE;
    }
    struct mp_tcp_conn *c = mp_tcp_conn_new(st, o);
    c->local = *local;
    c->owned = true;
    c->backlog = backlog > 0 ? (uint32_t)backlog : 1;
    set_cbs(c, cbs);
    c->state = MP_TCP_LISTEN;
    g_ptr_array_add(st->listeners, c);
    *out = c;
    return 0;
}

struct mp_tcp_conn *mp_tcp_accept(struct mp_tcp_conn *l)
{
    struct mp_tcp_conn *c = g_queue_pop_head(&l->acceptq);
    if (!c)
        return NULL;
    l->nchildren--;
    c->listener = NULL;
    c->owned = true;
    return c;
}

void mp_tcp_claim(struct mp_tcp_conn *c)
{
    struct mp_tcp_conn *l = c->listener;
    if (l) {
        l->nchildren--;
        g_queue_remove(&l->acceptq, c);
        c->listener = NULL;
    }
    c->owned = true;
}

void mp_tcp_ack_now(struct mp_tcp_conn *c, mp_time_t now)
{
    if (c->dead || c->state == MP_TCP_LISTEN || c->state == MP_TCP_SYN_SENT ||
        c->state == MP_TCP_SYN_RECEIVED || c->state == MP_TCP_CLOSED)
        return;
    mp_tcp_enter(c);
    c->ack_now = true;
    mp_tcp_output(c, now);
    mp_tcp_leave(c);
}

void mp_tcp_send_pure_ack(struct mp_tcp_conn *c, mp_time_t now)
{
    if (c->dead || c->state == MP_TCP_LISTEN || c->state == MP_TCP_SYN_SENT ||
        c->state == MP_TCP_SYN_RECEIVED || c->state == MP_TCP_CLOSED)
        return;
    mp_tcp_enter(c);
    mp_tcp_send_ack(c, now);
    mp_tcp_leave(c);
}

void mp_tcp_push(struct mp_tcp_conn *c, mp_time_t now)
{
    if (c->dead || c->state == MP_TCP_LISTEN || c->state == MP_TCP_CLOSED)
        return;
    mp_tcp_enter(c);
    /* A window update when the extension's window grew enough to matter
     * (Linux tcp_cleanup_rbuf: the new window is at least twice the
     * advertised one). */
    if (c->ext && c->ext->rcv_wnd && c->state != MP_TCP_SYN_SENT &&
        c->state != MP_TCP_SYN_RECEIVED) {
        uint32_t adv = mp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
        uint32_t wnd = mp_tcp_window_to_advertise(c);
        if (wnd >= 2 * adv && wnd - adv >= 2 * c->mss)
            c->ack_now = true;
    }
    mp_tcp_output(c, now);
    mp_tcp_leave(c);
}

bool mp_tcp_fin_rcvd(const struct mp_tcp_conn *c)
{
    return c->fin_rcvd;
}

const struct mp_tcp_opts *mp_tcp_stack_defaults(const struct mp_tcp_stack *st)
{
    return &st->defaults;
}

size_t mp_tcp_accept_pending(const struct mp_tcp_conn *l)
{
    return l->acceptq.length;
}

int mp_tcp_peek_error(const struct mp_tcp_conn *c)
{
    return c->err;
}

void mp_tcp_want_writable(struct mp_tcp_conn *c)
{
    c->writable_armed = true;
}

void mp_tcp_set_nagle(struct mp_tcp_conn *c, bool on)
{
    c->o.nagle = on;
}

bool mp_tcp_port_held(const struct mp_tcp_stack *st, uint16_t port, bool orphans)
{
    for (guint i = 0; i < st->all->len; i++) {
        const struct mp_tcp_conn *c = st->all->pdata[i];
        if (c->local.port == port && (!orphans || !c->owned))
            return true;
    }
    return false;
}

uint32_t mp_tcp_snd_wnd(const struct mp_tcp_conn *c)
{
    return c->snd_wnd;
}

uint32_t mp_tcp_in_flight(const struct mp_tcp_conn *c)
{
    return c->state >= MP_TCP_SYN_SENT ? mp_rtxq_in_flight(&c->q) : 0;
}

mp_time_t mp_tcp_rto(const struct mp_tcp_conn *c)
{
    return mp_rtt_rto(&c->rtt);
}

mp_time_t mp_tcp_last_rcv(const struct mp_tcp_conn *c)
{
    return c->last_rcv;
}

void mp_tcp_penalise(struct mp_tcp_conn *c)
{
    if (!c->cc_ok)
        return;
    c->cc.cwnd = MAX(c->cc.cwnd / 2u, 1u);
    c->cc.ssthresh = MAX(c->cc.cwnd, 2u);
}

mp_time_t mp_tcp_srtt(const struct mp_tcp_conn *c)
{
    return mp_rtt_srtt(&c->rtt);
}

uint32_t mp_tcp_backoff(const struct mp_tcp_conn *c)
{
    return c->rtt.backoff;
}

uint32_t mp_tcp_snd_nxt(const struct mp_tcp_conn *c)
{
    return c->snd_nxt;
}

uint64_t mp_tcp_pacing_rate(const struct mp_tcp_conn *c)
{
    return c->pacing_rate;
}

uint32_t mp_tcp_unacked(const struct mp_tcp_conn *c)
{
    return c->snd_nxt - c->snd_una;
}

bool mp_tcp_can_send(const struct mp_tcp_conn *c)
{
    if (c->dead || !c->cc_ok || c->wr_shut)
        return false;
    if (c->state != MP_TCP_ESTABLISHED && c->state != MP_TCP_CLOSE_WAIT)
        return false;
    uint32_t wnd_end = c->snd_una + c->snd_wnd;
    if (!mp_seq_gt(wnd_end, c->snd_nxt))
        return false;
    return mp_rtxq_in_flight(&c->q) < mp_cc_cwnd_bytes(&c->cc);
}

void mp_tcp_set_cbs(struct mp_tcp_conn *c, const struct mp_tcp_cbs *cbs)
{
    set_cbs(c, cbs);
}

/* ---- data ---- */

uint32_t mp_tcp_rcv_space(const struct mp_tcp_conn *c)
{
    size_t held = mp_tcp_rcvq_held(c);
    size_t full = mp_tcp_rcv_full_space(c);
    return held >= full ? 0 : (uint32_t)MIN(full - held, (size_t)UINT32_MAX);
}

size_t mp_tcp_readable(const struct mp_tcp_conn *c)
{
    return mp_tcp_rcvq_held(c);
}

size_t mp_tcp_writable(const struct mp_tcp_conn *c)
{
    if (c->state == MP_TCP_CLOSED || c->state == MP_TCP_LISTEN || c->wr_shut)
        return 0;
    return mp_sndbuf_space(&c->sb);
}

void mp_tcp_notify_readable(struct mp_tcp_conn *c, mp_time_t now)
{
    if (c->owned && c->cbs.readable)
        c->cbs.readable(c->cbs.arg, c, now);
}

/* mp_tcp_send, of |data| or (|gen|) of generated bytes. */
static ssize_t send_from(struct mp_tcp_conn *c, const void *data, bool gen, size_t len, mp_time_t now)
{
    switch (c->state) {
    case MP_TCP_SYN_SENT:
    case MP_TCP_SYN_RECEIVED:
    case MP_TCP_ESTABLISHED:
    case MP_TCP_CLOSE_WAIT:
        break;
    case MP_TCP_LISTEN:
        return -ENOTCONN;
    case MP_TCP_CLOSED:
        if (c->err)
            return c->err == -ECONNREFUSED || c->err == -ETIMEDOUT ? c->err : -EPIPE;
        return -ENOTCONN;
    default:
        return -EPIPE;
    }
    if (c->wr_shut)
        return -EPIPE;
    size_t n = gen ? mp_sndbuf_append_pattern(&c->sb, len) : mp_sndbuf_append(&c->sb, data, len);
    if (n < len)
        c->writable_armed = true;
    if (c->busy == 0 && (c->state == MP_TCP_ESTABLISHED || c->state == MP_TCP_CLOSE_WAIT)) {
        mp_tcp_enter(c);
        mp_tcp_output(c, now);
        mp_tcp_leave(c);
    }
    return (ssize_t)n;
}

ssize_t mp_tcp_send(struct mp_tcp_conn *c, const void *data, size_t len, mp_time_t now)
{
    return send_from(c, data, false, len, now);
}

ssize_t mp_tcp_send_fill(struct mp_tcp_conn *c, size_t len, mp_sndbuf_pattern_fn fill, void *arg,
                         mp_time_t now)
{
    if (!mp_sndbuf_use_pattern(&c->sb, fill, arg))
        return -EINVAL;
    return send_from(c, NULL, true, len, now);
}

ssize_t mp_tcp_recv(struct mp_tcp_conn *c, void *buf, size_t len, mp_time_t now)
{
    if (c->state == MP_TCP_LISTEN)
        return -ENOTCONN;
    size_t avail = mp_tcp_rcvq_held(c);
    if (avail == 0) {
        if (c->fin_rcvd)
            return 0;
        if (c->err)
            return c->err;
        if (c->state == MP_TCP_CLOSED)
            return 0;
        return -EAGAIN;
    }
    uint32_t wnd_before = mp_tcp_window_to_advertise(c);
    size_t n = MIN(avail, len);
    uint8_t *out = buf;
    for (size_t left = n; left > 0;) {
        struct mp_pkt *p = c->rcvq.head;
        size_t k = MIN(left, (size_t)(p->len - c->rcvq_off));
        memcpy(out, p->data + c->rcvq_off, k);
        out += k;
        left -= k;
        c->rcvq_off += (uint32_t)k;
        if (c->rcvq_off == p->len) {
            mp_pkt_free(mp_pkt_queue_pop(&c->rcvq));
            c->rcvq_off = 0;
        }
    }
    c->copied_seq += (uint32_t)n;
    mp_tcp_rcv_space_adjust(c, now);
    /* Linux (tcp_cleanup_rbuf): a window update when reading opened the
     * window by at least twice the MSS from what was advertised, and the
     * old one was small. */
    uint32_t wnd_after = mp_tcp_window_to_advertise(c);
    if (!c->dead && c->busy == 0 && c->state >= MP_TCP_ESTABLISHED &&
        c->state != MP_TCP_TIME_WAIT && wnd_after >= wnd_before + 2 * c->mss &&
        (uint32_t)(c->rcv_adv - c->rcv_nxt) < mp_tcp_rcv_full_space(c) / 2) {
        mp_tcp_enter(c);
        mp_tcp_send_ack(c, now);
        mp_tcp_leave(c);
    }
    return (ssize_t)n;
}

int mp_tcp_shutdown_wr(struct mp_tcp_conn *c, mp_time_t now)
{
    switch (c->state) {
    case MP_TCP_LISTEN:
    case MP_TCP_CLOSED:
        return -ENOTCONN;
    case MP_TCP_SYN_SENT:
        /* RFC 9293 3.10.4: no data sent yet: delete the connection. */
        if (mp_sndbuf_bytes(&c->sb) == 0) {
            mp_tcp_done(c, 0, now);
            return 0;
        }
        c->wr_shut = true;
        return 0;
    case MP_TCP_ESTABLISHED:
    case MP_TCP_SYN_RECEIVED:
    case MP_TCP_CLOSE_WAIT:
        break;
    default:
        return 0;
    }
    if (c->wr_shut)
        return 0;
    c->wr_shut = true;
    if (c->state == MP_TCP_SYN_RECEIVED)
        return 0; /* RFC 9293 3.10.4: FIN once established */
    mp_tcp_set_state(c, c->state == MP_TCP_CLOSE_WAIT ? MP_TCP_LAST_ACK : MP_TCP_FIN_WAIT_1, now);
    mp_tcp_enter(c);
    mp_tcp_output(c, now);
    mp_tcp_leave(c);
    return 0;
}

void mp_tcp_close(struct mp_tcp_conn *c, mp_time_t now)
{
    mp_tcp_enter(c);
    if (c->state == MP_TCP_LISTEN) {
        struct mp_tcp_conn *ch;
        while ((ch = g_queue_pop_head(&c->acceptq))) {
            ch->listener = NULL;
            c->nchildren--;
            mp_tcp_abort(ch, now);
        }
        /* Children still in SYN-RECEIVED are reset too. */
        for (guint i = c->st->all->len; i-- > 0;) {
            ch = c->st->all->pdata[i];
            if (ch->listener == c) {
                ch->listener = NULL;
                c->nchildren--;
                ch->owned = true;
                mp_tcp_abort(ch, now);
            }
        }
        c->owned = false;
        mp_tcp_done(c, 0, now);
    } else if (c->state == MP_TCP_CLOSED || c->state == MP_TCP_SYN_SENT) {
        c->owned = false;
        mp_tcp_done(c, 0, now);
    } else if (mp_tcp_readable(c) > 0 && !c->dead) {
        /* RFC 9293 3.10.4 / Linux tcp_close: unread data is lost, so the
         * peer learns at once with a RST. */
        MP_TCP_CTR(c, TCP_ABORT_ON_CLOSE);
        mp_tcp_abort(c, now);
    } else {
        c->owned = false;
        if (!c->wr_shut)
            mp_tcp_shutdown_wr(c, now);
    }
    c->owned = false;
    mp_tcp_leave(c);
}

void mp_tcp_abort(struct mp_tcp_conn *c, mp_time_t now)
{
    mp_tcp_enter(c);
    c->owned = false;
    switch (c->state) {
    case MP_TCP_SYN_RECEIVED:
    case MP_TCP_ESTABLISHED:
    case MP_TCP_FIN_WAIT_1:
    case MP_TCP_FIN_WAIT_2:
    case MP_TCP_CLOSE_WAIT:
        mp_tcp_send_rst(c, now);
        break;
    default:
        break;
    }
    mp_tcp_done(c, 0, now);
    mp_tcp_leave(c);
}

/* ---- accessors ---- */

enum mp_tcp_state mp_tcp_conn_state(const struct mp_tcp_conn *c)
{
    return c->state;
}

void mp_tcp_get_info(const struct mp_tcp_conn *c, struct mp_tcp_info *out)
{
    memset(out, 0, sizeof(*out));
    out->state = c->state;
    out->mss = c->mss;
    out->cwnd = c->cc_ok ? c->cc.cwnd : 0;
    out->ssthresh = c->cc_ok ? c->cc.ssthresh : 0;
    out->srtt = mp_rtt_srtt(&c->rtt);
    out->rttvar = c->rtt.rttvar;
    out->rto = mp_rtt_rto(&c->rtt);
    out->in_flight = c->state >= MP_TCP_SYN_SENT ? mp_rtxq_in_flight(&c->q) : 0;
    out->snd_wnd = c->snd_wnd;
    out->rcv_wnd = c->rcv_adv - c->rcv_nxt;
    out->snd_una = c->snd_una;
    out->snd_nxt = c->snd_nxt;
    out->rcv_nxt = c->rcv_nxt;
    out->iss = c->iss;
    out->irs = c->irs;
    out->snd_wscale = c->snd_ws;
    out->rcv_wscale = c->rcv_ws;
    out->sack_ok = c->sack_ok;
    out->ts_ok = c->ts_ok;
    out->bytes_acked = c->bytes_acked;
    out->bytes_received = c->bytes_received;
    out->retrans_segs = c->retrans_segs;
    out->backoff = c->rtt.backoff;
    out->rcvbuf = c->rcvbuf;
    out->sndbuf = c->sb.limit ? c->sb.limit : c->o.sndbuf;
    out->pacing_rate = c->pacing_rate;
    out->ato = c->ato;
    out->rcv_rtt = c->rcv_rtt;
}

void mp_tcp_endpoints(const struct mp_tcp_conn *c, struct mp_endpoint *local,
                      struct mp_endpoint *remote)
{
    if (local)
        *local = c->local;
    if (remote)
        *remote = c->remote;
}

uint64_t mp_tcp_conn_id(const struct mp_tcp_conn *c)
{
    return c->id;
}

int mp_tcp_take_error(struct mp_tcp_conn *c)
{
    int e = c->err;
    c->err = 0;
    return e;
}

void mp_tcp_set_ext(struct mp_tcp_conn *c, const struct mp_tcp_ext *ext, void *arg)
{
    c->ext = ext;
    c->ext_arg = arg;
}

void *mp_tcp_ext_arg(const struct mp_tcp_conn *c)
{
    return c->ext_arg;
}

void mp_tcp_fallback(struct mp_tcp_conn *c)
{
    c->ext = NULL;
    c->ext_arg = NULL;
}

const struct mp_cc_state *mp_tcp_cc_state(const struct mp_tcp_conn *c)
{
    return c->cc_ok ? &c->cc : NULL;
}

int mp_tcp_set_cc(struct mp_tcp_conn *c, const struct mp_cc_ops *ops, struct mp_cc_group *group,
                  mp_time_t now)
{
    if (!ops || !ops->init || !ops->ssthresh || !ops->cong_avoid || !ops->undo_cwnd)
        return -EINVAL;
    if (!c->cc_ok)
        return -ENOTCONN;
    struct mp_cc_state old = c->cc;
    mp_cc_release(&c->cc);
    int rc = mp_cc_init(&c->cc, ops, old.mss, group, now);
    if (rc < 0) {
        /* Cannot happen (checked above); keep a working algorithm. */
        mp_cc_init(&c->cc, &mp_cc_cubic_ops, old.mss, NULL, now);
    }
    c->cc.cwnd = old.cwnd;
    c->cc.ssthresh = old.ssthresh;
    c->cc.cwnd_clamp = old.cwnd_clamp;
    c->cc.ca_state = old.ca_state;
    c->cc.in_flight = old.in_flight;
    c->cc.last_send = old.last_send;
    c->cc.paced = old.paced;
    return rc;
}

struct mp_rtxq *mp_tcp_rtxq(struct mp_tcp_conn *c)
{
    return &c->q;
}

/* ---- set-up after the handshake options are known ---- */

void mp_tcp_init_transfer(struct mp_tcp_conn *c, mp_time_t now)
{
    uint32_t peer = c->mss_peer ? c->mss_peer : MP_TCP_DEFAULT_MSS;
    c->mss = MIN(peer, c->mss_clamp);
    if (c->mss < 64)
        c->mss = 64;
    if (!c->cc_ok) {
        if (mp_cc_init_by_name(&c->cc, c->o.cc ? c->o.cc : "cubic", c->mss, NULL, now) < 0)
            mp_cc_init(&c->cc, &mp_cc_cubic_ops, c->mss, NULL, now);
        c->cc_ok = true;
    }
    mp_tcp_init_buffer_space(c, now);
    mp_tcp_update_pacing_rate(c);
    /* HyStart++ (RFC 9406 4.3) counts on paced senders differently. */
    c->cc.paced = c->o.pacing;
}

void mp_tcp_trace_ack(struct mp_tcp_conn *c, mp_time_t now)
{
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, c->st->h->name, "tcp.ack");
    mp_trace_u64(&r, "conn", c->id);
    mp_trace_u64(&r, "cwnd", c->cc.cwnd);
    mp_trace_u64(&r, "ssthresh", c->cc.ssthresh);
    mp_trace_u64(&r, "srtt", mp_rtt_srtt(&c->rtt));
    mp_trace_u64(&r, "rttvar", c->rtt.rttvar);
    mp_trace_u64(&r, "rto", mp_rtt_rto(&c->rtt));
    mp_trace_u64(&r, "inflight", mp_rtxq_in_flight(&c->q));
    mp_trace_u64(&r, "rcv_wnd", c->rcv_adv - c->rcv_nxt);
    mp_trace_u64(&r, "rcvbuf", c->rcvbuf);
    mp_trace_u64(&r, "sndbuf", c->sb.limit);
    mp_trace_u64(&r, "pacing_rate", c->pacing_rate);
    mp_trace_str(&r, "ca", mp_cc_state_name(c->cc.ca_state));
    if (c->cc.group) {
        /* A coupled algorithm (MPTCP): its name and state (alpha, ...). */
        struct mp_cc_info info = {0};
        mp_cc_get_info(&c->cc, &info);
        mp_trace_str(&r, "cc", c->cc.ops->name);
        for (size_t i = 0; i < info.n; i++)
            mp_trace_u64(&r, info.f[i].key, info.f[i].val);
    }
    mp_trace_end(&r, c->st->env);
}
