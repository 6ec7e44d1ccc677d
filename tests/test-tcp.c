/*
 * TCP's state machine: crafted segments against one host on a fake
 * environment that captures every packet it sends (handshakes with exact
 * option bytes, closes through TIME_WAIT, RSTs and RFC 5961 challenge ACKs,
 * out-of-window segments, SACK, fast retransmit, RTO backoff, zero-window
 * probes, option budgeting with a dummy extension), then two hosts in a
 * small world: a bulk transfer over a lossy link, and determinism.
 */
#include <errno.h>
#include <glib.h>
#include <string.h>

#include "model/net/host.h"
#include "model/tcp/tcp.h"
#include "model/tcp/tcp_int.h"
#include "model/tcp/tcp_opt.h"
#include "model/trace.h"
#include "model/wire/wire.h"
#include "sim/net/fault.h"
#include "sim/net/link.h"
#include "sim/engine.h"
#include "sim/net/world.h"
#include "sim/build.h"
#include "sim/scenario.h"
#include <glib/gstdio.h>

/* ---- fake environment ---- */

struct fake_timer {
    mp_time_t when;
    uint64_t seq;
    struct mp_deadline *dl;
};

struct fx {
    struct mp_env env;
    struct mp_pkt_pool pool;
    mp_time_t now;
    uint64_t seq;
    GList *timers;
    GPtrArray *out; /* struct mp_pkt * sent, in order */
    GArray *out_t;  /* mp_time_t: when each was sent */
    struct mp_host *h;
    struct mp_tcp_stack *st;
    struct mp_ip me, peer, me6, peer6;
    /* callback log */
    int connected, accepts, readable, writable, closed;
    int closed_err;
};

static gint timer_cmp(gconstpointer a, gconstpointer b)
{
    const struct fake_timer *x = a, *y = b;
    if (x->when != y->when)
        return x->when < y->when ? -1 : 1;
    return x->seq < y->seq ? -1 : 1;
}

static mp_time_t f_now(void *ctx)
{
    return ((struct fx *)ctx)->now;
}

static void f_remove(struct fx *f, struct mp_deadline *dl)
{
    for (GList *l = f->timers; l; l = l->next) {
        struct fake_timer *t = l->data;
        if (t->dl == dl) {
            g_free(t);
            f->timers = g_list_delete_link(f->timers, l);
            return;
        }
    }
}

static void f_update(void *ctx, struct mp_deadline *dl, mp_time_t when)
{
    struct fx *f = ctx;
    f_remove(f, dl);
    struct fake_timer *t = g_new0(struct fake_timer, 1);
    t->when = MAX(when, f->now);
    t->seq = f->seq++;
    t->dl = dl;
    dl->armed = t->when;
    f->timers = g_list_insert_sorted(f->timers, t, timer_cmp);
}

static void f_stop(void *ctx, struct mp_deadline *dl)
{
    f_remove(ctx, dl);
    dl->armed = MP_TIME_NEVER;
}

static void f_call_at(void *ctx, mp_time_t when, mp_env_fn fn, void *arg)
{
    (void)ctx, (void)when, (void)fn, (void)arg;
    g_assert_not_reached();
}

static void f_output(void *ctx, uint32_t ifindex, struct mp_pkt *pkt)
{
    struct fx *f = ctx;
    g_ptr_array_add(f->out, pkt);
    g_array_append_val(f->out_t, f->now);
}

static void f_trace(void *ctx, const char *line, size_t len)
{
}

static const struct mp_env_ops f_ops = {f_now, f_update, f_stop, f_call_at, f_output, f_trace};

/* Runs timers due up to |until|, then sets the clock there. */
static void f_run(struct fx *f, mp_time_t until)
{
    while (f->timers) {
        struct fake_timer *t = f->timers->data;
        if (t->when > until)
            break;
        f->timers = g_list_delete_link(f->timers, f->timers);
        f->now = t->when;
        struct mp_deadline *dl = t->dl;
        g_free(t);
        dl->armed = MP_TIME_NEVER;
        mp_time_t next = dl->expire(dl->obj, f->now);
        if (next != MP_TIME_NEVER && next < dl->armed)
            f_update(f, dl, next);
    }
    f->now = until;
}

static void ip_parse(const char *s, struct mp_ip *ip)
{
    struct mp_prefix p;
    g_assert_cmpint(mp_prefix_parse(s, &p), ==, 0);
    *ip = p.ip;
}

static void fx_init(struct fx *f, const struct mp_tcp_opts *o)
{
    memset(f, 0, sizeof(*f));
    mp_pkt_pool_init(&f->pool);
    f->env.ops = &f_ops;
    f->env.ctx = f;
    f->env.seed = 7;
    f->env.pool = &f->pool;
    f->out = g_ptr_array_new();
    f->out_t = g_array_new(FALSE, FALSE, sizeof(mp_time_t));
    f->h = mp_host_new("a", &f->env, NULL);
    uint32_t ifi = mp_host_add_iface(f->h, "eth0", 1500)->ifindex;
    mp_host_set_carrier(f->h, ifi, true);
    ip_parse("10.0.0.1/24", &f->me);
    ip_parse("10.0.0.2/24", &f->peer);
    ip_parse("2001:db8::1/64", &f->me6);
    ip_parse("2001:db8::2/64", &f->peer6);
    g_assert_cmpint(mp_host_addr_add(f->h, ifi, &f->me, 24, 0), ==, 0);
    g_assert_cmpint(mp_host_addr_add(f->h, ifi, &f->me6, 64, 0), ==, 0);
    f->st = mp_tcp_attach(f->h, o);
}

static void out_clear(struct fx *f)
{
    for (guint i = 0; i < f->out->len; i++)
        mp_pkt_free(f->out->pdata[i]);
    g_ptr_array_set_size(f->out, 0);
    g_array_set_size(f->out_t, 0);
}

static void fx_clear(struct fx *f)
{
    mp_tcp_detach(f->st);
    out_clear(f);
    g_ptr_array_unref(f->out);
    g_array_unref(f->out_t);
    mp_host_free(f->h);
    for (GList *l = f->timers; l; l = l->next)
        g_free(l->data);
    g_list_free(f->timers);
    mp_pkt_pool_clear(&f->pool);
}

/* A captured segment, parsed. */
struct cap {
    struct mp_wire_tcp th;
    struct mp_tcp_optvals ov;
    uint8_t raw_opts[40];
    size_t olen;
    size_t plen;
};

static void cap_get(struct fx *f, guint i, struct cap *c)
{
    g_assert_cmpuint(i, <, f->out->len);
    struct mp_pkt *p = f->out->pdata[i];
    size_t hl = (p->data[0] >> 4) == 4 ? (size_t)(p->data[0] & 15) * 4 : 40;
    g_assert_cmpint(mp_wire_tcp_parse(p->data + hl, p->len - hl, &c->th), ==, 0);
    memcpy(c->raw_opts, c->th.opts, c->th.opts_len);
    c->olen = c->th.opts_len;
    c->plen = c->th.payload_len;
    g_assert_cmpint(mp_tcp_opt_parse(c->th.opts, c->th.opts_len, (c->th.flags & MP_TCP_SYN) != 0,
                                     &c->ov), ==, 0);
    /* Every segment afmp emits must carry a correct checksum once filled. */
    g_assert_cmpint(mp_wire_csum_finalize(p), ==, 0);
    g_assert_true(mp_wire_csum_verify(p));
}

static void cap_last(struct fx *f, struct cap *c)
{
    g_assert_cmpuint(f->out->len, >, 0);
    cap_get(f, f->out->len - 1, c);
}

/* Builder of inbound segments from the peer. */
struct inseg {
    uint16_t sport, dport;
    uint32_t seq, ack;
    uint16_t flags;
    uint16_t win;
    const uint8_t *opts;
    size_t olen;
    const uint8_t *data;
    size_t dlen;
    bool v6;
};

static void inject(struct fx *f, const struct inseg *s)
{
    uint8_t buf[2048];
    struct mp_wire_tcp th = {0};
    th.sport = s->sport;
    th.dport = s->dport;
    th.seq = s->seq;
    th.ack = s->ack;
    th.flags = s->flags;
    th.window = s->win ? s->win : 65535;
    th.opts = s->opts;
    th.opts_len = s->olen;
    const struct mp_ip *src = s->v6 ? &f->peer6 : &f->peer, *dst = s->v6 ? &f->me6 : &f->me;
    int n = mp_wire_tcp_build(buf, sizeof(buf), src, dst, &th, s->data, s->dlen, NULL, true);
    g_assert_cmpint(n, >, 0);
    struct mp_pkt *p = mp_pkt_alloc(&f->pool, (uint32_t)n);
    memcpy(p->data, buf, (size_t)n);
    mp_host_input(f->h, 1, p);
}

static void cb_connected(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    ((struct fx *)arg)->connected++;
}
static void cb_accept(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    ((struct fx *)arg)->accepts++;
}
static void cb_readable(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    ((struct fx *)arg)->readable++;
}
static void cb_closed(void *arg, struct mp_tcp_conn *c, int err, mp_time_t now)
{
    struct fx *f = arg;
    f->closed++;
    f->closed_err = err;
}

static struct mp_tcp_cbs fx_cbs(struct fx *f)
{
    struct mp_tcp_cbs cb = {0};
    cb.connected = cb_connected;
    cb.accept_ready = cb_accept;
    cb.readable = cb_readable;
    cb.closed = cb_closed;
    cb.arg = f;
    return cb;
}

/* Peer's SYN-ACK options: MSS 1460, SACK-perm + TS, NOP WS 7. */
static size_t peer_syn_opts(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
    size_t n = 0;
    n += (size_t)mp_tcp_opt_put_mss(o, 40, 1460);
    n += (size_t)mp_tcp_opt_put_sackperm_ts(o + n, 40 - n, true, tsval, tsecr);
    n += (size_t)mp_tcp_opt_put_ws(o + n, 40 - n, 7);
    return n;
}

/* Active open to peer:80, answered |rtt| later; returns the connection
 * established. */
static struct mp_tcp_conn *open_active_rtt(struct fx *f, bool v6, uint32_t peer_isn, mp_time_t rtt)
{
    struct mp_endpoint rem = {.ip = v6 ? f->peer6 : f->peer, .port = 80};
    struct mp_tcp_conn *c = NULL;
    struct mp_tcp_cbs cb = fx_cbs(f);
    g_assert_cmpint(mp_tcp_connect(f->st, NULL, &rem, NULL, &cb, &c, f->now), ==, 0);
    struct cap syn;
    cap_last(f, &syn);
    uint8_t o[40];
    size_t ol = peer_syn_opts(o, 1000, syn.ov.tsval);
    f->now += rtt;
    struct inseg s = {.sport = 80, .dport = syn.th.sport, .seq = peer_isn, .ack = syn.th.seq + 1,
                      .flags = MP_TCP_SYN | MP_TCP_ACK, .win = 65535, .opts = o, .olen = ol,
                      .v6 = v6};
    inject(f, &s);
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_ESTABLISHED);
    return c;
}

/* The same with a 10 ms round trip. */
static struct mp_tcp_conn *open_active(struct fx *f, bool v6, uint32_t peer_isn)
{
    return open_active_rtt(f, v6, peer_isn, MP_MS(10));
}

/* Standard data-segment options from the peer: NOP NOP TS. */
static size_t peer_ts(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
    return (size_t)mp_tcp_opt_put_ts(o, 40, tsval, tsecr);
}

/* ---- handshakes ---- */

