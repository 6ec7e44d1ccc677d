/* afmp: tests of links and queue disciplines (sim/net/link.h, qdisc.h). */
#include <glib.h>
#include <string.h>

#include "model/env.h"
#include "model/pkt.h"
#include "sim/engine.h"
#include "sim/net/link.h"
#include "sim/net/qdisc.h"

/* --- fixture: an engine, a pool, two capturing ports ---------------------- */

struct rx {
    uint64_t id;
    uint32_t len;
    mp_time_t t;
};

struct cap_port {
    struct mp_port port;
    GArray *rx; /* struct rx */
    int carrier_up, carrier_down;
    mp_time_t carrier_t;
};

static void cap_deliver(struct mp_port *port, struct mp_pkt *pkt, mp_time_t now)
{
    struct cap_port *c = (struct cap_port *)port;
    struct rx r = {pkt->id, pkt->len, now};
    g_array_append_val(c->rx, r);
    mp_pkt_free(pkt);
}

static void cap_carrier(struct mp_port *port, bool up, mp_time_t now)
{
    struct cap_port *c = (struct cap_port *)port;
    if (up)
        c->carrier_up++;
    else
        c->carrier_down++;
    c->carrier_t = now;
}

struct fx {
    struct mp_engine *eng;
    struct mp_pkt_pool pool;
    struct cap_port cap[2];
    struct mp_link *link;
};

static void fx_init(struct fx *f)
{
    memset(f, 0, sizeof(*f));
    f->eng = mp_engine_new();
    mp_pkt_pool_init(&f->pool);
    for (int e = 0; e < 2; e++) {
        f->cap[e].port.deliver = cap_deliver;
        f->cap[e].port.carrier = cap_carrier;
        f->cap[e].rx = g_array_new(FALSE, FALSE, sizeof(struct rx));
    }
}

static void fx_link(struct fx *f, const struct mp_link_conf *conf)
{
    GError *err = NULL;
    f->link = mp_link_new(f->eng, conf, &err);
    g_assert_no_error(err);
    g_assert_nonnull(f->link);
    mp_link_attach(f->link, 0, &f->cap[0].port);
    mp_link_attach(f->link, 1, &f->cap[1].port);
}

static void fx_clear(struct fx *f)
{
    mp_link_free(f->link);
    g_assert_cmpuint(mp_engine_pending(f->eng), ==, 0);
    mp_engine_free(f->eng);
    g_assert_cmpuint(f->pool.live, ==, 0);
    mp_pkt_pool_clear(&f->pool);
    for (int e = 0; e < 2; e++)
        g_array_free(f->cap[e].rx, TRUE);
}

static struct mp_link_conf sym_conf(const char *name, uint64_t rate, mp_time_t delay,
                                    const char *qparams)
{
    struct mp_link_conf c = {.name = name, .seed = 1};
    for (int e = 0; e < 2; e++) {
        c.dir[e].rate_bps = rate;
        c.dir[e].delay = delay;
        c.dir[e].qdisc_params = qparams;
    }
    return c;
}

static void send_n(struct fx *f, int end, int n, uint32_t len)
{
    for (int i = 0; i < n; i++)
        mp_link_send(f->link, end, mp_pkt_alloc(&f->pool, len));
}

static struct rx *rx_at(struct fx *f, int end, guint i)
{
    g_assert_cmpuint(i, <, f->cap[end].rx->len);
    return &g_array_index(f->cap[end].rx, struct rx, i);
}

/* Sends from end 0 at a given time: scheduled with the engine. */
struct timed_send {
    struct fx *f;
    int end;
    int n;
    uint32_t len;
};

static void timed_send_fire(void *arg, mp_time_t now)
{
    struct timed_send *ts = arg;
    send_n(ts->f, ts->end, ts->n, ts->len);
}

/* --- timing -------------------------------------------------------------- */

static void test_tx_time(void)
{
    /* 1500 B at 10 Mbit/s: 12,000 bits / 10^7 bit/s = 1.2 ms exactly. */
    g_assert_cmpuint(mp_link_tx_time(1500, 10000000), ==, 1200000);
    g_assert_cmpuint(mp_link_tx_time(1500, UINT64_C(100000000000)), ==, 120);
    g_assert_cmpuint(mp_link_tx_time(1500, 0), ==, 0);
    g_assert_cmpuint(mp_link_tx_time(0, 1000), ==, 0);
    /* Rounded up: 8 bits at 3 bit/s = 2.666... s. */
    g_assert_cmpuint(mp_link_tx_time(1, 3), ==, UINT64_C(2666666667));
    /* 1 byte at 10 Gbit/s = 0.8 ns -> 1 ns. */
    g_assert_cmpuint(mp_link_tx_time(1, UINT64_C(10000000000)), ==, 1);
    /* Beyond 64-bit intermediate products: 4 GB at 1 Tbit/s. */
    g_assert_cmpuint(mp_link_tx_time(UINT32_MAX, UINT64_C(1000000000000)), ==,
                     UINT64_C(34359738360) / 1000 + 1);
}

static void test_timing_single(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 10000000, MP_MS(5), NULL);
    fx_link(&f, &c);

    send_n(&f, 0, 1, 1500);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 1);
    g_assert_cmpuint(f.cap[0].rx->len, ==, 0);
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, 1200000 + 5000000);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->delivered_bytes, ==, 1500);
    fx_clear(&f);
}

