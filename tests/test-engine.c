/* Tests of the event engine: order, ties, cancel, reschedule, stop time,
 * budget, and two engines side by side. */
#include <glib.h>

#include "model/rng.h"
#include "sim/engine.h"

struct log {
    GArray *ids;   /* int: id of each event run, in order */
    GArray *times; /* mp_time_t */
    struct mp_engine *eng;
};

struct ev_arg {
    struct log *log;
    int id;
};

static void record(void *arg, mp_time_t now)
{
    struct ev_arg *a = arg;
    g_array_append_val(a->log->ids, a->id);
    g_array_append_val(a->log->times, now);
}

static void log_init(struct log *l)
{
    l->ids = g_array_new(FALSE, FALSE, sizeof(int));
    l->times = g_array_new(FALSE, FALSE, sizeof(mp_time_t));
    l->eng = mp_engine_new();
}

static void log_clear(struct log *l)
{
    g_array_free(l->ids, TRUE);
    g_array_free(l->times, TRUE);
    mp_engine_free(l->eng);
}

static void test_order_ties(void)
{
    struct log l;
    struct ev_arg a[6];
    mp_time_t t[6] = {30, 10, 20, 10, 30, 10};
    log_init(&l);
    for (int i = 0; i < 6; i++) {
        a[i] = (struct ev_arg){&l, i};
        mp_engine_at(l.eng, t[i], record, &a[i]);
    }
    g_assert_cmpint(mp_engine_run(l.eng), ==, MP_RUN_IDLE);
    int want[6] = {1, 3, 5, 2, 0, 4};
    g_assert_cmpuint(l.ids->len, ==, 6);
    for (int i = 0; i < 6; i++)
        g_assert_cmpint(g_array_index(l.ids, int, i), ==, want[i]);
    g_assert_cmpuint(mp_engine_now(l.eng), ==, 30);
    g_assert_cmpuint(mp_engine_events_run(l.eng), ==, 6);
    log_clear(&l);
}

/* An event scheduling more events at its own time: they run after every
 * event already queued for that time (insertion order). */
struct chain {
    struct log *log;
    int id;
    int depth;
    struct chain *child;
};

static void chain_fire(void *arg, mp_time_t now)
{
    struct chain *c = arg;
    g_array_append_val(c->log->ids, c->id);
    if (c->child)
        mp_engine_at(c->log->eng, now, chain_fire, c->child);
}

static void test_same_time_fifo(void)
{
    struct log l;
    log_init(&l);
    struct chain c2 = {&l, 2, 0, NULL};
    struct chain c0 = {&l, 0, 0, &c2};
    struct chain c1 = {&l, 1, 0, NULL};
    mp_engine_at(l.eng, 5, chain_fire, &c0);
    mp_engine_at(l.eng, 5, chain_fire, &c1);
    mp_engine_run(l.eng);
    g_assert_cmpuint(l.ids->len, ==, 3);
    g_assert_cmpint(g_array_index(l.ids, int, 0), ==, 0);
    g_assert_cmpint(g_array_index(l.ids, int, 1), ==, 1);
    g_assert_cmpint(g_array_index(l.ids, int, 2), ==, 2);
    log_clear(&l);
}

static void test_cancel_reschedule(void)
{
    struct log l;
    struct ev_arg a[4];
    struct mp_event *h[4];
    log_init(&l);
    for (int i = 0; i < 4; i++) {
        a[i] = (struct ev_arg){&l, i};
        h[i] = mp_engine_at(l.eng, 100 + (mp_time_t)i, record, &a[i]);
    }
    g_assert_cmpuint(mp_engine_pending(l.eng), ==, 4);
    mp_engine_cancel(l.eng, h[1]);
    g_assert_cmpuint(mp_engine_pending(l.eng), ==, 3);
    /* Moved earlier than everything, and later than everything. */
    mp_engine_reschedule(l.eng, h[3], 50, record, &a[3]);
    mp_engine_reschedule(l.eng, h[0], 500, record, &a[0]);
    mp_engine_run(l.eng);
    int want[3] = {3, 2, 0};
    g_assert_cmpuint(l.ids->len, ==, 3);
    for (int i = 0; i < 3; i++)
        g_assert_cmpint(g_array_index(l.ids, int, i), ==, want[i]);
    g_assert_cmpuint(g_array_index(l.times, mp_time_t, 0), ==, 50);
    g_assert_cmpuint(g_array_index(l.times, mp_time_t, 2), ==, 500);
    g_assert_cmpuint(mp_engine_pending(l.eng), ==, 0);
    log_clear(&l);
}