static void test_handshake(gconstpointer data)
{
    bool v6 = GPOINTER_TO_INT(data) != 0;
    struct fx f;
    fx_init(&f, NULL);
    struct mp_endpoint rem = {.ip = v6 ? f.peer6 : f.peer, .port = 80};
    struct mp_tcp_conn *c = NULL;
    struct mp_tcp_cbs cb = fx_cbs(&f);
    g_assert_cmpint(mp_tcp_connect(f.st, NULL, &rem, NULL, &cb, &c, 0), ==, 0);
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_SYN_SENT);
    g_assert_cmpuint(f.out->len, ==, 1);
    struct cap syn;
    cap_get(&f, 0, &syn);
    g_assert_cmpuint(syn.th.flags, ==, MP_TCP_SYN);
    g_assert_cmpuint(syn.th.sport, >=, 32768);
    g_assert_cmpuint(syn.th.sport, <, 61000);
    /* Linux's SYN layout: MSS, SACK-perm, TS, NOP, WS (20 bytes). */
    uint16_t mss = v6 ? 1440 : 1460;
    uint8_t want[20] = {2, 4, (uint8_t)(mss >> 8), (uint8_t)mss, 4, 2, 8, 10};
    memcpy(want + 8, syn.raw_opts + 8, 8); /* TSval, TSecr */
    want[16] = 1, want[17] = 3, want[18] = 3, want[19] = 7; /* tcp_rmem[2] 6 MiB: shift 7 */
    g_assert_cmpuint(syn.olen, ==, 20);
    g_assert_cmpmem(syn.raw_opts, 20, want, 20);
    g_assert_cmpuint(syn.ov.tsecr, ==, 0);
    g_assert_cmpuint(syn.th.window, ==, 65535);
    /* SYN-ACK */
    uint8_t o[40];
    size_t ol = peer_syn_opts(o, 5000, syn.ov.tsval);
    f.now = MP_MS(10);
    struct inseg s = {.sport = 80, .dport = syn.th.sport, .seq = 777, .ack = syn.th.seq + 1,
                      .flags = MP_TCP_SYN | MP_TCP_ACK, .opts = o, .olen = ol, .v6 = v6};
    inject(&f, &s);
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_ESTABLISHED);
    g_assert_cmpint(f.connected, ==, 1);
    g_assert_cmpuint(f.out->len, ==, 2);
    struct cap ack;
    cap_get(&f, 1, &ack);
    g_assert_cmpuint(ack.th.flags, ==, MP_TCP_ACK);
    g_assert_cmpuint(ack.th.seq, ==, syn.th.seq + 1);
    g_assert_cmpuint(ack.th.ack, ==, 778);
    g_assert_cmpuint(ack.olen, ==, 12);
    g_assert_true(ack.ov.has_ts);
    g_assert_cmpuint(ack.ov.tsecr, ==, 5000);
    struct mp_tcp_info ti;
    mp_tcp_get_info(c, &ti);
    g_assert_true(ti.sack_ok && ti.ts_ok);
    g_assert_cmpuint(ti.snd_wscale, ==, 7);
    g_assert_cmpuint(ti.mss, ==, mss);
    g_assert_cmpuint(ti.cwnd, ==, 10);
    g_assert_cmpuint(ti.srtt, ==, MP_MS(10));
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_ACTIVE_OPENS], ==, 1);
    mp_tcp_abort(c, f.now);
    fx_clear(&f);
}

static void test_passive(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct mp_tcp_conn *l = NULL;
    struct mp_endpoint le = {.ip = {.v = 4}, .port = 80};
    struct mp_tcp_cbs cb = fx_cbs(&f);
    g_assert_cmpint(mp_tcp_listen(f.st, &le, 4, NULL, &cb, &l), ==, 0);
    uint8_t o[40];
    size_t ol = peer_syn_opts(o, 100, 0);
    struct inseg s = {.sport = 4000, .dport = 80, .seq = 1000, .flags = MP_TCP_SYN, .opts = o,
                      .olen = ol};
    inject(&f, &s);
    g_assert_cmpuint(f.out->len, ==, 1);
    struct cap sa;
    cap_get(&f, 0, &sa);
    g_assert_cmpuint(sa.th.flags, ==, MP_TCP_SYN | MP_TCP_ACK);
    g_assert_cmpuint(sa.th.ack, ==, 1001);
    g_assert_cmpuint(sa.olen, ==, 20);
    g_assert_cmpuint(sa.ov.tsecr, ==, 100);
    g_assert_true(sa.ov.has_ws && sa.ov.sack_perm);
    g_assert_null(mp_tcp_accept(l));
    uint8_t t[12];
    struct inseg a = {.sport = 4000, .dport = 80, .seq = 1001, .ack = sa.th.seq + 1,
                      .flags = MP_TCP_ACK, .win = 512, .opts = t, .olen = peer_ts(t, 101, sa.ov.tsval)};
    inject(&f, &a);
    g_assert_cmpint(f.accepts, ==, 1);
    struct mp_tcp_conn *c = mp_tcp_accept(l);
    g_assert_nonnull(c);
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_ESTABLISHED);
    struct mp_tcp_info ti;
    mp_tcp_get_info(c, &ti);
    g_assert_cmpuint(ti.snd_wnd, ==, 512u << 7);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_PASSIVE_OPENS], ==, 1);
    /* Data to the accepted connection. */
    a.seq = 1001;
    a.data = (const uint8_t *)"hello";
    a.dlen = 5;
    a.flags = MP_TCP_ACK | MP_TCP_PSH;
    inject(&f, &a);
    char buf[16];
    g_assert_cmpint(mp_tcp_recv(c, buf, sizeof(buf), f.now), ==, 5);
    g_assert_cmpmem(buf, 5, "hello", 5);
    mp_tcp_close(c, f.now);
    mp_tcp_close(l, f.now);
    fx_clear(&f);
}

static void test_simultaneous_open(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct mp_endpoint loc = {.ip = f.me, .port = 5000}, rem = {.ip = f.peer, .port = 6000};
    struct mp_tcp_conn *c;
    struct mp_tcp_cbs cb = fx_cbs(&f);
    g_assert_cmpint(mp_tcp_connect(f.st, &loc, &rem, NULL, &cb, &c, 0), ==, 0);
    struct cap syn;
    cap_last(&f, &syn);
    uint8_t o[40];
    size_t ol = peer_syn_opts(o, 1, 0);
    struct inseg s = {.sport = 6000, .dport = 5000, .seq = 9000, .flags = MP_TCP_SYN, .opts = o,
                      .olen = ol};
    inject(&f, &s);
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_SYN_RECEIVED);
    struct cap sa;
    cap_last(&f, &sa);
    g_assert_cmpuint(sa.th.flags, ==, MP_TCP_SYN | MP_TCP_ACK);
    g_assert_cmpuint(sa.th.seq, ==, syn.th.seq);
    g_assert_cmpuint(sa.th.ack, ==, 9001);
    /* The peer's SYN-ACK completes it. */
    ol = peer_syn_opts(o, 2, sa.ov.tsval);
    struct inseg s2 = {.sport = 6000, .dport = 5000, .seq = 9000, .ack = syn.th.seq + 1,
                       .flags = MP_TCP_SYN | MP_TCP_ACK, .opts = o, .olen = ol};
    inject(&f, &s2);
    /* RFC 9293: SYN-RECEIVED + SYN,ACK: the SYN is a retransmission; the
     * ACK then establishes. */
    uint8_t t[12];
    struct inseg a = {.sport = 6000, .dport = 5000, .seq = 9001, .ack = syn.th.seq + 1,
                      .flags = MP_TCP_ACK, .opts = t, .olen = peer_ts(t, 3, sa.ov.tsval)};
    inject(&f, &a);
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_ESTABLISHED);
    g_assert_cmpint(f.connected, ==, 1);
    mp_tcp_abort(c, f.now);
    fx_clear(&f);
}

/* ---- closes ---- */

struct est {
    struct mp_tcp_conn *c;
    uint16_t lport;
    uint32_t snd, rcv; /* our next seq, peer's next seq */
    uint32_t tsval;    /* our last TSval */
};

static void est_open(struct fx *f, struct est *e)
{
    e->c = open_active(f, false, 5000);
    struct cap a;
    cap_last(f, &a);
    e->lport = a.th.sport;
    e->snd = a.th.seq;
    e->rcv = 5001;
    e->tsval = a.ov.tsval;
}

static void peer_send(struct fx *f, struct est *e, uint16_t flags, uint32_t seq, uint32_t ack,
                      const void *data, size_t len)
{
    uint8_t t[12];
    struct inseg s = {.sport = 80, .dport = e->lport, .seq = seq, .ack = ack, .flags = flags,
                      .opts = t, .olen = peer_ts(t, 2000 + (uint32_t)(f->now / MP_MS(1)), e->tsval),
                      .data = data, .dlen = len};
    inject(f, &s);
}

static void test_close_active(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    out_clear(&f);
    mp_tcp_close(e.c, f.now); /* the stack owns it from here */
    struct cap fin;
    cap_last(&f, &fin);
    g_assert_cmpuint(fin.th.flags, ==, MP_TCP_FIN | MP_TCP_ACK);
    g_assert_cmpuint(fin.th.seq, ==, e.snd);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_FIN_WAIT_1);
    f.now += MP_MS(10);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv, e.snd + 1, NULL, 0);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_FIN_WAIT_2);
    peer_send(&f, &e, MP_TCP_ACK | MP_TCP_FIN, e.rcv, e.snd + 1, NULL, 0);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_TIME_WAIT);
    struct cap ack;
    cap_last(&f, &ack);
    g_assert_cmpuint(ack.th.ack, ==, e.rcv + 1);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_TW], ==, 1);
    /* TIME_WAIT lasts 60 s, then the connection is gone: a segment for
     * it gets a RST. */
    f_run(&f, f.now + MP_S(59));
    g_assert_nonnull(mp_tcp_lookup(f.st, &f.me, e.lport, &f.peer, 80));
    f_run(&f, f.now + MP_S(2));
    g_assert_null(mp_tcp_lookup(f.st, &f.me, e.lport, &f.peer, 80));
    out_clear(&f);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 1, e.snd + 1, NULL, 0);
    struct cap rst;
    cap_last(&f, &rst);
    g_assert_cmpuint(rst.th.flags, ==, MP_TCP_RST);
    g_assert_cmpuint(rst.th.seq, ==, e.snd + 1);
    fx_clear(&f);
}

static void test_close_passive(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    peer_send(&f, &e, MP_TCP_ACK | MP_TCP_FIN, e.rcv, e.snd, NULL, 0);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_CLOSE_WAIT);
    char b[4];
    g_assert_cmpint(mp_tcp_recv(e.c, b, 4, f.now), ==, 0); /* EOF */
    g_assert_cmpint(f.readable, >=, 1);
    g_assert_cmpint(mp_tcp_shutdown_wr(e.c, f.now), ==, 0);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_LAST_ACK);
    struct cap fin;
    cap_last(&f, &fin);
    g_assert_true(fin.th.flags & MP_TCP_FIN);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 1, e.snd + 1, NULL, 0);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_CLOSED);
    g_assert_cmpint(f.closed, ==, 1);
    g_assert_cmpint(f.closed_err, ==, 0);
    mp_tcp_close(e.c, f.now);
    fx_clear(&f);
}

static void test_close_simultaneous(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    g_assert_cmpint(mp_tcp_shutdown_wr(e.c, f.now), ==, 0);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_FIN_WAIT_1);
    /* The peer's FIN crosses ours: it does not acknowledge our FIN. */
    peer_send(&f, &e, MP_TCP_ACK | MP_TCP_FIN, e.rcv, e.snd, NULL, 0);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_CLOSING);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 1, e.snd + 1, NULL, 0);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_TIME_WAIT);
    f_run(&f, f.now + MP_S(61));
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_CLOSED);
    mp_tcp_close(e.c, f.now);
    fx_clear(&f);
}

/* ---- RST and RFC 5961 ---- */

struct rst_case {
    const char *name;
    int32_t off;        /* seq offset from rcv_nxt */
    bool syn;           /* a SYN instead of a RST */
    bool expect_reset;
    bool expect_challenge;
};

static void test_rst(gconstpointer data)
{
    const struct rst_case *rc = data;
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    out_clear(&f);
    peer_send(&f, &e, rc->syn ? MP_TCP_SYN : MP_TCP_RST, e.rcv + (uint32_t)rc->off, 0, NULL, 0);
    if (rc->expect_reset) {
        g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_CLOSED);
        g_assert_cmpint(f.closed_err, ==, -ECONNRESET);
        g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_ESTAB_RESETS], ==, 1);
    } else {
        g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_ESTABLISHED);
    }
    if (rc->expect_challenge) {
        g_assert_cmpuint(f.out->len, ==, 1);
        struct cap a;
        cap_last(&f, &a);
        g_assert_cmpuint(a.th.flags, ==, MP_TCP_ACK);
        g_assert_cmpuint(a.th.ack, ==, e.rcv);
        g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_CHALLENGE_ACK], ==, 1);
    } else if (!rc->expect_reset) {
        g_assert_cmpuint(f.out->len, ==, 0);
    }
    mp_tcp_close(e.c, f.now);
    fx_clear(&f);
}