static void test_timing_back_to_back(gconstpointer late)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 10000000, MP_MS(5), NULL);
    c.dir[0].late = late != NULL;
    fx_link(&f, &c);

    send_n(&f, 0, 3, 1500);
    /* An idle link later: starts at once. */
    struct timed_send later = {&f, 0, 1, 1500};
    mp_engine_at(f.eng, MP_MS(20), timed_send_fire, &later);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 4);
    for (guint i = 0; i < 3; i++)
        g_assert_cmpuint(rx_at(&f, 1, i)->t, ==, (i + 1) * 1200000 + 5000000);
    g_assert_cmpuint(rx_at(&f, 1, 3)->t, ==, MP_MS(20) + 1200000 + 5000000);
    fx_clear(&f);
}

static void test_timing_duplex(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 0, 0, NULL);
    c.dir[0].rate_bps = 10000000;
    c.dir[0].delay = MP_MS(1);
    c.dir[1].rate_bps = 1000000;
    c.dir[1].delay = MP_MS(3);
    fx_link(&f, &c);

    send_n(&f, 0, 2, 1000);
    send_n(&f, 1, 2, 1000);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    /* 0 -> 1: 800 us each + 1 ms; 1 -> 0: 8 ms each + 3 ms. Neither
     * direction waits for the other. */
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, 800000 + 1000000);
    g_assert_cmpuint(rx_at(&f, 1, 1)->t, ==, 1600000 + 1000000);
    g_assert_cmpuint(rx_at(&f, 0, 0)->t, ==, 8000000 + 3000000);
    g_assert_cmpuint(rx_at(&f, 0, 1)->t, ==, 16000000 + 3000000);
    fx_clear(&f);
}

static void test_timing_infinite(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 0, MP_US(250), "limit=1");
    fx_link(&f, &c);

    /* Infinite rate: nothing ever waits, so a one-packet queue accepts
     * everything. */
    send_n(&f, 0, 50, 9000);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 50);
    for (guint i = 0; i < 50; i++) {
        g_assert_cmpuint(rx_at(&f, 1, i)->t, ==, MP_US(250));
        if (i)
            g_assert_cmpuint(rx_at(&f, 1, i)->id, >, rx_at(&f, 1, i - 1)->id);
    }
    fx_clear(&f);
}

static void test_one_event_per_hop(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 10000000, MP_MS(1), NULL);
    fx_link(&f, &c);

    send_n(&f, 0, 100, 1500);
    g_assert_cmpuint(mp_engine_pending(f.eng), ==, 1); /* only the first arrival is queued */
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(mp_engine_events_run(f.eng), ==, 100);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 100);
    fx_clear(&f);
}

/* --- queue limits -------------------------------------------------------- */

static void test_queue_packets(gconstpointer late)
{
    struct fx f;
    uint32_t pkts;
    uint64_t bytes;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 10000000, MP_MS(1), "limit=10");
    c.dir[0].late = late != NULL;
    fx_link(&f, &c);

    /* One on the wire, ten waiting, the rest dropped. */
    send_n(&f, 0, 100, 1500);
    mp_link_backlog(f.link, 0, &pkts, &bytes);
    g_assert_cmpuint(pkts, ==, 10);
    g_assert_cmpuint(bytes, ==, 15000);
    g_assert_cmpuint(mp_link_in_flight(f.link, 0), ==, 11);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_QUEUE], ==, 89);

    /* When the first one is done, the second starts: room for one. */
    struct timed_send more = {&f, 0, 2, 1500};
    mp_engine_at(f.eng, 1200000, timed_send_fire, &more);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_QUEUE], ==, 90);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->sent_pkts, ==, 102);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 12);
    g_assert_cmpuint(rx_at(&f, 1, 11)->t, ==, 12 * 1200000 + MP_MS(1));
    fx_clear(&f);
}

static void test_queue_bytes(gconstpointer late)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 10000000, MP_MS(1), "bytes=4500");
    c.dir[0].late = late != NULL;
    fx_link(&f, &c);

    /* One on the wire, four waiting (4000 B; a fifth would make 5000). */
    send_n(&f, 0, 100, 1000);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 5);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_QUEUE], ==, 95);

    /* Exactly full is accepted (bfifo: backlog + len <= limit). */
    fx_clear(&f);
    fx_init(&f);
    c = sym_conf("l", 10000000, MP_MS(1), "bytes=4kB");
    fx_link(&f, &c);
    send_n(&f, 0, 10, 1000);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_QUEUE], ==, 5);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    fx_clear(&f);
}

/* A pseudo-random workload through the early and the late path: the same
 * arrivals and drops. */
struct workload {
    struct fx *f;
    GRand *rand;
    int left;
};

static void workload_fire(void *arg, mp_time_t now)
{
    struct workload *w = arg;
    int n = g_rand_int_range(w->rand, 1, 8);
    for (int i = 0; i < n; i++)
        send_n(w->f, 0, 1, (uint32_t)g_rand_int_range(w->rand, 40, 1501));
    if (--w->left > 0)
        mp_engine_after(w->f->eng, (mp_time_t)g_rand_int_range(w->rand, 0, 3000000), workload_fire,
                        w);
}

