/* Tests of deadline timers on the embedded engine: one engine event per
 * object, moved only when the deadline comes earlier, re-checked on firing. */
#include <glib.h>

#include "sim/env.h"

struct obj {
    struct mp_deadline dl;
    mp_time_t due;    /* what the object really needs next */
    GArray *fired;    /* times expire() ran */
    int work;         /* times it found something due */
};

static mp_time_t obj_expire(void *arg, mp_time_t now)
{
    struct obj *o = arg;
    g_array_append_val(o->fired, now);
    if (o->due <= now) {
        o->work++;
        o->due = MP_TIME_NEVER;
    }
    return o->due;
}

static void noop_output(void *owner, uint32_t ifindex, struct mp_pkt *pkt)
{
    mp_pkt_free(pkt);
}

struct fx {
    struct mp_engine *eng;
    struct mp_pkt_pool pool;
    struct mp_sim_env se;
    struct obj o;
};

static void fx_init(struct fx *f)
{
    f->eng = mp_engine_new();
    mp_pkt_pool_init(&f->pool);
    mp_sim_env_init(&f->se, f->eng, 1, &f->pool, noop_output, NULL, NULL, 0);
    mp_deadline_init(&f->o.dl, obj_expire, &f->o);
    f->o.due = MP_TIME_NEVER;
    f->o.fired = g_array_new(FALSE, FALSE, sizeof(mp_time_t));
    f->o.work = 0;
}

static void fx_clear(struct fx *f)
{
    g_array_free(f->o.fired, TRUE);
    mp_engine_free(f->eng);
    mp_pkt_pool_clear(&f->pool);
}

/* Pushing the deadline later (as every ACK does to an RTO) schedules
 * nothing new: the early firing finds nothing due and re-arms. */
static void test_later_is_free(void)
{
    struct fx f;
    fx_init(&f);
    const struct mp_env *env = &f.se.env;
    f.o.due = MP_MS(10);
    mp_env_deadline(env, &f.o.dl, f.o.due);
    g_assert_cmpuint(mp_engine_pending(f.eng), ==, 1);
    for (int i = 1; i <= 100; i++) {
        f.o.due = MP_MS(10) + MP_US(i);
        mp_env_deadline(env, &f.o.dl, f.o.due);
        g_assert_cmpuint(mp_engine_pending(f.eng), ==, 1);
    }
    mp_engine_run(f.eng);
    /* Fired once early (10 ms, nothing due), once at the real deadline. */
    g_assert_cmpuint(f.o.fired->len, ==, 2);
    g_assert_cmpuint(g_array_index(f.o.fired, mp_time_t, 0), ==, MP_MS(10));
    g_assert_cmpuint(g_array_index(f.o.fired, mp_time_t, 1), ==, MP_MS(10) + MP_US(100));
    g_assert_cmpint(f.o.work, ==, 1);
    fx_clear(&f);
}

static void test_earlier_moves(void)
{
    struct fx f;
    fx_init(&f);
    const struct mp_env *env = &f.se.env;
    f.o.due = MP_MS(10);
    mp_env_deadline(env, &f.o.dl, f.o.due);
    f.o.due = MP_MS(3);
    mp_env_deadline(env, &f.o.dl, f.o.due);
    g_assert_cmpuint(mp_engine_pending(f.eng), ==, 1);
    g_assert_cmpuint(f.o.dl.armed, ==, MP_MS(3));
    mp_engine_run(f.eng);
    g_assert_cmpuint(f.o.fired->len, ==, 1);
    g_assert_cmpuint(g_array_index(f.o.fired, mp_time_t, 0), ==, MP_MS(3));
    g_assert_cmpuint(f.o.dl.armed, ==, MP_TIME_NEVER);
    fx_clear(&f);
}

static void test_stop(void)
{
    struct fx f;
    fx_init(&f);
    const struct mp_env *env = &f.se.env;
    f.o.due = MP_MS(1);
    mp_env_deadline(env, &f.o.dl, f.o.due);
    mp_env_deadline_stop(env, &f.o.dl);
    g_assert_cmpuint(mp_engine_pending(f.eng), ==, 0);
    mp_engine_run(f.eng);
    g_assert_cmpuint(f.o.fired->len, ==, 0);
    /* Can be armed again after a stop. */
    mp_env_deadline(env, &f.o.dl, MP_MS(2));
    mp_engine_run(f.eng);
    g_assert_cmpuint(f.o.fired->len, ==, 1);
    fx_clear(&f);
}

/* Deadlines in the past fire now, not before. */
static void test_past_clamped(void)
{
    struct fx f;
    fx_init(&f);
    mp_engine_set_stop(f.eng, MP_MS(5));
    mp_engine_run(f.eng);
    f.o.due = MP_MS(1);
    mp_env_deadline(&f.se.env, &f.o.dl, f.o.due);
    mp_engine_set_stop(f.eng, MP_TIME_NEVER);
    mp_engine_run(f.eng);
    g_assert_cmpuint(g_array_index(f.o.fired, mp_time_t, 0), ==, MP_MS(5));
    fx_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/deadline/later-is-free", test_later_is_free);
    g_test_add_func("/deadline/earlier-moves", test_earlier_moves);
    g_test_add_func("/deadline/stop", test_stop);
    g_test_add_func("/deadline/past-clamped", test_past_clamped);
    return g_test_run();
}