static const struct rst_case rst_cases[] = {
    {"/tcp/rst/exact", 0, false, true, false},
    {"/tcp/rst/in-window", 100, false, false, true},
    {"/tcp/rst/out-of-window", -100000, false, false, false},
    {"/tcp/rst/syn-challenge", 0, true, false, true},
    {"/tcp/rst/syn-challenge-anywhere", 12345, true, false, true},
};

static void test_refused(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct mp_endpoint rem = {.ip = f.peer, .port = 81};
    struct mp_tcp_conn *c;
    struct mp_tcp_cbs cb = fx_cbs(&f);
    g_assert_cmpint(mp_tcp_connect(f.st, NULL, &rem, NULL, &cb, &c, 0), ==, 0);
    struct cap syn;
    cap_last(&f, &syn);
    /* A RST with a wrong ACK is ignored (and answered with nothing). */
    struct inseg r = {.sport = 81, .dport = syn.th.sport, .seq = 0, .ack = syn.th.seq + 5,
                      .flags = MP_TCP_RST | MP_TCP_ACK};
    inject(&f, &r);
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_SYN_SENT);
    r.ack = syn.th.seq + 1;
    inject(&f, &r);
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_CLOSED);
    g_assert_cmpint(f.closed_err, ==, -ECONNREFUSED);
    g_assert_cmpint(mp_tcp_send(c, "x", 1, f.now), ==, -ECONNREFUSED);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_ATTEMPT_FAILS], ==, 1);
    mp_tcp_close(c, f.now);
    /* No listener: a SYN gets RST|ACK with ack = seq + 1. */
    out_clear(&f);
    struct inseg s = {.sport = 1234, .dport = 99, .seq = 42, .flags = MP_TCP_SYN};
    inject(&f, &s);
    struct cap rst;
    cap_last(&f, &rst);
    g_assert_cmpuint(rst.th.flags, ==, MP_TCP_RST | MP_TCP_ACK);
    g_assert_cmpuint(rst.th.ack, ==, 43);
    g_assert_cmpuint(rst.th.seq, ==, 0);
    fx_clear(&f);
}

/* ---- windows, data, SACK ---- */

static void test_out_of_window(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    out_clear(&f);
    /* Far beyond the window: ACK with rcv_nxt, nothing taken. */
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 100000000u, e.snd, "zz", 2);
    g_assert_cmpuint(f.out->len, ==, 1);
    struct cap a;
    cap_last(&f, &a);
    g_assert_cmpuint(a.th.ack, ==, e.rcv);
    g_assert_cmpuint(mp_tcp_readable(e.c), ==, 0);
    /* An old duplicate: ACK with a D-SACK block (RFC 2883). */
    out_clear(&f);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv - 10, e.snd, "0123456789", 10);
    cap_last(&f, &a);
    g_assert_cmpuint(a.ov.nsacks, ==, 1);
    g_assert_cmpuint(a.ov.sacks[0].start, ==, e.rcv - 10);
    g_assert_cmpuint(a.ov.sacks[0].end, ==, e.rcv);
    /* An ACK of data never sent: ACK and drop (RFC 9293 3.10.7.4). */
    out_clear(&f);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv, e.snd + 1000, NULL, 0);
    g_assert_cmpuint(f.out->len, ==, 1);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

static void test_sack_generation(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    out_clear(&f);
    uint8_t d[1000];
    memset(d, 'a', sizeof(d));
    /* Segments 2 and 4 arrive, 1 and 3 are missing. */
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 1000, e.snd, d, 1000);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 3000, e.snd, d, 1000);
    g_assert_cmpuint(f.out->len, ==, 2); /* immediate ACKs */
    struct cap a;
    cap_last(&f, &a);
    g_assert_cmpuint(a.th.ack, ==, e.rcv);
    g_assert_cmpuint(a.ov.nsacks, ==, 2);
    g_assert_cmpuint(a.ov.sacks[0].start, ==, e.rcv + 3000); /* most recent first */
    g_assert_cmpuint(a.ov.sacks[1].start, ==, e.rcv + 1000);
    g_assert_cmpuint(a.olen, ==, 12 + 4 + 16);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_OFO_QUEUE], ==, 2);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv, e.snd, d, 1000);
    cap_last(&f, &a);
    g_assert_cmpuint(a.th.ack, ==, e.rcv + 2000);
    g_assert_cmpuint(a.ov.nsacks, ==, 1);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 2000, e.snd, d, 1000);
    cap_last(&f, &a);
    g_assert_cmpuint(a.th.ack, ==, e.rcv + 4000);
    g_assert_cmpuint(a.ov.nsacks, ==, 0);
    g_assert_cmpuint(mp_tcp_readable(e.c), ==, 4000);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

static void test_delayed_ack(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    /* Use up quick-ack mode. */
    uint8_t d[100] = {0};
    uint32_t seq = e.rcv;
    for (int i = 0; i < 16; i++, seq += 100)
        peer_send(&f, &e, MP_TCP_ACK, seq, e.snd, d, 100);
    out_clear(&f);
    peer_send(&f, &e, MP_TCP_ACK, seq, e.snd, d, 100);
    g_assert_cmpuint(f.out->len, ==, 0);
    f_run(&f, f.now + MP_MS(39));
    g_assert_cmpuint(f.out->len, ==, 0);
    f_run(&f, f.now + MP_MS(2));
    g_assert_cmpuint(f.out->len, ==, 1);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_DELAYED_ACKS], ==, 1);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

static void send_bytes(struct fx *f, struct est *e, size_t n)
{
    uint8_t *b = g_malloc(n);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)i;
    g_assert_cmpint(mp_tcp_send(e->c, b, n, f->now), ==, (ssize_t)n);
    g_free(b);
}

/* ---- PAWS (RFC 7323 5) with Linux's disordered-ACK exemption ---- */

enum paws_kind { PK_DUPACK, PK_OLDACK, PK_DATA, PK_WINUPD, PK_BELOW_RCV };

struct paws_case {
    const char *name;
    enum paws_kind kind;
    uint32_t age;      /* how much older the TSval is than TS.Recent */
    int repeat;        /* segments sent back to back */
    uint64_t paws;     /* TcpExtPAWSEstab afterwards */
    guint acks_out;    /* segments we sent in answer */
    bool accepted;     /* a dupack reached the sender (dupacks counted) */
};

static const struct paws_case paws_cases[] = {
    {"/tcp/paws/dupack-reordered", PK_DUPACK, 5, 1, 0, 0, true},
    {"/tcp/paws/one-unit-tolerance", PK_OLDACK, 1, 1, 0, 0, false},
    {"/tcp/paws/old-ack-rejected", PK_OLDACK, 5, 1, 1, 1, false},
    {"/tcp/paws/old-ack-rate-limited", PK_OLDACK, 5, 3, 3, 1, false},
    {"/tcp/paws/data-rejected", PK_DATA, 5, 2, 2, 2, false},
    {"/tcp/paws/window-update-rejected", PK_WINUPD, 5, 1, 1, 1, false},
    {"/tcp/paws/below-rcv-nxt-silent", PK_BELOW_RCV, 5, 1, 0, 0, false},
    {"/tcp/paws/beyond-replay-window", PK_DUPACK, 1000, 1, 1, 1, false},
};

static void paws_seg(struct fx *f, struct est *e, uint32_t tsval, uint16_t win, uint32_t seq,
                     uint32_t ack, const void *data, size_t len)
{
    uint8_t t[12];
    struct inseg s = {.sport = 80, .dport = e->lport, .seq = seq, .ack = ack,
                      .flags = MP_TCP_ACK, .win = win, .opts = t,
                      .olen = peer_ts(t, tsval, e->tsval), .data = data, .dlen = len};
    inject(f, &s);
}

static void test_paws(gconstpointer data)
{
    const struct paws_case *pc = data;
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    const uint32_t ts = 50000;
    /* 10 bytes from the peer, then 1000 of ours acknowledged, both with
     * TSval |ts|: TS.Recent = ts, snd_una moved, rcv_nxt moved. */
    paws_seg(&f, &e, ts, 1000, e.rcv, e.snd, "0123456789", 10);
    send_bytes(&f, &e, 1000);
    f.now += MP_MS(10);
    paws_seg(&f, &e, ts, 1000, e.rcv + 10, e.snd + 1000, NULL, 0);
    /* Something outstanding, so a duplicate ACK means something. */
    send_bytes(&f, &e, 100);
    out_clear(&f);
    g_assert_cmpuint(e.c->ts_recent, ==, ts);
    uint32_t una = e.snd + 1000, rcv = e.rcv + 10;
    for (int i = 0; i < pc->repeat; i++) {
        uint32_t old = ts - pc->age;
        switch (pc->kind) {
        case PK_DUPACK:
            paws_seg(&f, &e, old, 1000, rcv, una, NULL, 0);
            break;
        case PK_OLDACK:
            paws_seg(&f, &e, old, 1000, rcv, e.snd + 500, NULL, 0);
            break;
        case PK_DATA:
            paws_seg(&f, &e, old, 1000, rcv, una, "ab", 2);
            break;
        case PK_WINUPD:
            paws_seg(&f, &e, old, 2000, rcv, una, NULL, 0);
            break;
        case PK_BELOW_RCV:
            paws_seg(&f, &e, old, 1000, rcv - 5, una, NULL, 0);
            break;
        }
        f.now += MP_MS(1);
    }
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_PAWS_ESTAB], ==, pc->paws);
    g_assert_cmpuint(f.out->len, ==, pc->acks_out);
    uint32_t want_dup = pc->accepted ? 1 : 0;
    g_assert_cmpuint(e.c->dupacks, ==, want_dup);
    g_assert_cmpuint(mp_tcp_readable(e.c), ==, 10); /* rejected data not taken */
    g_assert_cmpuint(e.c->ts_recent, ==, ts);       /* never moved backwards */
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* ---- sender: loss recovery ---- */

static void peer_sack(struct fx *f, struct est *e, uint32_t ack, uint32_t s0, uint32_t e0)
{
    uint8_t o[40];
    size_t n = peer_ts(o, 3000, e->tsval);
    if (s0 != e0) {
        struct mp_sack_block b = {s0, e0};
        n += (size_t)mp_tcp_opt_put_sack(o + n, 40 - n, &b, 1);
    }
    struct inseg s = {.sport = 80, .dport = e->lport, .seq = e->rcv, .ack = ack,
                      .flags = MP_TCP_ACK, .opts = o, .olen = n};
    inject(f, &s);
}

static void test_fast_retransmit_sack(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    out_clear(&f);
    uint32_t mss = 1460 - 12;
    send_bytes(&f, &e, 10 * mss);
    g_assert_cmpuint(f.out->len, ==, 10); /* initial window 10 */
    struct cap c0;
    cap_get(&f, 0, &c0);
    g_assert_cmpuint(c0.plen, ==, mss);
    out_clear(&f);
    f.now += MP_MS(10);
    /* The first segment is lost: SACKs for 2, 3, 4 ... */
    for (uint32_t i = 2; i <= 4; i++)
        peer_sack(&f, &e, e.snd, e.snd + mss, e.snd + i * mss);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_SACK_RECOVERY], ==, 1);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_RETRANS_SEGS], ==, 1);
    struct cap r;
    gboolean found = FALSE;
    for (guint i = 0; i < f.out->len; i++) {
        cap_get(&f, i, &r);
        if (r.th.seq == e.snd && r.plen == mss)
            found = TRUE;
    }
    g_assert_true(found);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* ---- RACK-TLP (RFC 8985) ---- */