static void run_workload(bool late, GArray **out, uint64_t *drops)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 3000000, MP_MS(2), "limit=6 bytes=5000");
    c.dir[0].late = late;
    fx_link(&f, &c);
    struct workload w = {&f, g_rand_new_with_seed(42), 2000};
    mp_engine_at(f.eng, 0, workload_fire, &w);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_rand_free(w.rand);
    *drops = mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_QUEUE];
    *out = g_array_copy(f.cap[1].rx);
    fx_clear(&f);
}

static void test_queue_paths_agree(void)
{
    GArray *a, *b;
    uint64_t da, db;
    run_workload(false, &a, &da);
    run_workload(true, &b, &db);
    g_assert_cmpuint(da, >, 100); /* the limits were exercised */
    g_assert_cmpuint(a->len, >, 1000);
    g_assert_cmpuint(da, ==, db);
    g_assert_cmpuint(a->len, ==, b->len);
    for (guint i = 0; i < a->len; i++) {
        struct rx *x = &g_array_index(a, struct rx, i), *y = &g_array_index(b, struct rx, i);
        g_assert_cmpuint(x->t, ==, y->t);
        g_assert_cmpuint(x->len, ==, y->len);
    }
    g_array_free(a, TRUE);
    g_array_free(b, TRUE);
}

static void test_qdisc_params(void)
{
    GError *err = NULL;
    struct mp_engine *eng = mp_engine_new();
    struct mp_link_conf c = sym_conf("bad", 1000, 0, "limit=ten");

    g_assert_null(mp_link_new(eng, &c, &err));
    g_assert_error(err, MP_QDISC_ERROR, MP_QDISC_ERROR_PARAM);
    g_assert_nonnull(strstr(err->message, "limit"));
    g_assert_nonnull(strstr(err->message, "link bad"));
    g_clear_error(&err);

    c = sym_conf("bad", 1000, 0, "colour=blue");
    g_assert_null(mp_link_new(eng, &c, &err));
    g_assert_error(err, MP_QDISC_ERROR, MP_QDISC_ERROR_PARAM);
    g_clear_error(&err);

    c = sym_conf("bad", 1000, 0, NULL);
    c.dir[1].qdisc = "sfq";
    g_assert_null(mp_link_new(eng, &c, &err));
    g_assert_error(err, MP_QDISC_ERROR, MP_QDISC_ERROR_UNKNOWN);
    g_clear_error(&err);

    struct mp_qdisc *q = mp_qdisc_new("droptail", "limit=3, bytes=2KiB", &err);
    g_assert_no_error(err);
    g_assert_true(q->ops->admit(q, 1000, 2, 1000, 0));
    g_assert_false(q->ops->admit(q, 1000, 3, 0, 0));
    g_assert_false(q->ops->admit(q, 1049, 1, 1000, 0));
    g_assert_true(q->ops->admit(q, 1048, 1, 1000, 0));
    mp_qdisc_free(q);
    /* Default: 1000 packets. */
    q = mp_qdisc_new(NULL, NULL, &err);
    g_assert_no_error(err);
    g_assert_true(q->ops->admit(q, 1500, 999, 0, 0));
    g_assert_false(q->ops->admit(q, 1500, 1000, 0, 0));
    mp_qdisc_free(q);
    g_assert_nonnull(mp_qdisc_lookup("droptail"));
    g_assert_null(mp_qdisc_lookup("red"));
    g_assert_cmpstr(mp_link_drop_name(MP_LINK_DROP_DOWN), ==, "down");
    mp_engine_free(eng);
}

/* --- up/down ------------------------------------------------------------- */

struct timed_updown {
    struct mp_link *l;
    bool up;
};

static void timed_updown_fire(void *arg, mp_time_t now)
{
    struct timed_updown *u = arg;
    mp_link_set_up(u->l, u->up);
}

static void test_down(gconstpointer late)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 10000000, MP_MS(10), NULL);
    c.dir[0].late = late != NULL;
    fx_link(&f, &c);

    /* At 3 ms: two propagating, one on the wire, two queued; one coming
     * back the other way. */
    send_n(&f, 0, 5, 1500);
    send_n(&f, 1, 1, 100);
    struct timed_updown down = {f.link, false}, up = {f.link, true};
    mp_engine_at(f.eng, MP_MS(3), timed_updown_fire, &down);
    struct timed_send while_down = {&f, 0, 2, 1500};
    mp_engine_at(f.eng, MP_MS(4), timed_send_fire, &while_down);
    mp_engine_at(f.eng, MP_MS(5), timed_updown_fire, &up);
    struct timed_send after = {&f, 0, 1, 1500};
    mp_engine_at(f.eng, MP_MS(5), timed_send_fire, &after);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);

    const struct mp_link_stats *s0 = mp_link_stats(f.link, 0), *s1 = mp_link_stats(f.link, 1);
    g_assert_cmpuint(s0->dropped[MP_LINK_DROP_DOWN], ==, 5 + 2);
    g_assert_cmpuint(s1->dropped[MP_LINK_DROP_DOWN], ==, 1);
    g_assert_cmpuint(s0->sent_pkts, ==, 8);
    g_assert_cmpuint(f.cap[0].rx->len, ==, 0);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 1);
    /* The wire starts idle after up. */
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, MP_MS(5) + 1200000 + MP_MS(10));
    for (int e = 0; e < 2; e++) {
        g_assert_cmpint(f.cap[e].carrier_down, ==, 1);
        g_assert_cmpint(f.cap[e].carrier_up, ==, 1);
        g_assert_cmpuint(f.cap[e].carrier_t, ==, MP_MS(5));
    }
    g_assert_true(mp_link_is_up(f.link));
    fx_clear(&f);
}