static void test_stop_and_budget(void)
{
    struct log l;
    struct ev_arg a[10];
    log_init(&l);
    for (int i = 0; i < 10; i++) {
        a[i] = (struct ev_arg){&l, i};
        mp_engine_at(l.eng, MP_MS(i + 1), record, &a[i]);
    }
    mp_engine_set_stop(l.eng, MP_MS(4));
    g_assert_cmpint(mp_engine_run(l.eng), ==, MP_RUN_STOP_TIME);
    g_assert_cmpuint(l.ids->len, ==, 4); /* events at exactly the stop time run */
    g_assert_cmpuint(mp_engine_now(l.eng), ==, MP_MS(4));

    /* After a peek moved the heap's base beyond now, scheduling at now must
     * still run first. */
    struct ev_arg late = {&l, 99};
    mp_engine_at(l.eng, mp_engine_now(l.eng), record, &late);
    mp_engine_set_stop(l.eng, MP_TIME_NEVER);
    mp_engine_set_budget(l.eng, 3);
    g_assert_cmpint(mp_engine_run(l.eng), ==, MP_RUN_BUDGET);
    g_assert_cmpuint(l.ids->len, ==, 7);
    g_assert_cmpint(g_array_index(l.ids, int, 4), ==, 99);
    g_assert_cmpint(g_array_index(l.ids, int, 5), ==, 4);
    mp_engine_set_budget(l.eng, 0);
    g_assert_cmpint(mp_engine_run(l.eng), ==, MP_RUN_IDLE);
    g_assert_cmpuint(l.ids->len, ==, 11);
    log_clear(&l);
}

static void interrupter(void *arg, mp_time_t now)
{
    mp_engine_interrupt(arg);
}

static void test_interrupt(void)
{
    struct log l;
    struct ev_arg a = {NULL, 1};
    log_init(&l);
    a.log = &l;
    mp_engine_at(l.eng, 10, interrupter, l.eng);
    mp_engine_at(l.eng, 20, record, &a);
    g_assert_cmpint(mp_engine_run(l.eng), ==, MP_RUN_INTERRUPTED);
    g_assert_cmpuint(l.ids->len, ==, 0);
    g_assert_cmpuint(mp_engine_pending(l.eng), ==, 1);
    log_clear(&l);
}

/* Random workload against a reference model: the order must equal a stable
 * sort by time of the live events (insertion order on ties), with events
 * scheduled from inside events, cancels and reschedules mixed in. */
struct rnd {
    struct mp_engine *eng;
    struct mp_rng rng;
    GArray *ran;      /* uint64 seq of events run */
    GArray *expected; /* struct ref */
    struct rnd_ev *evs;
    uint64_t nevs, next_seq;
    int budget;
    mp_time_t last_t;
    uint64_t last_seq;
};

struct rnd_ev {
    struct rnd *r;
    struct mp_event *h;
    mp_time_t when;
    uint64_t seq;
    bool live;
};

static void rnd_fire(void *arg, mp_time_t now);

static void rnd_schedule(struct rnd *r, mp_time_t when)
{
    if (r->nevs >= 200000)
        return;
    struct rnd_ev *e = &r->evs[r->nevs++];
    e->r = r;
    e->when = when;
    e->seq = r->next_seq++;
    e->live = true;
    e->h = mp_engine_at(r->eng, when, rnd_fire, e);
}