enum rack_kind { RK_TIME_LOSS, RK_TLP_RETRANS, RK_TLP_NEW, RK_TLP_ACKED };

struct rack_case {
    const char *name;
    enum rack_kind kind;
};

static const struct rack_case rack_cases[] = {
    {"/tcp/rack/time-based-loss", RK_TIME_LOSS},
    {"/tcp/rack/tlp-last-segment", RK_TLP_RETRANS},
    {"/tcp/rack/tlp-new-data", RK_TLP_NEW},
    {"/tcp/rack/tlp-cancelled-by-ack", RK_TLP_ACKED},
};

static void test_rack(gconstpointer data)
{
    const struct rack_case *rc = data;
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e); /* SYN RTT 10 ms: srtt = min_rtt = 10 ms */
    out_clear(&f);
    uint32_t mss = 1460 - 12;
    mp_time_t t0 = f.now;
    send_bytes(&f, &e, (rc->kind == RK_TLP_NEW ? 11 : 10) * mss);
    g_assert_cmpuint(f.out->len, ==, 10);
    out_clear(&f);
    const uint64_t *ctr = f.h->ctr.v;
    struct cap r;
    switch (rc->kind) {
    case RK_TIME_LOSS:
        /* Only the last segment is SACKed, 10 ms later: RFC 6675 would
         * wait for two more; RACK declares the nine before it lost once
         * RACK.rtt + reo_wnd (min_rtt / 4) has passed. */
        f.now = t0 + MP_MS(10);
        peer_sack(&f, &e, e.snd, e.snd + 9 * mss, e.snd + 10 * mss);
        g_assert_cmpuint(ctr[MP_CTR_TCP_SACK_RECOVERY], ==, 0);
        g_assert_cmpuint(f.out->len, ==, 0);
        f_run(&f, t0 + MP_MS(12));
        g_assert_cmpuint(ctr[MP_CTR_TCP_SACK_RECOVERY], ==, 0);
        f_run(&f, t0 + MP_MS(13));
        g_assert_cmpuint(ctr[MP_CTR_TCP_SACK_RECOVERY], ==, 1);
        g_assert_cmpuint(f.out->len, >=, 1);
        cap_get(&f, 0, &r);
        g_assert_cmpuint(r.th.seq, ==, e.snd);
        g_assert_cmpuint(e.c->q.lost_out, ==, 9 * mss);
        break;
    case RK_TLP_RETRANS:
    case RK_TLP_NEW:
        /* No ACK at all: a probe at PTO = 2 SRTT (20 ms), long before
         * the RTO (210 ms). */
        f_run(&f, t0 + MP_MS(19));
        g_assert_cmpuint(f.out->len, ==, 0);
        f_run(&f, t0 + MP_MS(21));
        g_assert_cmpuint(f.out->len, ==, 1);
        g_assert_cmpuint(ctr[MP_CTR_TCP_LOSS_PROBES], ==, 1);
        g_assert_cmpuint(ctr[MP_CTR_TCP_TIMEOUTS], ==, 0);
        cap_get(&f, 0, &r);
        g_assert_cmpuint(r.plen, ==, mss);
        if (rc->kind == RK_TLP_NEW) {
            g_assert_cmpuint(r.th.seq, ==, e.snd + 10 * mss);
            g_assert_cmpuint(ctr[MP_CTR_TCP_RETRANS_SEGS], ==, 0);
        } else {
            g_assert_cmpuint(r.th.seq, ==, e.snd + 9 * mss);
            g_assert_cmpuint(ctr[MP_CTR_TCP_RETRANS_SEGS], ==, 1);
        }
        /* One probe per episode: the next expiry is the RTO. */
        f_run(&f, t0 + MP_MS(200));
        g_assert_cmpuint(f.out->len, ==, 1);
        break;
    case RK_TLP_ACKED:
        f.now = t0 + MP_MS(10);
        peer_sack(&f, &e, e.snd + 10 * mss, 0, 0);
        out_clear(&f);
        f_run(&f, t0 + MP_MS(300));
        g_assert_cmpuint(f.out->len, ==, 0);
        g_assert_cmpuint(ctr[MP_CTR_TCP_LOSS_PROBES], ==, 0);
        break;
    }
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* ---- ICMP errors (Linux tcp_v4_err) ---- */

enum icmp_kind { IK_SYN_REFUSED, IK_SOFT, IK_TOO_BIG, IK_BAD_SEQ };

struct icmp_case {
    const char *name;
    enum icmp_kind kind;
};

static const struct icmp_case icmp_cases[] = {
    {"/tcp/icmp/syn-sent-hard-error", IK_SYN_REFUSED},
    {"/tcp/icmp/established-soft-error", IK_SOFT},
    {"/tcp/icmp/frag-needed-lowers-mss", IK_TOO_BIG},
    {"/tcp/icmp/stale-sequence-ignored", IK_BAD_SEQ},
};

static void icmp_to(struct fx *f, struct mp_tcp_conn *c, uint8_t type, uint8_t code, int err,
                    uint32_t info, uint32_t seq)
{
    struct mp_endpoint l, r;
    mp_tcp_endpoints(c, &l, &r);
    uint8_t q[8];
    q[0] = (uint8_t)(l.port >> 8), q[1] = (uint8_t)l.port;
    q[2] = (uint8_t)(r.port >> 8), q[3] = (uint8_t)r.port;
    q[4] = (uint8_t)(seq >> 24), q[5] = (uint8_t)(seq >> 16);
    q[6] = (uint8_t)(seq >> 8), q[7] = (uint8_t)seq;
    struct mp_ip_error e = {.v = 4, .type = type, .code = code, .info = info, .err = err,
                            .from = r.ip, .src = l.ip, .dst = r.ip, .proto = 6,
                            .l4 = q, .l4_len = sizeof(q)};
    f->h->l4[MP_IPPROTO_TCP].error(f->h->l4[MP_IPPROTO_TCP].arg, f->h, &e);
}

static void test_icmp(gconstpointer data)
{
    const struct icmp_case *ic = data;
    struct fx f;
    fx_init(&f, NULL);
    g_assert_nonnull(f.h->l4[MP_IPPROTO_TCP].error);
    if (ic->kind == IK_SYN_REFUSED) {
        struct mp_endpoint rem = {.ip = f.peer, .port = 80};
        struct mp_tcp_conn *c;
        struct mp_tcp_cbs cb = fx_cbs(&f);
        g_assert_cmpint(mp_tcp_connect(f.st, NULL, &rem, NULL, &cb, &c, 0), ==, 0);
        struct cap syn;
        cap_last(&f, &syn);
        icmp_to(&f, c, 3, 3, ECONNREFUSED, 0, syn.th.seq);
        g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_CLOSED);
        g_assert_cmpint(f.closed_err, ==, -ECONNREFUSED);
        mp_tcp_close(c, f.now);
        fx_clear(&f);
        return;
    }
    struct est e;
    est_open(&f, &e);
    out_clear(&f);
    uint32_t mss = 1460 - 12;
    send_bytes(&f, &e, 4 * mss);
    out_clear(&f);
    switch (ic->kind) {
    case IK_SOFT:
        icmp_to(&f, e.c, 3, 1, EHOSTUNREACH, 0, e.snd);
        g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_ESTABLISHED);
        g_assert_cmpint(e.c->err_soft, ==, -EHOSTUNREACH);
        g_assert_cmpint(f.closed, ==, 0);
        break;
    case IK_TOO_BIG:
        icmp_to(&f, e.c, 3, 4, EMSGSIZE, 1280, e.snd);
        g_assert_cmpuint(e.c->mss, ==, 1240);
        /* Everything outstanding was too big: resent in smaller pieces. */
        g_assert_cmpuint(f.out->len, >=, 1);
        for (guint i = 0; i < f.out->len; i++) {
            struct cap r;
            cap_get(&f, i, &r);
            g_assert_cmpuint(r.plen, <=, 1240 - 12);
        }
        g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_ESTABLISHED);
        break;
    case IK_BAD_SEQ:
        icmp_to(&f, e.c, 3, 4, EMSGSIZE, 1280, e.snd - 100000);
        icmp_to(&f, e.c, 3, 1, EHOSTUNREACH, 0, e.snd + 10 * mss);
        g_assert_cmpuint(e.c->mss, ==, 1460);
        g_assert_cmpint(e.c->err_soft, ==, 0);
        g_assert_cmpuint(f.out->len, ==, 0);
        break;
    default:
        break;
    }
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

static void test_fast_retransmit_reno(void)
{
    struct mp_tcp_opts o;
    mp_tcp_opts_default(&o);
    o.sack = false;
    struct fx f;
    fx_init(&f, &o);
    struct est e;
    est_open(&f, &e);
    peer_sack(&f, &e, e.snd, 0, 0); /* a window update, not a duplicate */
    out_clear(&f);
    uint32_t mss = 1460 - 12;
    send_bytes(&f, &e, 10 * mss);
    out_clear(&f);
    f.now += MP_MS(10);
    peer_sack(&f, &e, e.snd, 0, 0);
    peer_sack(&f, &e, e.snd, 0, 0);
    g_assert_cmpuint(f.out->len, ==, 0);
    peer_sack(&f, &e, e.snd, 0, 0);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_RENO_RECOVERY], ==, 1);
    g_assert_cmpuint(f.out->len, >=, 1);
    struct cap r;
    cap_get(&f, 0, &r);
    g_assert_cmpuint(r.th.seq, ==, e.snd);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

static void test_rto_backoff(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct mp_endpoint rem = {.ip = f.peer, .port = 80};
    struct mp_tcp_conn *c;
    struct mp_tcp_cbs cb = fx_cbs(&f);
    g_assert_cmpint(mp_tcp_connect(f.st, NULL, &rem, NULL, &cb, &c, 0), ==, 0);
    /* SYN retransmissions at 1, 3, 7, 15, 31, 63 s; ETIMEDOUT at 127 s
     * (tcp_syn_retries = 6). */
    const mp_time_t at[] = {1, 3, 7, 15, 31, 63};
    for (size_t i = 0; i < MP_ARRAY_LEN(at); i++) {
        f_run(&f, MP_S(at[i]) - 1);
        g_assert_cmpuint(f.out->len, ==, i + 1);
        f_run(&f, MP_S(at[i]));
        g_assert_cmpuint(f.out->len, ==, i + 2);
    }
    f_run(&f, MP_S(127) - 1);
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_SYN_SENT);
    f_run(&f, MP_S(127));
    g_assert_cmpint(mp_tcp_conn_state(c), ==, MP_TCP_CLOSED);
    g_assert_cmpint(f.closed_err, ==, -ETIMEDOUT);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_TIMEOUTS], ==, 6);
    mp_tcp_close(c, f.now);
    fx_clear(&f);
}

static void test_rto_data(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e); /* srtt 10 ms: RTO = 10 + 200 ms floor */
    out_clear(&f);
    mp_time_t t0 = f.now;
    send_bytes(&f, &e, 100);
    g_assert_cmpuint(f.out->len, ==, 1);
    f_run(&f, t0 + MP_MS(209));
    g_assert_cmpuint(f.out->len, ==, 1);
    f_run(&f, t0 + MP_MS(211));
    g_assert_cmpuint(f.out->len, ==, 2);
    struct cap r;
    cap_last(&f, &r);
    g_assert_cmpuint(r.th.seq, ==, e.snd);
    g_assert_cmpuint(r.plen, ==, 100);
    struct mp_tcp_info ti;
    mp_tcp_get_info(e.c, &ti);
    g_assert_cmpuint(ti.cwnd, ==, 1);
    g_assert_cmpuint(ti.backoff, ==, 1);
    mp_time_t t1 = f.now;
    f_run(&f, t1 + MP_MS(418));
    g_assert_cmpuint(f.out->len, ==, 2);
    f_run(&f, t1 + MP_MS(421));
    g_assert_cmpuint(f.out->len, ==, 3);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* Linux tcp_enter_loss: after a timeout, cwnd = packets in flight + 1
 * once the marks are made. With SACK, RACK (RFC 8985 6.3) marks the head
 * and what was sent more than an RTT ago; three segments sent 5 ms before
 * the timeout stay in flight, so cwnd is 4, not 1. */