static void test_change_at(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 10000000, MP_MS(1), NULL);
    fx_link(&f, &c);

    struct mp_link_change down = {.kind = MP_LINK_CHANGE_DOWN};
    struct mp_link_change up = {.kind = MP_LINK_CHANGE_UP};
    struct mp_link_change rate = {.kind = MP_LINK_CHANGE_RATE, .end = 0, .value = 100000000};
    struct mp_link_change delay = {
        .kind = MP_LINK_CHANGE_DELAY, .end = MP_LINK_BOTH, .value = MP_MS(2)};
    mp_link_change_at(f.link, MP_MS(10), &down);
    mp_link_change_at(f.link, MP_MS(11), &up);
    mp_link_change_at(f.link, MP_MS(11), &rate);
    mp_link_change_at(f.link, MP_MS(11), &delay);
    struct timed_send s1 = {&f, 0, 1, 1500}, s2 = {&f, 0, 1, 1500}, s3 = {&f, 1, 1, 1500};
    mp_engine_at(f.eng, MP_MS(10) + 1, timed_send_fire, &s1);
    mp_engine_at(f.eng, MP_MS(12), timed_send_fire, &s2);
    mp_engine_at(f.eng, MP_MS(12), timed_send_fire, &s3);
    /* A change left pending is freed with the link. */
    mp_link_change_at(f.link, MP_S(100), &down);
    mp_engine_set_stop(f.eng, MP_S(1));
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_STOP_TIME);

    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_DOWN], ==, 1);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 1);
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, MP_MS(12) + 120000 + MP_MS(2));
    g_assert_cmpuint(rx_at(&f, 0, 0)->t, ==, MP_MS(12) + 1200000 + MP_MS(2));
    fx_clear(&f);
}

/* --- run-time rate and delay --------------------------------------------- */

struct timed_rate {
    struct fx *f;
    uint64_t rate;
    mp_time_t delay;
};

static void timed_rate_fire(void *arg, mp_time_t now)
{
    struct timed_rate *r = arg;
    if (r->rate)
        mp_link_set_rate(r->f->link, 0, r->rate);
    if (r->delay)
        mp_link_set_delay(r->f->link, 0, r->delay);
    send_n(r->f, 0, 1, 1500);
}

static void test_rate_change(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 10000000, MP_MS(1), NULL);
    fx_link(&f, &c);

    /* A (0..1.2 ms at 10 Mbit/s) keeps its time; B, sent at 0.5 ms after
     * the change to 100 Mbit/s, starts when A is done and takes 120 us. */
    send_n(&f, 0, 1, 1500);
    struct timed_rate tr = {&f, 100000000, 0};
    mp_engine_at(f.eng, MP_US(500), timed_rate_fire, &tr);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, 1200000 + MP_MS(1));
    g_assert_cmpuint(rx_at(&f, 1, 1)->t, ==, 1200000 + 120000 + MP_MS(1));
    fx_clear(&f);
}

/* A packet waiting for the wire when the rate or the delay changes takes
 * the new ones; the packet on the wire keeps its own. */
static void test_change_retimes_waiting(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 10000000, MP_MS(1), NULL);
    fx_link(&f, &c);
    send_n(&f, 0, 2, 1500); /* A 0..1.2 ms, B waits */
    struct timed_rate tr = {&f, 100000000, 0};
    mp_engine_at(f.eng, MP_US(500), timed_rate_fire, &tr); /* and C, after B */
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 3);
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, 1200000 + MP_MS(1));
    g_assert_cmpuint(rx_at(&f, 1, 1)->t, ==, 1200000 + 120000 + MP_MS(1));
    g_assert_cmpuint(rx_at(&f, 1, 2)->t, ==, 1200000 + 2 * 120000 + MP_MS(1));
    fx_clear(&f);

    fx_init(&f);
    fx_link(&f, &c);
    send_n(&f, 0, 2, 1500);
    struct timed_rate td = {&f, 0, MP_MS(5)};
    mp_engine_at(f.eng, MP_US(500), timed_rate_fire, &td);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 3);
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, 1200000 + MP_MS(1));
    g_assert_cmpuint(rx_at(&f, 1, 1)->t, ==, 2400000 + MP_MS(5));
    g_assert_cmpuint(rx_at(&f, 1, 2)->t, ==, 3600000 + MP_MS(5));
    for (int i = 0; i < 3; i++)
        g_assert_cmpuint(rx_at(&f, 1, i)->id, ==, (uint64_t)i + 1);
    fx_clear(&f);
}

static void test_delay_decrease_keeps_order(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 0, MP_MS(10), NULL);
    fx_link(&f, &c);

    send_n(&f, 0, 1, 100);
    struct timed_rate tr = {&f, 0, MP_MS(1)};
    mp_engine_at(f.eng, MP_MS(2), timed_rate_fire, &tr);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 2);
    /* The second would arrive at 3 ms; it waits behind the first. */
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, MP_MS(10));
    g_assert_cmpuint(rx_at(&f, 1, 1)->t, ==, MP_MS(10));
    g_assert_cmpuint(rx_at(&f, 1, 0)->id, <, rx_at(&f, 1, 1)->id);
    fx_clear(&f);
}

