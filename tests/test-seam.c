/*
 * The host-environment seam: model code that sees only struct mp_env runs
 * the same against a minimal fake environment written here and against the
 * embedded engine's (sim/env.c). The model object is a small "beacon"
 * protocol: it sends a packet on interface 1 at jittered intervals drawn
 * from its random stream, keeps its next send as a deadline, and writes a
 * trace record per packet.
 */
#include <glib.h>
#include <string.h>

#include "model/net/udp.h"
#include "model/trace.h"
#include "sim/env.h"

struct beacon {
    const struct mp_env *env;
    struct mp_deadline dl;
    struct mp_rng rng;
    mp_time_t next;
    int sent, limit;
};

static mp_time_t beacon_expire(void *arg, mp_time_t now)
{
    struct beacon *b = arg;
    if (now < b->next)
        return b->next;
    struct mp_pkt *p = mp_pkt_alloc(b->env->pool, 20);
    memset(p->data, 0, 20);
    p->data[0] = (uint8_t)b->sent;
    mp_env_output(b->env, 1, p);
    if (mp_env_tracing(b->env, MP_TRACE_APP)) {
        struct mp_trace_rec r;
        mp_trace_begin(&r, now, "beacon", "app.send");
        mp_trace_u64(&r, "n", (uint64_t)b->sent);
        mp_trace_end(&r, b->env);
    }
    if (++b->sent >= b->limit)
        return b->next = MP_TIME_NEVER;
    b->next = now + MP_MS(1) + mp_rng_below(&b->rng, MP_MS(1));
    return b->next;
}

static void beacon_start(struct beacon *b, const struct mp_env *env, int limit)
{
    b->env = env;
    b->sent = 0;
    b->limit = limit;
    mp_env_rng(env, "beacon/jitter", &b->rng);
    mp_deadline_init(&b->dl, beacon_expire, b);
    b->next = MP_MS(1);
    mp_env_deadline(env, &b->dl, b->next);
}

/* --- the fake environment: a sorted list of timers, nothing else --- */
struct fake {
    mp_time_t now;
    GList *timers; /* struct fake_timer, by time then insertion */
    GString *log;  /* "t ifindex byte0\n" per output, then trace lines */
    uint64_t seq;
};

struct fake_timer {
    mp_time_t when;
    uint64_t seq;
    struct mp_deadline *dl; /* deadline, or NULL for a call */
    mp_env_fn fn;
    void *arg;
};

static gint timer_cmp(gconstpointer a, gconstpointer b)
{
    const struct fake_timer *x = a, *y = b;
    if (x->when != y->when)
        return x->when < y->when ? -1 : 1;
    return x->seq < y->seq ? -1 : 1;
}

static mp_time_t fake_now(void *ctx)
{
    return ((struct fake *)ctx)->now;
}

static void fake_remove_dl(struct fake *f, struct mp_deadline *dl)
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

static void fake_deadline_update(void *ctx, struct mp_deadline *dl, mp_time_t when)
{
    struct fake *f = ctx;
    fake_remove_dl(f, dl);
    struct fake_timer *t = g_new0(struct fake_timer, 1);
    *t = (struct fake_timer){MAX(when, f->now), f->seq++, dl, NULL, NULL};
    dl->armed = t->when;
    f->timers = g_list_insert_sorted(f->timers, t, timer_cmp);
}

static void fake_deadline_stop(void *ctx, struct mp_deadline *dl)
{
    fake_remove_dl(ctx, dl);
    dl->armed = MP_TIME_NEVER;
}

static void fake_call_at(void *ctx, mp_time_t when, mp_env_fn fn, void *arg)
{
    struct fake *f = ctx;
    struct fake_timer *t = g_new0(struct fake_timer, 1);
    *t = (struct fake_timer){MAX(when, f->now), f->seq++, NULL, fn, arg};
    f->timers = g_list_insert_sorted(f->timers, t, timer_cmp);
}

static void fake_output(void *ctx, uint32_t ifindex, struct mp_pkt *pkt)
{
    struct fake *f = ctx;
    g_string_append_printf(f->log, "%" G_GUINT64_FORMAT " if%u %u\n", f->now, ifindex, pkt->data[0]);
    mp_pkt_free(pkt);
}

static void fake_trace(void *ctx, const char *line, size_t len)
{
    struct fake *f = ctx;
    g_string_append_len(f->log, line, (gssize)len);
    g_string_append_c(f->log, '\n');
}

static const struct mp_env_ops fake_ops = {
    .now = fake_now,
    .deadline_update = fake_deadline_update,
    .deadline_stop = fake_deadline_stop,
    .call_at = fake_call_at,
    .output = fake_output,
    .trace_write = fake_trace,
};

static void fake_run(struct fake *f)
{
    while (f->timers) {
        struct fake_timer *t = f->timers->data;
        f->timers = g_list_delete_link(f->timers, f->timers);
        f->now = t->when;
        if (t->dl) {
            struct mp_deadline *dl = t->dl;
            dl->armed = MP_TIME_NEVER;
            mp_time_t next = dl->expire(dl->obj, f->now);
            if (next != MP_TIME_NEVER)
                fake_deadline_update(f, dl, next);
        } else {
            t->fn(t->arg, f->now);
        }
        g_free(t);
    }
}

static char *run_fake(void)
{
    struct fake f = {0};
    struct mp_pkt_pool pool;
    struct beacon b;
    mp_pkt_pool_init(&pool);
    f.log = g_string_new(NULL);
    struct mp_env env = {&fake_ops, &f, 99, MP_TRACE_ALL, &pool};
    beacon_start(&b, &env, 50);
    fake_run(&f);
    g_assert_cmpint(b.sent, ==, 50);
    g_assert_cmpuint(pool.live, ==, 0);
    mp_pkt_pool_clear(&pool);
    return g_string_free(f.log, FALSE);
}