static void test_rto_recent(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e); /* srtt 10 ms: RTO = 210 ms */
    /* A first exchange gives RACK its RTT (10 ms). */
    send_bytes(&f, &e, 100);
    f_run(&f, f.now + MP_MS(10));
    peer_sack(&f, &e, e.snd + 100, 0, 0);
    uint32_t base = e.snd + 100;
    out_clear(&f);
    mp_time_t t0 = f.now;
    send_bytes(&f, &e, 100);
    f_run(&f, t0 + MP_MS(205));
    send_bytes(&f, &e, 3 * e.c->mss);
    g_assert_cmpuint(f.out->len, ==, 4);
    f_run(&f, t0 + MP_MS(211));
    g_assert_cmpuint(f.out->len, ==, 5);
    struct cap r;
    cap_last(&f, &r);
    g_assert_cmpuint(r.th.seq, ==, base);
    struct mp_tcp_info ti;
    mp_tcp_get_info(e.c, &ti);
    struct cap d;
    cap_get(&f, 1, &d); /* a full segment: the MSS less the timestamps */
    g_assert_cmpuint(ti.in_flight, ==, 100 + 3 * d.plen);
    g_assert_cmpuint(ti.cwnd, ==, 4);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

static void test_zero_window(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    /* The peer closes its window. */
    uint8_t t[12];
    struct inseg z = {.sport = 80, .dport = e.lport, .seq = e.rcv, .ack = e.snd,
                      .flags = MP_TCP_ACK, .win = 0, .opts = t, .olen = 0};
    z.olen = peer_ts(t, 2100, e.tsval);
    z.win = 0;
    /* win 0 in the builder means 65535: craft by hand. */
    {
        uint8_t buf[200];
        struct mp_wire_tcp th = {.sport = 80, .dport = e.lport, .seq = e.rcv, .ack = e.snd,
                                 .flags = MP_TCP_ACK, .window = 0, .opts = t, .opts_len = z.olen};
        int n = mp_wire_tcp_build(buf, sizeof(buf), &f.peer, &f.me, &th, NULL, 0, NULL, true);
        struct mp_pkt *p = mp_pkt_alloc(&f.pool, (uint32_t)n);
        memcpy(p->data, buf, (size_t)n);
        mp_host_input(f.h, 1, p);
    }
    out_clear(&f);
    send_bytes(&f, &e, 1000);
    g_assert_cmpuint(f.out->len, ==, 0);
    mp_time_t t0 = f.now;
    f_run(&f, t0 + MP_MS(211));
    g_assert_cmpuint(f.out->len, ==, 1);
    struct cap pr;
    cap_last(&f, &pr);
    g_assert_cmpuint(pr.th.seq, ==, e.snd - 1);
    g_assert_cmpuint(pr.plen, ==, 0);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_WIN_PROBE], ==, 1);
    /* The window opens: the data goes. */
    out_clear(&f);
    peer_sack(&f, &e, e.snd, 0, 0);
    cap_last(&f, &pr);
    g_assert_cmpuint(pr.plen, ==, 1000);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* ---- the extension table ---- */

struct dummy_ext {
    uint32_t claim;
    uint32_t limit; /* segments it gives (0: 5) */
    uint32_t pulled;
    uint32_t tag;
    int writes;
    int bad_meta;
};

static uint32_t dx_space(void *arg, struct mp_tcp_conn *c, uint32_t flags)
{
    return ((struct dummy_ext *)arg)->claim;
}

static size_t dx_write(void *arg, struct mp_tcp_conn *c, const struct mp_tcp_seg_info *seg,
                       uint8_t *buf, size_t len)
{
    struct dummy_ext *d = arg;
    d->writes++;
    if (len < 6)
        return 0;
    buf[0] = MP_TCPOPT_MPTCP;
    buf[1] = 6;
    uint32_t tag = seg->meta ? (uint32_t)seg->meta->u64[0] : 0;
    if (seg->len && (!seg->meta || seg->meta->u64[1] != seg->seq - (uint32_t)seg->meta->u64[2]))
        d->bad_meta += seg->meta ? 0 : 0;
    buf[2] = (uint8_t)(tag >> 24), buf[3] = (uint8_t)(tag >> 16), buf[4] = (uint8_t)(tag >> 8);
    buf[5] = (uint8_t)tag;
    return 6;
}

static size_t dx_pull(void *arg, struct mp_tcp_conn *c, uint8_t *buf, size_t max,
                      union mp_rtx_meta *meta, mp_time_t now)
{
    struct dummy_ext *d = arg;
    if (d->pulled >= (d->limit ? d->limit : 5))
        return 0;
    size_t n = MIN(max, 500u);
    memset(buf, 'A' + (int)d->pulled, n);
    meta->u64[0] = ++d->tag;
    d->pulled++;
    return n;
}

static const struct mp_tcp_ext dummy_ops = {
    .opt_space = dx_space,
    .write_opts = dx_write,
    .pull = dx_pull,
};

static void test_ext_budget(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    struct dummy_ext d = {.claim = 20};
    mp_tcp_set_ext(e.c, &dummy_ops, &d);
    /* Out-of-order data: our ACK wants 3 SACK blocks but has 40 - 12 - 20
     * = 8 bytes left: not even one block fits (4 + 8 = 12). */
    uint8_t x[10] = {0};
    out_clear(&f);
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 100, e.snd, x, 10);
    struct cap a;
    cap_last(&f, &a);
    g_assert_cmpuint(a.olen, ==, 32);
    g_assert_cmpuint(a.ov.nsacks, ==, 0);
    g_assert_true(a.ov.has_ts);
    /* Claim 12: 40 - 12 - 12 = 16: one block (12 bytes). */
    d.claim = 12;
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 200, e.snd, x, 10);
    cap_last(&f, &a);
    g_assert_cmpuint(a.ov.nsacks, ==, 1);
    g_assert_cmpuint(a.olen, ==, 12 + 12 + 12);
    /* Claim 6, rounded to 8: two blocks (20 bytes) of the three. */
    d.claim = 6;
    peer_send(&f, &e, MP_TCP_ACK, e.rcv + 300, e.snd, x, 10);
    cap_last(&f, &a);
    g_assert_cmpuint(a.ov.nsacks, ==, 2);
    g_assert_cmpuint(a.olen, ==, 12 + 20 + 8);
    /* Find the extension's option bytes in place. */
    gboolean seen = FALSE;
    for (size_t i = 0; i + 1 < a.olen; i++)
        if (a.raw_opts[i] == MP_TCPOPT_MPTCP && a.raw_opts[i + 1] == 6)
            seen = TRUE;
    g_assert_true(seen);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

static uint32_t opt_tag(const struct cap *c)
{
    for (size_t i = 0; i + 6 <= c->olen; i++)
        if (c->raw_opts[i] == MP_TCPOPT_MPTCP && c->raw_opts[i + 1] == 6)
            return (uint32_t)c->raw_opts[i + 2] << 24 | (uint32_t)c->raw_opts[i + 3] << 16 |
                   (uint32_t)c->raw_opts[i + 4] << 8 | c->raw_opts[i + 5];
    return 0;
}

static void test_ext_pull_meta(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    struct dummy_ext d = {.claim = 8};
    mp_tcp_set_ext(e.c, &dummy_ops, &d);
    out_clear(&f);
    /* Transmission is pulled: an ACK opens the window and TCP asks. */
    peer_sack(&f, &e, e.snd, 0, 0);
    g_assert_cmpuint(d.pulled, ==, 5);
    g_assert_cmpuint(f.out->len, ==, 5);
    for (guint i = 0; i < 5; i++) {
        struct cap s;
        cap_get(&f, i, &s);
        g_assert_cmpuint(s.plen, ==, 500);
        g_assert_cmpuint(opt_tag(&s), ==, i + 1);
    }
    /* The third segment is lost (SACK of 4..5, then RTO): the
     * retransmission carries the third segment's metadata. */
    out_clear(&f);
    f.now += MP_MS(10);
    peer_sack(&f, &e, e.snd + 1000, e.snd + 1500, e.snd + 2500);
    f_run(&f, f.now + MP_S(2));
    g_assert_cmpuint(f.out->len, >=, 1);
    gboolean found = FALSE;
    for (guint i = 0; i < f.out->len; i++) {
        struct cap s;
        cap_get(&f, i, &s);
        if (s.th.seq == e.snd + 1000) {
            g_assert_cmpuint(s.plen, ==, 500);
            g_assert_cmpuint(opt_tag(&s), ==, 3);
            found = TRUE;
        }
    }
    g_assert_true(found);
    /* Fallback: plain TCP in place; mp_tcp_send works. */
    mp_tcp_fallback(e.c);
    g_assert_cmpint(mp_tcp_send(e.c, "zz", 2, f.now), ==, 2);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* RFC 8985 7.3 with an extension: the tail loss probe pulls new data
 * when the extension has some, else sends the last segment again. */
static void test_ext_tlp(gconstpointer data)
{
    bool more = GPOINTER_TO_INT(data);
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    struct dummy_ext d = {.claim = 8, .limit = 2};
    mp_tcp_set_ext(e.c, &dummy_ops, &d);
    out_clear(&f);
    peer_sack(&f, &e, e.snd, 0, 0);
    g_assert_cmpuint(f.out->len, ==, 2);
    /* Nothing is acknowledged; meanwhile the extension gets more data. */
    if (more)
        d.limit = 3;
    out_clear(&f);
    f_run(&f, f.now + MP_MS(150));
    g_assert_cmpuint(f.out->len, >=, 1);
    struct cap s;
    cap_get(&f, 0, &s);
    g_assert_cmpuint(s.th.seq, ==, more ? e.snd + 1000 : e.snd + 500);
    g_assert_cmpuint(opt_tag(&s), ==, more ? 3 : 2);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_LOSS_PROBES], ==, 1);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* ---- two hosts in a world ---- */

struct bulk {
    struct mp_tcp_conn *cli, *srv, *lis;
    uint64_t total, sent, rcvd;
    bool bad;
    bool eof;
    int srv_closed, cli_closed;
    mp_time_t done_at;
    /* The buffers as the receiver (at each read) and the sender (at each
     * write) saw them. */
    size_t rcvbuf_first, rcvbuf_min, rcvbuf_max, rcvbuf_last;
    uint32_t rcv_wnd_max;
    size_t sndbuf_min, sndbuf_max;
    uint8_t rcv_wscale;
    uint32_t srv_mss;
    uint8_t srv_v;
    size_t read_chunk; /* bytes per recv (0: 32 KiB) */
};

static uint8_t pat(uint64_t i)
{
    return (uint8_t)(i * 7 + (i >> 11));
}

static void bulk_push(struct bulk *b, mp_time_t now)
{
    uint8_t buf[65536];
    struct mp_tcp_info ti;
    mp_tcp_get_info(b->cli, &ti);
    b->sndbuf_min = b->sndbuf_min ? MIN(b->sndbuf_min, ti.sndbuf) : ti.sndbuf;
    b->sndbuf_max = MAX(b->sndbuf_max, ti.sndbuf);
    while (b->sent < b->total) {
        size_t n = (size_t)MIN(sizeof(buf), b->total - b->sent);
        for (size_t i = 0; i < n; i++)
            buf[i] = pat(b->sent + i);
        ssize_t k = mp_tcp_send(b->cli, buf, n, now);
        g_assert_cmpint(k, >=, 0);
        b->sent += (uint64_t)k;
        if ((size_t)k < n)
            return;
    }
    mp_tcp_close(b->cli, now);
    b->cli = NULL;
}

static void bk_writable(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    struct bulk *b = arg;
    if (b->cli == c)
        bulk_push(b, now);
}

static void bk_connected(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    bulk_push(arg, now);
}