static void rnd_fire(void *arg, mp_time_t now)
{
    struct rnd_ev *e = arg;
    struct rnd *r = e->r;
    g_assert_true(e->live);
    g_assert_cmpuint(now, ==, e->when);
    e->live = false;
    /* (time, seq) strictly increases from one event to the next. */
    g_assert_cmpuint(now, >=, r->last_t);
    if (r->ran->len && now == r->last_t)
        g_assert_cmpuint(e->seq, >, r->last_seq);
    r->last_t = now;
    r->last_seq = e->seq;
    g_array_append_val(r->ran, e->seq);
    if (r->budget-- > 0) {
        int k = (int)mp_rng_below(&r->rng, 3);
        for (int i = 0; i < k; i++) {
            uint64_t d = mp_rng_below(&r->rng, 4) == 0 ? 0 : mp_rng_below(&r->rng, UINT64_C(1) << mp_rng_below(&r->rng, 40));
            rnd_schedule(r, now + d);
        }
        /* Cancel or reschedule a random pending one. */
        uint64_t j = mp_rng_below(&r->rng, r->nevs);
        struct rnd_ev *o = &r->evs[j];
        if (o->live && mp_rng_below(&r->rng, 4) == 0) {
            if (mp_rng_below(&r->rng, 2)) {
                mp_engine_cancel(r->eng, o->h);
                o->live = false;
            } else {
                o->when = now + mp_rng_below(&r->rng, 1000000);
                o->seq = r->next_seq++;
                o->h = mp_engine_reschedule(r->eng, o->h, o->when, rnd_fire, o);
            }
        }
    }
}

static void test_random_vs_reference(void)
{
    struct rnd r = {0};
    r.eng = mp_engine_new();
    mp_rng_derive(42, "test/engine/random", &r.rng);
    r.ran = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    r.evs = g_new0(struct rnd_ev, 200000);
    r.budget = 60000;
    for (int i = 0; i < 1000; i++)
        rnd_schedule(&r, mp_rng_below(&r.rng, 1000000));
    g_assert_cmpint(mp_engine_run(r.eng), ==, MP_RUN_IDLE);

    /* Every event that was not cancelled ran exactly once. */
    for (uint64_t i = 0; i < r.nevs; i++)
        g_assert_false(r.evs[i].live);
    GHashTable *seen = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (guint i = 0; i < r.ran->len; i++) {
        uint64_t *s = &g_array_index(r.ran, uint64_t, i);
        g_assert_false(g_hash_table_contains(seen, s));
        g_hash_table_add(seen, s);
    }
    g_assert_cmpuint(r.ran->len, >, 50000);
    g_hash_table_destroy(seen);
    g_array_free(r.ran, TRUE);
    g_free(r.evs);
    mp_engine_free(r.eng);
}

/* Ordering check proper: times run never decrease and ties follow
 * insertion sequence, verified on a workload where we know every seq. */
struct ord {
    mp_time_t last_t;
    uint64_t last_seq;
    uint64_t count;
};

struct ord_ev {
    struct ord *o;
    mp_time_t when;
    uint64_t seq;
};

static void ord_fire(void *arg, mp_time_t now)
{
    struct ord_ev *e = arg;
    g_assert_cmpuint(now, ==, e->when);
    g_assert_cmpuint(now, >=, e->o->last_t);
    if (now == e->o->last_t && e->o->count)
        g_assert_cmpuint(e->seq, >, e->o->last_seq);
    e->o->last_t = now;
    e->o->last_seq = e->seq;
    e->o->count++;
}

static void test_ties_many(void)
{
    struct mp_engine *eng = mp_engine_new();
    struct mp_rng rng;
    struct ord o = {0};
    enum { N = 100000 };
    struct ord_ev *evs = g_new(struct ord_ev, N);
    mp_rng_derive(7, "test/engine/ties", &rng);
    for (uint64_t i = 0; i < N; i++) {
        /* Few distinct times: many ties, spread over the buckets. */
        evs[i] = (struct ord_ev){&o, mp_rng_below(&rng, 64) << mp_rng_below(&rng, 30), i};
        mp_engine_at(eng, evs[i].when, ord_fire, &evs[i]);
    }
    mp_engine_run(eng);
    g_assert_cmpuint(o.count, ==, N);
    g_free(evs);
    mp_engine_free(eng);
}