static void test_noport(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 0, 0, NULL);
    fx_link(&f, &c);
    mp_link_attach(f.link, 1, NULL);
    send_n(&f, 0, 3, 100);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_NOPORT], ==, 3);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->delivered_pkts, ==, 0);
    fx_clear(&f);
}

/* The ring of accepted packets grows past its initial size. */
static void test_many_in_flight(void)
{
    struct fx f;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", UINT64_C(1000000000), MP_MS(100), "limit=100000");
    fx_link(&f, &c);
    send_n(&f, 0, 5000, 125); /* 1 us each */
    g_assert_cmpuint(mp_link_in_flight(f.link, 0), ==, 5000);
    struct timed_send more = {&f, 0, 5000, 125};
    mp_engine_at(f.eng, MP_MS(10), timed_send_fire, &more);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 10000);
    for (guint i = 0; i < 5000; i++)
        g_assert_cmpuint(rx_at(&f, 1, i)->t, ==, (i + 1) * 1000 + MP_MS(100));
    for (guint i = 5000; i < 10000; i++)
        g_assert_cmpuint(rx_at(&f, 1, i)->t, ==, MP_MS(10) + (i - 4999) * 1000 + MP_MS(100));
    fx_clear(&f);
}

/* --- two simulations side by side ---------------------------------------- */

static void test_two_engines(void)
{
    struct fx a, b;
    fx_init(&a);
    fx_init(&b);
    struct mp_link_conf ca = sym_conf("l", 10000000, MP_MS(1), "limit=5");
    struct mp_link_conf cb = sym_conf("l", 1000000, MP_MS(7), "limit=5");
    fx_link(&a, &ca);
    fx_link(&b, &cb);

    send_n(&a, 0, 10, 1500);
    send_n(&b, 0, 10, 1500);
    /* Interleave their steps: neither sees the other. */
    bool ra = true, rb = true;
    while (ra || rb) {
        if (ra)
            ra = mp_engine_step(a.eng);
        if (rb)
            rb = mp_engine_step(b.eng);
    }
    g_assert_cmpuint(a.cap[1].rx->len, ==, 6);
    g_assert_cmpuint(b.cap[1].rx->len, ==, 6);
    for (guint i = 0; i < 6; i++) {
        g_assert_cmpuint(rx_at(&a, 1, i)->t, ==, (i + 1) * 1200000 + MP_MS(1));
        g_assert_cmpuint(rx_at(&b, 1, i)->t, ==, (i + 1) * 12000000 + MP_MS(7));
    }
    fx_clear(&a);
    fx_clear(&b);
}

/* --- traces -------------------------------------------------------------- */

static void trace_collect(void *ctx, const char *line, size_t len)
{
    g_ptr_array_add(ctx, g_strndup(line, len));
}

static void test_trace(void)
{
    struct fx f;
    GPtrArray *lines = g_ptr_array_new_with_free_func(g_free);
    fx_init(&f);
    struct mp_link_conf c = sym_conf("wan\"1", 10000000, MP_MS(1), "limit=1");
    c.trace_write = trace_collect;
    c.trace_ctx = lines;
    c.trace_mask = MP_TRACE_LINK;
    fx_link(&f, &c);

    send_n(&f, 0, 3, 1500); /* the third is dropped */
    mp_link_set_rate(f.link, 1, 5000);
    mp_link_set_up(f.link, false);
    g_assert_cmpuint(lines->len, ==, 5);
    g_assert_cmpstr(lines->pdata[0], ==,
                    "{\"t\":0,\"node\":\"wan\\\"1\",\"ev\":\"link.drop\",\"dir\":0,"
                    "\"reason\":\"queue\",\"pkt\":3,\"len\":1500}");
    g_assert_nonnull(strstr(lines->pdata[1], "\"ev\":\"link.rate\",\"dir\":1,\"bps\":5000"));
    g_assert_nonnull(strstr(lines->pdata[2], "\"reason\":\"down\",\"pkt\":1"));
    g_assert_nonnull(strstr(lines->pdata[4], "\"ev\":\"link.down\",\"purged\":2}"));
    mp_link_free(f.link);

    /* Mask without the link bit: nothing. */
    g_ptr_array_set_size(lines, 0);
    c.trace_mask = MP_TRACE_TCP;
    fx_link(&f, &c);
    send_n(&f, 0, 3, 1500);
    mp_link_set_up(f.link, false);
    g_assert_cmpuint(lines->len, ==, 0);
    g_ptr_array_free(lines, TRUE);
    fx_clear(&f);
}

/* --- benchmark: hops per second through a chain of links ---------------- */

struct fwd_port {
    struct mp_port port;
    struct mp_link *next; /* NULL: the sink */
    uint64_t *sunk;
};

static void fwd_deliver(struct mp_port *port, struct mp_pkt *pkt, mp_time_t now)
{
    struct fwd_port *p = (struct fwd_port *)port;
    if (p->next) {
        mp_link_send(p->next, 0, pkt);
    } else {
        (*p->sunk)++;
        mp_pkt_free(pkt);
    }
}

struct source {
    struct mp_link *first;
    struct mp_pkt_pool *pool;
    struct mp_engine *eng;
    uint64_t left;
};