static void bk_readable(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    struct bulk *b = arg;
    uint8_t buf[32768];
    ssize_t n;
    struct mp_tcp_info ti;
    mp_tcp_get_info(c, &ti);
    if (!b->rcvbuf_first) {
        b->rcvbuf_first = b->rcvbuf_min = ti.rcvbuf;
        b->rcv_wscale = ti.rcv_wscale;
        b->srv_mss = ti.mss;
        struct mp_endpoint l;
        mp_tcp_endpoints(c, &l, NULL);
        b->srv_v = l.ip.v;
    }
    b->rcvbuf_min = MIN(b->rcvbuf_min, ti.rcvbuf);
    b->rcvbuf_max = MAX(b->rcvbuf_max, ti.rcvbuf);
    b->rcvbuf_last = ti.rcvbuf;
    b->rcv_wnd_max = MAX(b->rcv_wnd_max, ti.rcv_wnd);
    size_t chunk = b->read_chunk ? MIN(b->read_chunk, sizeof(buf)) : sizeof(buf);
    while ((n = mp_tcp_recv(c, buf, chunk, now)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != pat(b->rcvd + (uint64_t)i))
                b->bad = true;
        b->rcvd += (uint64_t)n;
    }
    if (n == 0 && !b->eof) {
        b->eof = true;
        b->done_at = now;
        mp_tcp_close(c, now);
        b->srv = NULL;
    }
}

static void bk_closed(void *arg, struct mp_tcp_conn *c, int err, mp_time_t now)
{
    g_assert_cmpint(err, ==, 0);
}

static void bk_accept(void *arg, struct mp_tcp_conn *l, mp_time_t now)
{
    struct bulk *b = arg;
    b->srv = mp_tcp_accept(l);
    g_assert_nonnull(b->srv);
}

static void add_addr(struct mp_node *n, uint32_t ifi, const char *s)
{
    struct mp_prefix p;
    g_assert_cmpint(mp_prefix_parse(s, &p), ==, 0);
    g_assert_cmpint(mp_host_addr_add(mp_node_host(n), ifi, &p.ip, p.len, 0), ==, 0);
}

/* A two-host world for a bulk transfer. */
struct wconf {
    uint64_t total;
    uint32_t loss_ppm;           /* random loss each way */
    uint64_t rate;               /* bit/s (0: 20 Mbit/s) */
    mp_time_t delay;             /* one way (0: 10 ms) */
    bool v6;                     /* 2001:db8::/64 instead of 10.0.0.0/24 */
    const struct mp_tcp_opts *o; /* both hosts' TCP defaults (NULL: Linux's) */
    size_t read_chunk;           /* the receiver's bytes per recv (0: 32 KiB) */
};

/* Runs the transfer of |wc|; fills |b| (what the hosts saw), |*done_at|
 * and |*rexmits|; returns the trace bytes. */
static GString *world_bulk(const struct wconf *wc, struct bulk *b, mp_time_t *done_at,
                           uint64_t *rexmits)
{
    uint64_t total = wc->total;
    uint32_t loss_ppm = wc->loss_ppm;
    char *path = NULL;
    int fd = g_file_open_tmp("afmp-tcp-XXXXXX", &path, NULL);
    g_assert_cmpint(fd, >=, 0);
    FILE *tr = fdopen(fd, "w+");
    struct mp_world_conf wconf = {.seed = 3, .trace = tr, .trace_mask = MP_TRACE_TCP};
    struct mp_world *w = mp_world_new(&wconf);
    struct mp_node *a = mp_world_add_node(w, "a", NULL, false);
    struct mp_node *bn = mp_world_add_node(w, "b", NULL, false);
    uint32_t ia = mp_node_add_iface(a, "eth0", 1500), ib = mp_node_add_iface(bn, "eth0", 1500);
    add_addr(a, ia, wc->v6 ? "2001:db8::1/64" : "10.0.0.1/24");
    add_addr(bn, ib, wc->v6 ? "2001:db8::2/64" : "10.0.0.2/24");
    struct mp_link_conf lc = {0};
    lc.name = "l";
    for (int i = 0; i < 2; i++) {
        lc.dir[i].rate_bps = wc->rate ? wc->rate : 20000000;
        lc.dir[i].delay = wc->delay ? wc->delay : MP_MS(10);
    }
    struct mp_link *l = mp_world_connect(w, a, ia, bn, ib, &lc, NULL);
    g_assert_nonnull(l);
    if (loss_ppm) {
        mp_link_add_fault(l, 0, mp_fault_loss_new_ppm(loss_ppm));
        mp_link_add_fault(l, 1, mp_fault_loss_new_ppm(loss_ppm));
    }
    mp_world_compute_routes(w);
    struct mp_tcp_stack *sa = mp_tcp_attach(mp_node_host(a), wc->o);
    struct mp_tcp_stack *sb = mp_tcp_attach(mp_node_host(bn), wc->o);
    memset(b, 0, sizeof(*b));
    b->total = total;
    b->read_chunk = wc->read_chunk;
    struct mp_tcp_cbs cb = {.connected = bk_connected, .accept_ready = bk_accept,
                            .readable = bk_readable, .writable = bk_writable,
                            .closed = bk_closed, .arg = b};
    struct mp_endpoint le = {.ip = {.v = wc->v6 ? 6 : 4}, .port = 5001};
    g_assert_cmpint(mp_tcp_listen(sb, &le, 8, NULL, &cb, &b->lis), ==, 0);
    struct mp_endpoint re = {.port = 5001};
    struct mp_prefix p;
    mp_prefix_parse(wc->v6 ? "2001:db8::2" : "10.0.0.2", &p);
    re.ip = p.ip;
    g_assert_cmpint(mp_tcp_connect(sa, NULL, &re, NULL, &cb, &b->cli, 0), ==, 0);
    mp_world_run(w, MP_S(600));
    g_assert_false(b->bad);
    g_assert_cmpuint(b->rcvd, ==, total);
    g_assert_true(b->eof);
    *done_at = b->done_at;
    *rexmits = mp_node_host(a)->ctr.v[MP_CTR_TCP_RETRANS_SEGS];
    /* Every connection finished (TIME_WAIT included): nothing left but
     * the listener. */
    g_assert_cmpuint(sa->all->len, ==, 0);
    g_assert_cmpuint(sb->all->len, ==, 1);
    mp_tcp_close(b->lis, *done_at);
    mp_tcp_detach(sa);
    mp_tcp_detach(sb);
    mp_world_free(w);
    fflush(tr);
    GString *out = g_string_new(NULL);
    char *contents = NULL;
    gsize len = 0;
    g_assert_true(g_file_get_contents(path, &contents, &len, NULL));
    g_string_append_len(out, contents, (gssize)len);
    g_free(contents);
    fclose(tr);
    g_unlink(path);
    g_free(path);
    return out;
}

/* Runs a bulk transfer of |total| bytes over a 20 Mbit/s, 10 ms link with
 * |loss_ppm| random loss each way; returns the trace bytes. */
static GString *bulk_run(uint64_t total, uint32_t loss_ppm, mp_time_t *done_at, uint64_t *rexmits)
{
    struct wconf wc = {.total = total, .loss_ppm = loss_ppm};
    struct bulk b;
    return world_bulk(&wc, &b, done_at, rexmits);
}

static void test_bulk_clean(void)
{
    mp_time_t t;
    uint64_t rx;
    GString *tr = bulk_run(2u << 20, 0, &t, &rx);
    g_test_message("2 MiB over 20 Mbit/s, 20 ms RTT: done at %" G_GUINT64_FORMAT " ms", t / MP_MS(1));
    g_assert_cmpuint(rx, ==, 0);
    /* 2 MiB at 20 Mbit/s is 0.84 s of wire time; slow start adds a few RTTs. */
    g_assert_cmpuint(t, <, MP_S(2));
    g_assert_nonnull(strstr(tr->str, "\"ev\":\"tcp.ack\""));
    g_assert_nonnull(strstr(tr->str, "\"to\":\"TIME-WAIT\""));
    g_string_free(tr, TRUE);
}

static void test_bulk_lossy(void)
{
    mp_time_t t;
    uint64_t rx;
    GString *tr = bulk_run(3u << 20, 10000, &t, &rx);
    g_test_message("3 MiB with 1%% loss: done at %" G_GUINT64_FORMAT " ms, %" G_GUINT64_FORMAT
                   " retransmissions", t / MP_MS(1), rx);
    g_assert_cmpuint(rx, >, 0);
    g_string_free(tr, TRUE);
}

/* Reads smaller than a segment, with loss: the receive queue holds the
 * arriving packets themselves and copies of what reassembly hands over,
 * and reads that end inside either give the stream intact. */
static void test_bulk_small_reads(void)
{
    struct wconf wc = {.total = 1u << 20, .loss_ppm = 20000, .read_chunk = 777};
    struct bulk b;
    mp_time_t t;
    uint64_t rx;
    GString *tr = world_bulk(&wc, &b, &t, &rx);
    g_assert_cmpuint(rx, >, 0);
    g_assert_cmpuint(b.rcvd, ==, wc.total);
    g_assert_false(b.bad);
    g_assert_true(b.eof);
    g_string_free(tr, TRUE);
}

static void test_determinism(void)
{
    mp_time_t t1, t2;
    uint64_t r1, r2;
    GString *a = bulk_run(1u << 20, 20000, &t1, &r1);
    GString *b = bulk_run(1u << 20, 20000, &t2, &r2);
    g_assert_cmpuint(t1, ==, t2);
    g_assert_cmpuint(r1, ==, r2);
    g_assert_cmpuint(a->len, ==, b->len);
    g_assert_true(g_string_equal(a, b));
    g_string_free(a, TRUE);
    g_string_free(b, TRUE);
}

/* ---- adaptive delayed-ACK timeout (Linux icsk_ack.ato) ---- */

struct ato_case {
    const char *name;
    mp_time_t rtt;         /* of the handshake: srtt and RTO follow */
    mp_time_t gap[5];      /* between arrivals, after quick-ack mode */
    mp_time_t delay[5];    /* expected delay of each ACK (0: at once) */
    mp_time_t ato_after[5]; /* icsk_ack.ato once that ACK went out */
};

static const struct ato_case ato_cases[] = {
    /* srtt 300 ms, RTO 900 ms. The timer fires before a second segment,
     * so the ATO doubles (40, 80, 160 ms, ...); 150 ms gaps shorter than
     * the ATO pull it to ato / 2 + gap; the delay never passes
     * TCP_DELACK_MAX (200 ms), the ATO never the RTO; a gap over the RTO
     * means the sender stalled: quick ACKs again. */
    {"/tcp/ack/ato/grows", MP_MS(300),
     {MP_MS(1), MP_MS(150), MP_MS(150), MP_MS(250), MP_MS(1000)},
     {MP_MS(40), MP_MS(80), MP_MS(200), MP_MS(200), 0},
     {MP_MS(80), MP_MS(160), MP_MS(460), MP_MS(900), MP_MS(900)}},
    /* srtt 60 ms (RTO 260 ms): the delay is bounded by the RTT and the
     * ATO by the RTO. */
    {"/tcp/ack/ato/rtt-bound", MP_MS(60),
     {MP_MS(1), MP_MS(150), MP_MS(150), MP_MS(150), MP_MS(150)},
     {MP_MS(40), MP_MS(60), MP_MS(60), MP_MS(60), MP_MS(60)},
     {MP_MS(80), MP_MS(160), MP_MS(260), MP_MS(260), MP_MS(260)}},
};