/* Events scheduled with a reserved sequence (mp_engine_at_seq) run where
 * they would have run had they been scheduled when it was reserved, among
 * the events of their time. The workload is a link's: CHAINS queues whose
 * items come in time order and reserve their place when queued, only the
 * first of each being scheduled, beside plain events; times come from few
 * values, so ties are many. The pending count swings from a few to 12,000
 * and back, twice, so both of the engine's sets (the small heap and the
 * radix heap) and the moves between them are run; cancels leave dead
 * entries in both. Every event checks that (time, seq) only increases. */
#define CHAINS 4
#define RS_MAX 400000

struct rs_ev {
    struct rs *r;
    mp_time_t when;
    uint64_t seq;
    int chain; /* -1: a plain event */
    struct mp_event *h;
    bool live;
};

struct rs {
    struct mp_engine *eng;
    struct mp_rng rng;
    uint64_t next_seq; /* the engine's counter, mirrored */
    struct rs_ev *evs;
    uint32_t n;
    GQueue chain[CHAINS]; /* items not yet run; the head is scheduled */
    mp_time_t chain_last[CHAINS];
    mp_time_t last_t;
    uint64_t last_seq, count, reserved;
    int phase; /* even: grow, odd: shrink */
};

static void rs_fire(void *arg, mp_time_t now);

static struct rs_ev *rs_new(struct rs *r, mp_time_t when, int chain)
{
    g_assert_cmpuint(r->n, <, RS_MAX);
    struct rs_ev *e = &r->evs[r->n++];
    *e = (struct rs_ev){r, when, r->next_seq++, chain, NULL, true};
    return e;
}

static void rs_plain(struct rs *r, mp_time_t when)
{
    struct rs_ev *e = rs_new(r, when, -1);
    e->h = mp_engine_at(r->eng, when, rs_fire, e);
}

static void rs_chain_push(struct rs *r, int c, mp_time_t when)
{
    if (when < r->chain_last[c])
        when = r->chain_last[c];
    r->chain_last[c] = when;
    struct rs_ev *e = rs_new(r, when, c);
    g_assert_cmpuint(mp_engine_reserve(r->eng), ==, e->seq);
    r->reserved++;
    g_queue_push_tail(&r->chain[c], e);
    if (r->chain[c].length == 1)
        e->h = mp_engine_at_seq(r->eng, when, e->seq, rs_fire, e);
}

static void rs_fire(void *arg, mp_time_t now)
{
    struct rs_ev *e = arg;
    struct rs *r = e->r;

    g_assert_true(e->live);
    e->live = false;
    g_assert_cmpuint(now, ==, e->when);
    g_assert_true(r->count == 0 || now > r->last_t || (now == r->last_t && e->seq > r->last_seq));
    r->last_t = now;
    r->last_seq = e->seq;
    r->count++;
    if (e->chain >= 0) {
        GQueue *q = &r->chain[e->chain];
        g_assert_true(g_queue_pop_head(q) == e);
        struct rs_ev *next = g_queue_peek_head(q);
        if (next)
            next->h = mp_engine_at_seq(r->eng, next->when, next->seq, rs_fire, next);
    }
    uint64_t pending = mp_engine_pending(r->eng);
    if (r->phase % 2 == 0 && pending > 12000)
        r->phase++;
    else if (r->phase % 2 == 1 && pending < 8)
        r->phase++;
    if (r->phase >= 4 || r->n > RS_MAX - 8)
        return;
    int k = r->phase % 2 == 0 ? 2 + (int)mp_rng_below(&r->rng, 2) : (int)mp_rng_below(&r->rng, 2);
    for (int i = 0; i < k; i++) {
        static const mp_time_t step[] = {0, 0, 100, 200, 500, 70000, 300000};
        mp_time_t when = now + step[mp_rng_below(&r->rng, G_N_ELEMENTS(step))];
        if (mp_rng_below(&r->rng, 2))
            rs_plain(r, when);
        else
            rs_chain_push(r, (int)mp_rng_below(&r->rng, CHAINS), when);
    }
    /* Now and then a plain event is cancelled: a dead entry stays queued. */
    struct rs_ev *o = &r->evs[mp_rng_below(&r->rng, r->n)];
    if (o->live && o->chain < 0 && o->h && mp_rng_below(&r->rng, 8) == 0) {
        mp_engine_cancel(r->eng, o->h);
        o->live = false;
    }
}