static void source_fire(void *arg, mp_time_t now)
{
    struct source *s = arg;
    /* A burst of 64 every 50 us: 64 x 100 B at 10 Gbit/s take 5.12 us. */
    for (int i = 0; i < 64 && s->left; i++, s->left--)
        mp_link_send(s->first, 0, mp_pkt_alloc(s->pool, 100));
    if (s->left)
        mp_engine_after(s->eng, MP_US(50), source_fire, s);
}

static void test_bench_chain(void)
{
    enum { HOPS = 10 };
    const uint64_t packets = g_test_slow() ? 2000000 : 300000;
    struct mp_engine *eng = mp_engine_new();
    struct mp_pkt_pool pool;
    struct mp_link *links[HOPS];
    struct fwd_port ports[HOPS];
    uint64_t sunk = 0;

    mp_pkt_pool_init(&pool);
    for (int i = 0; i < HOPS; i++) {
        char name[16];
        g_snprintf(name, sizeof(name), "l%d", i);
        struct mp_link_conf c = sym_conf(name, UINT64_C(10000000000), MP_US(10), NULL);
        links[i] = mp_link_new(eng, &c, NULL);
        g_assert_nonnull(links[i]);
    }
    for (int i = 0; i < HOPS; i++) {
        ports[i] =
            (struct fwd_port){{fwd_deliver, NULL, NULL}, i + 1 < HOPS ? links[i + 1] : NULL, &sunk};
        mp_link_attach(links[i], 1, &ports[i].port);
    }
    struct source src = {links[0], &pool, eng, packets};
    mp_engine_at(eng, 0, source_fire, &src);

    gint64 t0 = g_get_monotonic_time();
    g_assert_cmpint(mp_engine_run(eng), ==, MP_RUN_IDLE);
    gint64 t1 = g_get_monotonic_time();

    g_assert_cmpuint(sunk, ==, packets);
    double secs = (double)(t1 - t0) / 1e6;
    g_test_message("chain of %d links: %" G_GUINT64_FORMAT " packet-hops in %.3f s = %.2f M hops/s",
                   HOPS, packets * HOPS, secs, (double)(packets * HOPS) / secs / 1e6);
    for (int i = 0; i < HOPS; i++)
        mp_link_free(links[i]);
    mp_engine_free(eng);
    g_assert_cmpuint(pool.live, ==, 0);
    mp_pkt_pool_clear(&pool);
}

/* --- trace-driven directions (dtrace.h) ----------------------------------- */

static struct mp_dtrace *dtrace_of(const char *text)
{
    GError *err = NULL;
    struct mp_dtrace *t = mp_dtrace_parse("t.trace", (const uint8_t *)text, strlen(text), &err);
    g_assert_no_error(err);
    g_assert_nonnull(t);
    return t;
}

/* A link whose direction 0 follows |text|; the link holds the trace. */
static void fx_trace_link(struct fx *f, const char *text, mp_time_t delay, const char *qparams)
{
    struct mp_link_conf c = sym_conf("l", 0, delay, qparams);
    c.dir[0].trace = dtrace_of(text);
    c.dir[0].rate_bps = 1000; /* ignored: the trace decides */
    fx_link(f, &c);
    mp_dtrace_unref(c.dir[0].trace);
}

static void test_dtrace_times(void)
{
    struct mp_dtrace *t = dtrace_of("1\n1\n3\n");
    g_assert_cmpuint(t->n, ==, 3);
    g_assert_cmpuint(t->period_ms, ==, 3);
    static const uint64_t ms[] = {1, 1, 3, 4, 4, 6, 7, 7, 9};
    for (unsigned k = 0; k < G_N_ELEMENTS(ms); k++)
        g_assert_cmpuint(mp_dtrace_time(t, k), ==, MP_MS(ms[k]));
    g_assert_cmpuint(mp_dtrace_first_at(t, 0), ==, 0);
    g_assert_cmpuint(mp_dtrace_first_at(t, MP_MS(1)), ==, 0);
    g_assert_cmpuint(mp_dtrace_first_at(t, MP_MS(1) + 1), ==, 2);
    g_assert_cmpuint(mp_dtrace_first_at(t, MP_MS(3)), ==, 2);
    g_assert_cmpuint(mp_dtrace_first_at(t, MP_MS(3) + 1), ==, 3);
    g_assert_cmpuint(mp_dtrace_first_at(t, MP_MS(5)), ==, 5);
    /* 3 x 1500 B in 3 ms. */
    g_assert_cmpuint(mp_dtrace_rate(t), ==, 12000000);
    mp_dtrace_unref(t);

    /* At a period boundary the period's last opportunity comes before the
     * next period's first, both at 2 ms. */
    t = dtrace_of("0\n2");
    g_assert_cmpuint(mp_dtrace_time(t, 1), ==, MP_MS(2));
    g_assert_cmpuint(mp_dtrace_time(t, 2), ==, MP_MS(2));
    g_assert_cmpuint(mp_dtrace_first_at(t, MP_MS(2)), ==, 1);
    g_assert_cmpuint(mp_dtrace_first_at(t, MP_MS(4)), ==, 3);
    mp_dtrace_unref(t);
}

struct dtrace_bad {
    const char *text;
    int code;
    const char *msg; /* a part of the message */
};