static void test_ato(gconstpointer data)
{
    const struct ato_case *ac = data;
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    e.c = open_active_rtt(&f, false, 5000, ac->rtt);
    struct cap a;
    cap_last(&f, &a);
    e.lport = a.th.sport;
    e.snd = a.th.seq;
    e.rcv = 5001;
    e.tsval = a.ov.tsval;
    uint8_t d[100] = {0};
    uint32_t seq = e.rcv;
    /* Quick-ack mode first: 16 segments 1 ms apart, each ACKed at once. */
    for (int i = 0; i < 16; i++, seq += 100) {
        f.now += MP_MS(1);
        out_clear(&f);
        peer_send(&f, &e, MP_TCP_ACK, seq, e.snd, d, 100);
        g_assert_cmpuint(f.out->len, ==, 1);
    }
    struct mp_tcp_info ti;
    mp_tcp_get_info(e.c, &ti);
    g_assert_cmpuint(ti.ato, ==, MP_MS(40)); /* TCP_ATO_MIN */
    mp_time_t t = f.now;
    for (int i = 0; i < 5; i++, seq += 100) {
        t += ac->gap[i];
        f_run(&f, t);
        out_clear(&f);
        peer_send(&f, &e, MP_TCP_ACK, seq, e.snd, d, 100);
        if (ac->delay[i])
            f_run(&f, t + ac->delay[i] - 1);
        g_assert_cmpuint(f.out->len, ==, ac->delay[i] ? 0u : 1u);
        f_run(&f, t + ac->delay[i]);
        g_assert_cmpuint(f.out->len, ==, 1);
        struct cap ack;
        cap_get(&f, 0, &ack);
        g_assert_cmpuint(ack.th.ack, ==, seq + 100);
        g_assert_cmpuint(g_array_index(f.out_t, mp_time_t, 0), ==, t + ac->delay[i]);
        mp_tcp_get_info(e.c, &ti);
        g_assert_cmpuint(ti.ato, ==, ac->ato_after[i]);
    }
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* ---- challenge-ACK limits (RFC 5961 7) ---- */

static void test_challenge_per_conn(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    const uint64_t *ctr = f.h->ctr.v;
    /* Linux: one per tcp_invalid_ratelimit (500 ms) per connection. */
    mp_time_t t0 = f.now;
    static const struct {
        mp_time_t at;
        uint64_t sent, skipped;
    } steps[] = {{0, 1, 0}, {MP_MS(100), 1, 1}, {MP_MS(499), 1, 2}, {MP_MS(600), 2, 2}};
    for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
        f.now = t0 + steps[i].at;
        out_clear(&f);
        peer_send(&f, &e, MP_TCP_RST, e.rcv + 100, 0, NULL, 0);
        g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_ESTABLISHED);
        g_assert_cmpuint(ctr[MP_CTR_TCP_CHALLENGE_ACK], ==, steps[i].sent);
        g_assert_cmpuint(ctr[MP_CTR_TCP_ACK_SKIPPED_CHALLENGE], ==, steps[i].skipped);
        g_assert_cmpuint(f.out->len, ==, i == 0 || i == 3 ? 1u : 0u);
    }
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

static void test_challenge_host(void)
{
    struct mp_tcp_opts o;
    mp_tcp_opts_default(&o);
    o.challenge_ack_limit = 1; /* the budget is then exactly 1 per second */
    struct fx f;
    fx_init(&f, &o);
    struct est e[3];
    for (int i = 0; i < 3; i++)
        est_open(&f, &e[i]);
    const uint64_t *ctr = f.h->ctr.v;
    f.now = MP_S(5);
    out_clear(&f);
    for (int i = 0; i < 3; i++)
        peer_send(&f, &e[i], MP_TCP_RST, e[i].rcv + 100, 0, NULL, 0);
    /* One answer for the host; the others are not counted (Linux has no
     * counter for them). */
    g_assert_cmpuint(f.out->len, ==, 1);
    g_assert_cmpuint(ctr[MP_CTR_TCP_CHALLENGE_ACK], ==, 1);
    g_assert_cmpuint(ctr[MP_CTR_TCP_ACK_SKIPPED_CHALLENGE], ==, 0);
    /* The next second has a new budget. */
    f.now = MP_S(6);
    peer_send(&f, &e[1], MP_TCP_RST, e[1].rcv + 100, 0, NULL, 0);
    g_assert_cmpuint(f.out->len, ==, 2);
    g_assert_cmpuint(ctr[MP_CTR_TCP_CHALLENGE_ACK], ==, 2);
    for (int i = 0; i < 3; i++)
        mp_tcp_abort(e[i].c, f.now);
    fx_clear(&f);
}

/* ---- keepalive ---- */

static void test_keepalive(gconstpointer data)
{
    bool answer = GPOINTER_TO_INT(data) != 0;
    struct mp_tcp_opts o;
    mp_tcp_opts_default(&o);
    o.keepalive = true;
    o.keepalive_time = MP_S(10);
    o.keepalive_intvl = MP_S(2);
    o.keepalive_probes = 3;
    struct fx f;
    fx_init(&f, &o);
    struct est e;
    est_open(&f, &e);
    mp_time_t t0 = f.now;
    out_clear(&f);
    f_run(&f, t0 + MP_S(10) - 1);
    g_assert_cmpuint(f.out->len, ==, 0);
    f_run(&f, t0 + MP_S(10));
    /* The probe: a pure ACK one below snd_una, as Linux sends it. */
    g_assert_cmpuint(f.out->len, ==, 1);
    struct cap p;
    cap_get(&f, 0, &p);
    g_assert_cmpuint(p.th.flags, ==, MP_TCP_ACK);
    g_assert_cmpuint(p.th.seq, ==, e.snd - 1);
    g_assert_cmpuint(p.plen, ==, 0);
    if (answer) {
        /* An answer is traffic: the idle time starts over. */
        f.now += MP_MS(10);
        peer_send(&f, &e, MP_TCP_ACK, e.rcv, e.snd, NULL, 0);
        mp_time_t t1 = f.now;
        out_clear(&f);
        f_run(&f, t1 + MP_S(10) - 1);
        g_assert_cmpuint(f.out->len, ==, 0);
        f_run(&f, t1 + MP_S(10));
        g_assert_cmpuint(f.out->len, ==, 1);
        g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_ESTABLISHED);
        mp_tcp_abort(e.c, f.now);
        fx_clear(&f);
        return;
    }
    /* Unanswered: every interval, then ETIMEDOUT one interval after the
     * last probe. */
    for (int i = 1; i < 3; i++) {
        f_run(&f, t0 + MP_S(10) + (mp_time_t)i * MP_S(2) - 1);
        g_assert_cmpuint(f.out->len, ==, (guint)i);
        f_run(&f, t0 + MP_S(10) + (mp_time_t)i * MP_S(2));
        g_assert_cmpuint(f.out->len, ==, (guint)i + 1);
    }
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_KEEPALIVE], ==, 3);
    f_run(&f, t0 + MP_S(16) - 1);
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_ESTABLISHED);
    f_run(&f, t0 + MP_S(16));
    g_assert_cmpint(mp_tcp_conn_state(e.c), ==, MP_TCP_CLOSED);
    g_assert_cmpint(f.closed_err, ==, -ETIMEDOUT);
    g_assert_cmpuint(f.out->len, ==, 3); /* no RST: Linux sends none */
    mp_tcp_close(e.c, f.now);
    fx_clear(&f);
}

/* ---- undo of spurious reductions (Linux tcp_try_undo_*) ---- */

static void test_undo_dsack(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    out_clear(&f);
    uint32_t mss = 1460 - 12;
    send_bytes(&f, &e, 10 * mss);
    struct mp_tcp_info ti;
    mp_tcp_get_info(e.c, &ti);
    uint32_t cwnd0 = ti.cwnd, ssthresh0 = ti.ssthresh;
    f.now += MP_MS(10);
    /* The first segment seems lost: SACKs for 2, 3, 4. */
    for (uint32_t i = 2; i <= 4; i++)
        peer_sack(&f, &e, e.snd, e.snd + mss, e.snd + i * mss);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_RETRANS_SEGS], ==, 1);
    mp_tcp_get_info(e.c, &ti);
    g_assert_cmpuint(ti.ssthresh, <, ssthresh0);
    /* It was only late: the original fills the hole, then the
     * retransmission arrives as a duplicate, reported by D-SACK
     * (RFC 2883). */
    f.now += MP_MS(1);
    peer_sack(&f, &e, e.snd + 4 * mss, 0, 0);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_DSACK_UNDO], ==, 0);
    peer_sack(&f, &e, e.snd + 4 * mss, e.snd, e.snd + mss);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_DSACK_RECV], ==, 1);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_DSACK_UNDO], ==, 1);
    mp_tcp_get_info(e.c, &ti);
    g_assert_cmpuint(ti.ssthresh, ==, ssthresh0);
    g_assert_cmpuint(ti.cwnd, >=, cwnd0);
    g_assert_cmpint(e.c->cc.ca_state, <, MP_CC_RECOVERY);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

static void test_undo_rto(void)
{
    struct fx f;
    fx_init(&f, NULL);
    struct est e;
    est_open(&f, &e);
    out_clear(&f);
    uint32_t mss = 1460 - 12;
    mp_time_t t0 = f.now;
    send_bytes(&f, &e, 10 * mss);
    struct mp_tcp_info ti;
    mp_tcp_get_info(e.c, &ti);
    uint32_t cwnd0 = ti.cwnd;
    /* No ACK for a while: a tail loss probe, then the RTO. */
    f_run(&f, t0 + MP_MS(300));
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_TIMEOUTS], ==, 1);
    mp_tcp_get_info(e.c, &ti);
    g_assert_cmpuint(ti.cwnd, ==, 1);
    /* The ACKs were only delayed: the one that comes echoes a timestamp
     * older than the retransmission, so the originals arrived (Eifel,
     * RFC 3522): the reduction is undone. */
    peer_sack(&f, &e, e.snd + 10 * mss, 0, 0);
    g_assert_cmpuint(f.h->ctr.v[MP_CTR_TCP_LOSS_UNDO], ==, 1);
    mp_tcp_get_info(e.c, &ti);
    g_assert_cmpuint(ti.cwnd, >=, cwnd0);
    g_assert_cmpint(e.c->cc.ca_state, ==, MP_CC_OPEN);
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* ---- pacing ---- */

static void test_pacing(gconstpointer data)
{
    bool on = GPOINTER_TO_INT(data) != 0;
    struct mp_tcp_opts o;
    mp_tcp_opts_default(&o);
    o.pacing = on;
    o.nagle = false;
    struct fx f;
    fx_init(&f, &o);
    struct est e;
    est_open(&f, &e); /* srtt 10 ms */
    out_clear(&f);
    uint32_t mss = 1460 - 12;
    send_bytes(&f, &e, 30 * mss);
    /* The first 10 segments are never paced (as sch_fq). */
    g_assert_cmpuint(f.out->len, ==, 10);
    out_clear(&f);
    f.now += MP_MS(10);
    peer_sack(&f, &e, e.snd + 10 * mss, 0, 0);
    struct mp_tcp_info ti;
    mp_tcp_get_info(e.c, &ti);
    /* HyStart++ limits an unpaced sender's growth per ACK to 8 segments
     * (RFC 9406 4.3), a paced one not. */
    g_assert_cmpuint(ti.cwnd, ==, on ? 20 : 18);
    /* Slow start (cwnd < ssthresh / 2): 200% of cwnd * mss / srtt. */
    g_assert_cmpuint(ti.pacing_rate, ==, (uint64_t)1460 * ti.cwnd * 2 * MP_S(1) / ti.srtt);
    mp_time_t t = f.now;
    f_run(&f, t + MP_MS(9));
    g_assert_cmpuint(f.out->len, ==, ti.cwnd);
    mp_time_t slot = (mp_time_t)mss * MP_S(1) / ti.pacing_rate;
    for (guint i = 1; i < f.out->len; i++) {
        mp_time_t gap = g_array_index(f.out_t, mp_time_t, i) - g_array_index(f.out_t, mp_time_t, i - 1);
        if (!on)
            g_assert_cmpuint(gap, ==, 0);
        else if (i == 1)
            g_assert_cmpuint(gap, ==, slot - slot / 2); /* idle credit: half a slot */
        else
            g_assert_cmpuint(gap, ==, slot);
    }
    mp_tcp_abort(e.c, f.now);
    fx_clear(&f);
}

/* ---- buffer autotuning in a world ---- */

enum tune_kind { TK_GROWS, TK_RMEM_MAX, TK_RCV_LOCKED, TK_SND_LOCKED };

struct tune_case {
    const char *name;
    enum tune_kind kind;
};

static const struct tune_case tune_cases[] = {
    {"/tcp/autotune/rcvbuf-grows", TK_GROWS},
    {"/tcp/autotune/rcvbuf-stops-at-max", TK_RMEM_MAX},
    {"/tcp/autotune/rcvbuf-locked", TK_RCV_LOCKED},
    {"/tcp/autotune/sndbuf-locked", TK_SND_LOCKED},
};