/* --- the same object on the embedded engine --- */
struct sim_log {
    GString *log;
    struct mp_engine *eng;
};

static void sim_output(void *owner, uint32_t ifindex, struct mp_pkt *pkt)
{
    struct sim_log *s = owner;
    g_string_append_printf(s->log, "%" G_GUINT64_FORMAT " if%u %u\n", mp_engine_now(s->eng), ifindex,
                           pkt->data[0]);
    mp_pkt_free(pkt);
}

static char *run_sim(void)
{
    struct sim_log s;
    struct mp_pkt_pool pool;
    struct mp_sim_env se;
    struct beacon b;
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    struct mp_trace_sink sink = {mem, 0, 0};

    s.log = g_string_new(NULL);
    s.eng = mp_engine_new();
    mp_pkt_pool_init(&pool);
    mp_sim_env_init(&se, s.eng, 99, &pool, sim_output, &s, &sink, MP_TRACE_ALL);
    beacon_start(&b, &se.env, 50);
    mp_engine_run(s.eng);
    fclose(mem);
    g_assert_cmpint(b.sent, ==, 50);
    g_assert_cmpuint(sink.records, ==, 50);
    /* The fake logs output and trace interleaved; rebuild that order: one
     * output line then one trace line per packet. */
    gchar **outs = g_strsplit(s.log->str, "\n", -1);
    gchar **traces = g_strsplit(buf, "\n", -1);
    GString *merged = g_string_new(NULL);
    for (int i = 0; i < 50; i++)
        g_string_append_printf(merged, "%s\n%s\n", outs[i], traces[i]);
    g_strfreev(outs);
    g_strfreev(traces);
    free(buf);
    g_string_free(s.log, TRUE);
    mp_engine_free(s.eng);
    mp_pkt_pool_clear(&pool);
    return g_string_free(merged, FALSE);
}

static void test_same_behaviour(void)
{
    char *a = run_fake();
    char *b = run_sim();
    g_assert_cmpstr(a, ==, b);
    /* And the output is what the protocol says: first send at 1 ms. */
    g_assert_true(g_str_has_prefix(a, "1000000 if1 0\n{\"t\":1000000,\"node\":\"beacon\",\"ev\":\"app.send\",\"n\":0}\n"));
    g_free(a);
    g_free(b);
}

static void test_determinism(void)
{
    char *a = run_sim();
    char *b = run_sim();
    g_assert_cmpstr(a, ==, b);
    g_free(a);
    g_free(b);
}

/* ---- a real host on the fake environment ---- */

/* The host answers a ping and sends a UDP datagram, with nothing but the
 * fake's clock, timers and output list behind it. */
static void test_host_on_fake(void)
{
    struct fake f = {0};
    struct mp_pkt_pool pool;
    mp_pkt_pool_init(&pool);
    f.log = g_string_new(NULL);
    struct mp_env env = {&fake_ops, &f, 5, 0, &pool};
    struct mp_host *h = mp_host_new("h", &env, NULL);
    struct mp_iface *ifc = mp_host_add_iface(h, "eth0", 1500);
    struct mp_ip me, peer;
    mp_ip_parse("192.0.2.1", &me);
    mp_ip_parse("192.0.2.7", &peer);
    g_assert_cmpint(mp_host_addr_add(h, ifc->ifindex, &me, 24, 0), ==, 0);
    mp_host_set_carrier(h, ifc->ifindex, true);

    /* An echo request from the peer comes in on eth0 ... */
    uint8_t req[28 + 4];
    struct mp_wire_icmp ic = {.type = MP_ICMP_ECHO, .rest = mp_wire_icmp_rest_echo(7, 1)};
    int n = mp_wire_icmp_build(req, sizeof(req), &peer, &me, &ic, (const uint8_t *)"ping", 4, NULL, true);
    g_assert_cmpint(n, ==, 32);
    struct mp_pkt *p = mp_pkt_alloc(&pool, (uint32_t)n);
    memcpy(p->data, req, (size_t)n);
    f.now = MP_MS(3);
    mp_host_input(h, ifc->ifindex, p);
    /* ... and the reply goes out on eth0 at once (type 0 in the ICMP
     * header at offset 20). */
    g_assert_cmpstr(f.log->str, ==, "3000000 if1 69\n");
    g_assert_cmpuint(h->ctr.v[MP_CTR_ICMP_OUT_ECHO_REPS], ==, 1);

    /* A UDP datagram to the peer leaves by the connected route. */
    struct mp_udp_sock *u = mp_udp_sock_new(h, 4, NULL, NULL);
    struct mp_endpoint dst = {peer, 9};
    g_assert_cmpint(mp_udp_sendto(u, "x", 1, &dst), ==, 1);
    g_assert_cmpuint(h->ctr.v[MP_CTR_UDP_OUT_DATAGRAMS], ==, 1);
    g_assert_cmpstr(f.log->str, ==, "3000000 if1 69\n3000000 if1 69\n");
    g_assert_cmpuint(h->ctr.v[MP_CTR_IP_OUT_REQUESTS], ==, 2);
    mp_udp_sock_free(u);
    fake_run(&f);
    mp_host_free(h);
    g_assert_cmpuint(pool.live, ==, 0);
    mp_pkt_pool_clear(&pool);
    g_string_free(f.log, TRUE);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/seam/fake-vs-engine", test_same_behaviour);
    g_test_add_func("/seam/determinism", test_determinism);
    g_test_add_func("/seam/host-on-fake", test_host_on_fake);
    return g_test_run();
}