static const struct dtrace_bad dtrace_bad[] = {
    {"", MP_DTRACE_ERROR_EMPTY, "t.trace: expected one delivery time"},
    {"1\nx\n", MP_DTRACE_ERROR_SYNTAX, "t.trace:2: expected a delivery time in whole milliseconds"},
    {"1\n\n2\n", MP_DTRACE_ERROR_SYNTAX, "t.trace:2: "},
    {"1 \n", MP_DTRACE_ERROR_SYNTAX, "got '1 '"},
    {"-1\n", MP_DTRACE_ERROR_SYNTAX, "got '-1'"},
    {"1000000000001\n", MP_DTRACE_ERROR_SYNTAX, "t.trace:1: "},
    {"3\n5\n2\n", MP_DTRACE_ERROR_ORDER, "t.trace:3: expected a time at or after the previous"},
    {"0\n0\n", MP_DTRACE_ERROR_PERIOD, "t.trace:2: the last time is the period"},
};

static void test_dtrace_bad(gconstpointer data)
{
    const struct dtrace_bad *b = data;
    GError *err = NULL;
    struct mp_dtrace *t =
        mp_dtrace_parse("t.trace", (const uint8_t *)b->text, strlen(b->text), &err);
    g_assert_null(t);
    g_assert_error(err, MP_DTRACE_ERROR, b->code);
    if (!strstr(err->message, b->msg))
        g_error("'%s' lacks '%s'", err->message, b->msg);
    g_error_free(err);
}

static void test_dtrace_load(void)
{
    GError *err = NULL;
    g_assert_null(mp_dtrace_load("/nonexistent/x.trace", &err));
    g_assert_error(err, MP_DTRACE_ERROR, MP_DTRACE_ERROR_IO);
    g_error_free(err);
}

static void test_trace_opportunities(void)
{
    struct fx f;
    fx_init(&f);
    fx_trace_link(&f, "1\n1\n3\n", MP_MS(5), NULL);

    /* Five full packets at 0: the two opportunities at 1 ms, the one at
     * 3 ms, then the trace loops (period 3 ms): 4 ms, 4 ms. The delay
     * comes after. */
    send_n(&f, 0, 5, 1500);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    static const uint64_t ms[] = {1, 1, 3, 4, 4};
    g_assert_cmpuint(f.cap[1].rx->len, ==, 5);
    for (guint i = 0; i < 5; i++)
        g_assert_cmpuint(rx_at(&f, 1, i)->t, ==, MP_MS(ms[i] + 5));
    g_assert_cmpuint(mp_link_stats(f.link, 0)->delivered_bytes, ==, 7500);
    /* The other direction has no trace and an infinite rate. */
    send_n(&f, 1, 1, 1500);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(rx_at(&f, 0, 0)->t, ==, MP_MS(4 + 5) + MP_MS(5));
    fx_clear(&f);
}

static void test_trace_idle(void)
{
    struct fx f;
    fx_init(&f);
    fx_trace_link(&f, "1\n1\n3\n", 0, NULL);

    /* Opportunities pass unused while the queue is empty: a packet sent at
     * 7.5 ms (third period: 7, 7, 9) leaves at 9 ms; one at 9 ms exactly
     * takes the next (10 ms). */
    struct timed_send a = {&f, 0, 1, 1500}, b = {&f, 0, 1, 1500};
    mp_engine_at(f.eng, MP_US(7500), timed_send_fire, &a);
    mp_engine_at(f.eng, MP_MS(10), timed_send_fire, &b);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 2);
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, MP_MS(9));
    g_assert_cmpuint(rx_at(&f, 1, 1)->t, ==, MP_MS(10));
    fx_clear(&f);
}

static void test_trace_bytes(void)
{
    struct fx f;
    fx_init(&f);
    fx_trace_link(&f, "1\n1\n3\n", 0, NULL);

    /* mm-link counts bytes: 3000 B of opportunities at 1 ms carry four
     * 500 B packets and a 1000 B one; the next one waits for 3 ms. A
     * 1000 B packet then takes 500 B of the 3 ms opportunity... */
    send_n(&f, 0, 4, 500);
    send_n(&f, 0, 1, 1000);
    send_n(&f, 0, 1, 100);
    /* ... and a 2000 B one the 1400 B left of it and 600 B of 4 ms. */
    send_n(&f, 0, 1, 2000);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    static const uint64_t ms[] = {1, 1, 1, 1, 1, 3, 4};
    g_assert_cmpuint(f.cap[1].rx->len, ==, G_N_ELEMENTS(ms));
    for (guint i = 0; i < G_N_ELEMENTS(ms); i++)
        g_assert_cmpuint(rx_at(&f, 1, i)->t, ==, MP_MS(ms[i]));

    /* What is left of the 4 ms opportunity (900 B) is gone once 4 ms has
     * passed with nothing queued: a 500 B packet at 5 ms waits for 6 ms. */
    struct timed_send late = {&f, 0, 1, 500};
    mp_engine_at(f.eng, MP_MS(5), timed_send_fire, &late);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(rx_at(&f, 1, 7)->t, ==, MP_MS(6));
    fx_clear(&f);
}