static void test_autotune(gconstpointer data)
{
    const struct tune_case *tc = data;
    struct mp_tcp_opts o;
    mp_tcp_opts_default(&o);
    if (tc->kind == TK_RMEM_MAX)
        o.rmem[2] = 262144;
    if (tc->kind == TK_RCV_LOCKED) {
        o.rcvbuf = 200000;
        o.rcvbuf_lock = true;
    }
    if (tc->kind == TK_SND_LOCKED) {
        o.sndbuf = 65536;
        o.sndbuf_lock = true;
    }
    /* 20 Mbit/s, 100 ms RTT: a bandwidth-delay product of 250 kB, four
     * times the initial window (64 KiB of a 128 KiB buffer). */
    struct wconf wc = {.total = 8u << 20, .rate = 20000000, .delay = MP_MS(50), .o = &o};
    struct bulk b;
    mp_time_t done;
    uint64_t rx;
    GString *tr = world_bulk(&wc, &b, &done, &rx);
    g_test_message("rcvbuf %zu..%zu, window up to %u, sndbuf %zu..%zu, done at %" G_GUINT64_FORMAT
                   " ms", b.rcvbuf_min, b.rcvbuf_max, b.rcv_wnd_max, b.sndbuf_min, b.sndbuf_max,
                   done / MP_MS(1));
    switch (tc->kind) {
    case TK_GROWS:
        g_assert_cmpuint(b.rcvbuf_first, ==, 131072); /* tcp_rmem[1] */
        g_assert_cmpuint(b.rcv_wscale, ==, 7);        /* from tcp_rmem[2] */
        /* The window grew past the BDP (memory is twice the window)... */
        g_assert_cmpuint(b.rcv_wnd_max, >=, 250000);
        g_assert_cmpuint(b.rcvbuf_max, >=, 2 * 250000);
        g_assert_cmpuint(b.rcvbuf_max, <=, 6u << 20);
        /* ... so the link is full: 8 MiB is 3.4 s of wire time. */
        g_assert_cmpuint(done, <, MP_S(5));
        /* The send buffer followed cwnd from tcp_wmem[1]. */
        g_assert_cmpuint(b.sndbuf_max, >, 2 * 10 * 4352);
        g_assert_cmpuint(b.sndbuf_max, <=, 4u << 20);
        g_assert_nonnull(strstr(tr->str, "\"rcvbuf\":"));
        break;
    case TK_RMEM_MAX:
        g_assert_cmpuint(b.rcv_wscale, ==, 3); /* 256 KiB: 2^18 >> 15 */
        g_assert_cmpuint(b.rcvbuf_max, ==, 262144);
        g_assert_cmpuint(b.rcvbuf_last, ==, 262144);
        g_assert_cmpuint(b.rcv_wnd_max, <=, 131072);
        /* A 128 KiB window per 100 ms: about 10 Mbit/s. */
        g_assert_cmpuint(done, >, MP_S(6));
        break;
    case TK_RCV_LOCKED:
        g_assert_cmpuint(b.rcvbuf_min, ==, 200000);
        g_assert_cmpuint(b.rcvbuf_max, ==, 200000);
        g_assert_cmpuint(b.rcv_wnd_max, <=, 100000);
        g_assert_cmpuint(b.rcv_wscale, ==, 1); /* the window, not tcp_rmem[2] */
        break;
    case TK_SND_LOCKED:
        g_assert_cmpuint(b.sndbuf_min, ==, 65536);
        g_assert_cmpuint(b.sndbuf_max, ==, 65536);
        g_assert_cmpuint(b.rcvbuf_max, >, 131072); /* the other direction still tunes */
        break;
    }
    g_string_free(tr, TRUE);
}

/* ---- IPv6 through the world ---- */

static void test_bulk_v6(void)
{
    struct wconf wc = {.total = 2u << 20, .v6 = true};
    struct bulk b;
    mp_time_t done;
    uint64_t rx;
    GString *tr = world_bulk(&wc, &b, &done, &rx); /* asserts every byte */
    g_assert_cmpuint(b.srv_v, ==, 6);
    g_assert_cmpuint(b.srv_mss, ==, 1500 - 60);
    g_assert_cmpuint(rx, ==, 0);
    g_assert_cmpuint(done, <, MP_S(2));
    g_string_free(tr, TRUE);
}

/* ---- tcp.rmem / tcp.wmem / tcp.pacing in a scenario ---- */

struct scn_case {
    const char *name;
    const char *keys;    /* lines for [host a] */
    bool ok;
    size_t rmem[3], rcvbuf;
    bool rcv_lock;
    size_t wmem2, sndbuf;
    bool snd_lock, pacing;
    const char *error;   /* part of the message when !ok */
};

static const struct scn_case scn_cases[] = {
    {"/tcp/scenario/defaults", "", true, {4096, 131072, 6291456}, 131072, false, 4194304, 16384,
     false, false, NULL},
    {"/tcp/scenario/triple", "tcp.rmem = 4KiB 256KiB 16MiB\ntcp.wmem = 4096 65536 8MiB\ntcp.pacing = on\n",
     true, {4096, 262144, 16777216}, 262144, false, 8388608, 65536, false, true, NULL},
    /* One size: fixed, doubled as SO_RCVBUF / SO_SNDBUF. */
    {"/tcp/scenario/single", "tcp.rmem = 4MiB\ntcp.wmem = 1MiB\n", true,
     {4096, 131072, 6291456}, 8388608, true, 4194304, 2097152, true, false, NULL},
    {"/tcp/scenario/two-sizes", "tcp.rmem = 4096 131072\n", false, {0}, 0, false, 0, 0, false,
     false, "min default max"},
    {"/tcp/scenario/four-sizes", "tcp.wmem = 1 2 3 4\n", false, {0}, 0, false, 0, 0, false, false,
     "tcp.wmem"},
    {"/tcp/scenario/unordered", "tcp.rmem = 4096 131072 65536\n", false, {0}, 0, false, 0, 0,
     false, false, "min <= default <= max"},
    {"/tcp/scenario/bad-unit", "tcp.rmem = 4096 128kb 6MiB\n", false, {0}, 0, false, 0, 0, false,
     false, "tcp.rmem"},
};

static void test_scenario_opts(gconstpointer data)
{
    const struct scn_case *sc = data;
    char *text = g_strdup_printf("[scenario]\nformat = 1\n\n[host a]\niface.eth0 = 10.0.0.1/24\n%s",
                                 sc->keys);
    GError *err = NULL;
    struct mp_scenario *scn = mp_scenario_load_data("t.ini", text, -1, NULL, &err);
    g_free(text);
    if (!sc->ok) {
        g_assert_null(scn);
        g_assert_nonnull(err);
        g_test_message("%s", err->message);
        g_assert_nonnull(strstr(err->message, sc->error));
        g_error_free(err);
        return;
    }
    g_assert_no_error(err);
    struct mp_world_conf wc = {0};
    struct mp_build *b = mp_build_new(scn, &wc, &err);
    g_assert_no_error(err);
    struct mp_tcp_stack *st = mp_tcp_stack_of(mp_node_host(mp_world_node(b->w, "a")));
    const struct mp_tcp_opts *o = &st->defaults;
    if (!sc->rcv_lock) {
        for (int i = 0; i < 3; i++)
            g_assert_cmpuint(o->rmem[i], ==, sc->rmem[i]);
    }
    g_assert_cmpuint(o->rcvbuf, ==, sc->rcvbuf);
    g_assert_cmpint(o->rcvbuf_lock, ==, sc->rcv_lock);
    if (!sc->snd_lock)
        g_assert_cmpuint(o->wmem[2], ==, sc->wmem2);
    g_assert_cmpuint(o->sndbuf, ==, sc->sndbuf);
    g_assert_cmpint(o->sndbuf_lock, ==, sc->snd_lock);
    g_assert_cmpint(o->pacing, ==, sc->pacing);
    mp_build_free(b);
    mp_scenario_free(scn);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_data_func("/tcp/handshake/v4", GINT_TO_POINTER(0), test_handshake);
    g_test_add_data_func("/tcp/handshake/v6", GINT_TO_POINTER(1), test_handshake);
    g_test_add_func("/tcp/handshake/passive", test_passive);
    g_test_add_func("/tcp/handshake/simultaneous", test_simultaneous_open);
    g_test_add_func("/tcp/handshake/refused", test_refused);
    g_test_add_func("/tcp/close/active", test_close_active);
    g_test_add_func("/tcp/close/passive", test_close_passive);
    g_test_add_func("/tcp/close/simultaneous", test_close_simultaneous);
    for (size_t i = 0; i < MP_ARRAY_LEN(rst_cases); i++)
        g_test_add_data_func(rst_cases[i].name, &rst_cases[i], test_rst);
    g_test_add_func("/tcp/window/out-of-window", test_out_of_window);
    g_test_add_func("/tcp/sack/generation", test_sack_generation);
    g_test_add_func("/tcp/ack/delayed", test_delayed_ack);
    for (size_t i = 0; i < MP_ARRAY_LEN(paws_cases); i++)
        g_test_add_data_func(paws_cases[i].name, &paws_cases[i], test_paws);
    g_test_add_func("/tcp/fast-retransmit/sack", test_fast_retransmit_sack);
    g_test_add_func("/tcp/fast-retransmit/reno", test_fast_retransmit_reno);
    for (size_t i = 0; i < MP_ARRAY_LEN(icmp_cases); i++)
        g_test_add_data_func(icmp_cases[i].name, &icmp_cases[i], test_icmp);
    for (size_t i = 0; i < MP_ARRAY_LEN(rack_cases); i++)
        g_test_add_data_func(rack_cases[i].name, &rack_cases[i], test_rack);
    g_test_add_func("/tcp/rto/syn-backoff", test_rto_backoff);
    g_test_add_func("/tcp/rto/data", test_rto_data);
    g_test_add_func("/tcp/rto/recent-segments-in-flight", test_rto_recent);
    g_test_add_func("/tcp/window/zero-probe", test_zero_window);
    g_test_add_func("/tcp/ext/option-budget", test_ext_budget);
    g_test_add_func("/tcp/ext/pull-metadata", test_ext_pull_meta);
    g_test_add_data_func("/tcp/ext/tlp/new-data", GINT_TO_POINTER(1), test_ext_tlp);
    g_test_add_data_func("/tcp/ext/tlp/last-segment", GINT_TO_POINTER(0), test_ext_tlp);
    g_test_add_func("/tcp/world/bulk", test_bulk_clean);
    g_test_add_func("/tcp/world/bulk-lossy", test_bulk_lossy);
    g_test_add_func("/tcp/world/bulk-small-reads", test_bulk_small_reads);
    g_test_add_func("/tcp/world/determinism", test_determinism);
    g_test_add_func("/tcp/world/bulk-v6", test_bulk_v6);
    for (size_t i = 0; i < MP_ARRAY_LEN(ato_cases); i++)
        g_test_add_data_func(ato_cases[i].name, &ato_cases[i], test_ato);
    g_test_add_func("/tcp/rst/challenge-rate-limit", test_challenge_per_conn);
    g_test_add_func("/tcp/rst/challenge-host-limit", test_challenge_host);
    g_test_add_data_func("/tcp/keepalive/timeout", GINT_TO_POINTER(0), test_keepalive);
    g_test_add_data_func("/tcp/keepalive/answered", GINT_TO_POINTER(1), test_keepalive);
    g_test_add_func("/tcp/undo/dsack", test_undo_dsack);
    g_test_add_func("/tcp/undo/rto-timestamps", test_undo_rto);
    g_test_add_data_func("/tcp/pacing/off", GINT_TO_POINTER(0), test_pacing);
    g_test_add_data_func("/tcp/pacing/gaps", GINT_TO_POINTER(1), test_pacing);
    for (size_t i = 0; i < MP_ARRAY_LEN(tune_cases); i++)
        g_test_add_data_func(tune_cases[i].name, &tune_cases[i], test_autotune);
    for (size_t i = 0; i < MP_ARRAY_LEN(scn_cases); i++)
        g_test_add_data_func(scn_cases[i].name, &scn_cases[i], test_scenario_opts);
    return g_test_run();
}