static void test_reserved_seq(void)
{
    struct rs r = {0};
    r.eng = mp_engine_new();
    r.evs = g_new0(struct rs_ev, RS_MAX);
    mp_rng_derive(11, "test/engine/reserved", &r.rng);
    for (int c = 0; c < CHAINS; c++)
        g_queue_init(&r.chain[c]);
    for (int i = 0; i < 4; i++)
        rs_plain(&r, 0);
    g_assert_cmpint(mp_engine_run(r.eng), ==, MP_RUN_IDLE);
    g_assert_cmpint(r.phase, ==, 4);
    for (uint32_t i = 0; i < r.n; i++)
        g_assert_false(r.evs[i].live);
    for (int c = 0; c < CHAINS; c++)
        g_assert_cmpuint(r.chain[c].length, ==, 0);
    g_assert_cmpuint(r.reserved, >, 20000);
    g_assert_cmpuint(r.count, >, 40000);
    g_free(r.evs);
    mp_engine_free(r.eng);
}

/* A deadline moved again and again leaves a cancelled entry each time: the
 * small set sheds them (it compacts once the dead outnumber the live), and
 * what is live still runs once each, in order. */
static void test_many_dead(void)
{
    struct log l;
    log_init(&l);
    struct ev_arg a[8];
    struct mp_event *h[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (struct ev_arg){&l, i};
        h[i] = mp_engine_at(l.eng, 1000000 + (mp_time_t)i, record, &a[i]);
    }
    /* Event 7 moves 5,000 times, each time a little earlier; event 0 is
     * cancelled halfway through. */
    for (int k = 0; k < 5000; k++) {
        h[7] = mp_engine_reschedule(l.eng, h[7], 900000 - (mp_time_t)k, record, &a[7]);
        if (k == 2500)
            mp_engine_cancel(l.eng, h[0]);
        g_assert_cmpuint(mp_engine_pending(l.eng), ==, k < 2500 ? 8 : 7);
    }
    g_assert_cmpint(mp_engine_run(l.eng), ==, MP_RUN_IDLE);
    int want[] = {7, 1, 2, 3, 4, 5, 6};
    g_assert_cmpuint(l.ids->len, ==, G_N_ELEMENTS(want));
    for (guint i = 0; i < G_N_ELEMENTS(want); i++)
        g_assert_cmpint(g_array_index(l.ids, int, i), ==, want[i]);
    g_assert_cmpuint(g_array_index(l.times, mp_time_t, 0), ==, 900000 - 4999);
    g_assert_cmpuint(mp_engine_events_run(l.eng), ==, 7);
    log_clear(&l);
}

static void test_two_engines(void)
{
    struct log a, b;
    struct ev_arg x = {NULL, 1}, y = {NULL, 2};
    log_init(&a);
    log_init(&b);
    x.log = &a;
    y.log = &b;
    mp_engine_at(a.eng, 100, record, &x);
    mp_engine_at(b.eng, 50, record, &y);
    mp_engine_run(a.eng);
    g_assert_cmpuint(mp_engine_now(a.eng), ==, 100);
    g_assert_cmpuint(mp_engine_now(b.eng), ==, 0);
    g_assert_cmpuint(b.ids->len, ==, 0);
    mp_engine_run(b.eng);
    g_assert_cmpuint(mp_engine_now(b.eng), ==, 50);
    log_clear(&a);
    log_clear(&b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/engine/order/ties", test_order_ties);
    g_test_add_func("/engine/order/same-time-fifo", test_same_time_fifo);
    g_test_add_func("/engine/order/ties-many", test_ties_many);
    g_test_add_func("/engine/cancel-reschedule", test_cancel_reschedule);
    g_test_add_func("/engine/stop-and-budget", test_stop_and_budget);
    g_test_add_func("/engine/interrupt", test_interrupt);
    g_test_add_func("/engine/random", test_random_vs_reference);
    g_test_add_func("/engine/two-engines", test_two_engines);
    g_test_add_func("/engine/cancel/many-dead", test_many_dead);
    g_test_add_func("/engine/order/reserved-seq", test_reserved_seq);
    return g_test_run();
}