static void test_trace_queue(void)
{
    struct fx f;
    uint32_t pkts;
    uint64_t bytes;
    fx_init(&f);
    /* One opportunity every 10 ms; two packets may wait. */
    fx_trace_link(&f, "10\n", MP_MS(1), "limit=2");

    send_n(&f, 0, 10, 1500);
    mp_link_backlog(f.link, 0, &pkts, &bytes);
    g_assert_cmpuint(pkts, ==, 2);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_QUEUE], ==, 8);
    /* At 15 ms the first has left and the second waits for 20 ms: room for
     * one more, which leaves at 30 ms. */
    struct timed_send more = {&f, 0, 2, 1500};
    mp_engine_at(f.eng, MP_MS(15), timed_send_fire, &more);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_QUEUE], ==, 9);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 3);
    for (guint i = 0; i < 3; i++)
        g_assert_cmpuint(rx_at(&f, 1, i)->t, ==, MP_MS(10 * (i + 1) + 1));
    fx_clear(&f);
}

static void test_trace_down(void)
{
    struct fx f;
    fx_init(&f);
    fx_trace_link(&f, "10\n", 0, NULL);

    /* Three queued for 10, 20 and 30 ms; the link goes down at 5 ms and up
     * at 6 ms: the opportunities they had are free again. */
    send_n(&f, 0, 3, 1500);
    struct mp_link_change down = {.kind = MP_LINK_CHANGE_DOWN};
    struct mp_link_change up = {.kind = MP_LINK_CHANGE_UP};
    mp_link_change_at(f.link, MP_MS(5), &down);
    mp_link_change_at(f.link, MP_MS(6), &up);
    struct timed_send after = {&f, 0, 1, 1500};
    mp_engine_at(f.eng, MP_MS(7), timed_send_fire, &after);
    g_assert_cmpint(mp_engine_run(f.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(mp_link_stats(f.link, 0)->dropped[MP_LINK_DROP_DOWN], ==, 3);
    g_assert_cmpuint(f.cap[1].rx->len, ==, 1);
    g_assert_cmpuint(rx_at(&f, 1, 0)->t, ==, MP_MS(10));
    fx_clear(&f);
}

static void test_trace_needs_droptail(void)
{
    struct fx f;
    GError *err = NULL;
    fx_init(&f);
    struct mp_link_conf c = sym_conf("l", 0, 0, NULL);
    c.dir[1].trace = dtrace_of("1\n");
    c.dir[1].late = true;
    g_assert_null(mp_link_new(f.eng, &c, &err));
    g_assert_error(err, MP_QDISC_ERROR, MP_QDISC_ERROR_PARAM);
    g_assert_nonnull(strstr(err->message, "direction 1"));
    g_error_free(err);
    g_assert_cmpint(c.dir[1].trace->refs, ==, 1);
    mp_dtrace_unref(c.dir[1].trace);
    fx_clear(&f);
}

int main(int argc, char **argv)
{
    static const int late = 1;

    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/link/timing/tx-time", test_tx_time);
    g_test_add_func("/link/timing/single", test_timing_single);
    g_test_add_data_func("/link/timing/back-to-back/early", NULL, test_timing_back_to_back);
    g_test_add_data_func("/link/timing/back-to-back/late", &late, test_timing_back_to_back);
    g_test_add_func("/link/timing/duplex", test_timing_duplex);
    g_test_add_func("/link/timing/infinite-rate", test_timing_infinite);
    g_test_add_func("/link/timing/one-event-per-hop", test_one_event_per_hop);
    g_test_add_func("/link/timing/many-in-flight", test_many_in_flight);
    g_test_add_data_func("/link/queue/packets/early", NULL, test_queue_packets);
    g_test_add_data_func("/link/queue/packets/late", &late, test_queue_packets);
    g_test_add_data_func("/link/queue/bytes/early", NULL, test_queue_bytes);
    g_test_add_data_func("/link/queue/bytes/late", &late, test_queue_bytes);
    g_test_add_func("/link/queue/paths-agree", test_queue_paths_agree);
    g_test_add_func("/link/queue/params", test_qdisc_params);
    g_test_add_data_func("/link/down/early", NULL, test_down);
    g_test_add_data_func("/link/down/late", &late, test_down);
    g_test_add_func("/link/change/scheduled", test_change_at);
    g_test_add_func("/link/change/rate", test_rate_change);
    g_test_add_func("/link/change/retimes-waiting", test_change_retimes_waiting);
    g_test_add_func("/link/change/delay-keeps-order", test_delay_decrease_keeps_order);
    g_test_add_func("/link/noport", test_noport);
    g_test_add_func("/link/two-engines", test_two_engines);
    g_test_add_func("/link/trace", test_trace);
    g_test_add_func("/link/trace-driven/times", test_dtrace_times);
    for (unsigned i = 0; i < G_N_ELEMENTS(dtrace_bad); i++) {
        char *path = g_strdup_printf("/link/trace-driven/bad/%u", i);
        g_test_add_data_func(path, &dtrace_bad[i], test_dtrace_bad);
        g_free(path);
    }
    g_test_add_func("/link/trace-driven/missing-file", test_dtrace_load);
    g_test_add_func("/link/trace-driven/opportunities", test_trace_opportunities);
    g_test_add_func("/link/trace-driven/idle", test_trace_idle);
    g_test_add_func("/link/trace-driven/bytes", test_trace_bytes);
    g_test_add_func("/link/trace-driven/queue", test_trace_queue);
    g_test_add_func("/link/trace-driven/down", test_trace_down);
    g_test_add_func("/link/trace-driven/needs-droptail", test_trace_needs_droptail);
    g_test_add_func("/link/bench/chain", test_bench_chain);
    return g_test_run();
}
