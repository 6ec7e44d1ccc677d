/*
 * Tests of sim/proc/proc: simulated processes on a minimal fake environment
 * defined here (an unordered event list run in (time, sequence) order,
 * deadlines with the seam's semantics), so they do not depend on the engine.
 */
#include "sim/proc/proc.h"

#include <errno.h>
#include <glib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* The fake environment.                                                    */

struct fev {
    mp_time_t t;
    uint64_t seq;
    mp_env_fn fn;
    void *arg;
    struct mp_deadline *dl; /* set for deadline events */
};

struct fake {
    struct mp_env env;
    mp_time_t now;
    uint64_t seq;
    GPtrArray *evs; /* pending, unordered */
    GString *trace;
};

static mp_time_t fake_now(void *ctx)
{
    return ((struct fake *)ctx)->now;
}

static struct fev *fake_add(struct fake *f, mp_time_t when)
{
    g_assert_cmpuint(when, >=, f->now);
    struct fev *e = g_new0(struct fev, 1);
    e->t = when;
    e->seq = f->seq++;
    g_ptr_array_add(f->evs, e);
    return e;
}

static void fake_remove(struct fake *f, struct fev *e)
{
    g_assert_true(g_ptr_array_remove_fast(f->evs, e));
    g_free(e);
}

static void fake_deadline_stop(void *ctx, struct mp_deadline *dl)
{
    if (dl->handle)
        fake_remove(ctx, dl->handle);
    dl->handle = NULL;
    dl->armed = MP_TIME_NEVER;
}

static void fake_deadline_update(void *ctx, struct mp_deadline *dl, mp_time_t when)
{
    struct fake *f = ctx;
    if (when >= dl->armed)
        return;
    if (when < f->now)
        when = f->now;
    fake_deadline_stop(f, dl);
    struct fev *e = fake_add(f, when);
    e->dl = dl;
    dl->handle = e;
    dl->armed = when;
    dl->ctx = f;
}

static void fake_call_at(void *ctx, mp_time_t when, mp_env_fn fn, void *arg)
{
    struct fev *e = fake_add(ctx, when);
    e->fn = fn;
    e->arg = arg;
}

static void fake_output(void *ctx, uint32_t ifindex, struct mp_pkt *pkt)
{
    g_assert_not_reached();
}

static void fake_trace_write(void *ctx, const char *line, size_t len)
{
    struct fake *f = ctx;
    g_string_append_len(f->trace, line, (gssize)len);
    g_string_append_c(f->trace, '\n');
}

static const struct mp_env_ops fake_ops = {
    .now = fake_now,
    .deadline_update = fake_deadline_update,
    .deadline_stop = fake_deadline_stop,
    .call_at = fake_call_at,
    .output = fake_output,
    .trace_write = fake_trace_write,
};

static void fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    f->env.ops = &fake_ops;
    f->env.ctx = f;
    f->env.trace_mask = MP_TRACE_ALL;
    f->evs = g_ptr_array_new();
    f->trace = g_string_new(NULL);
}

static void fake_clear(struct fake *f)
{
    g_assert_cmpuint(f->evs->len, ==, 0);
    g_ptr_array_free(f->evs, TRUE);
    g_string_free(f->trace, TRUE);
}

/* Runs the earliest event not after |until|; false if there is none. */
static bool fake_step(struct fake *f, mp_time_t until)
{
    struct fev *best = NULL;
    for (guint i = 0; i < f->evs->len; i++) {
        struct fev *e = f->evs->pdata[i];
        if (!best || e->t < best->t || (e->t == best->t && e->seq < best->seq))
            best = e;
    }
    if (!best || best->t > until)
        return false;
    g_ptr_array_remove_fast(f->evs, best);
    f->now = best->t;
    struct fev e = *best;
    g_free(best);
    if (e.dl) {
        /* As the seam says: the environment re-arms at what expire returns,
         * and expire may itself have asked for an earlier time. */
        e.dl->handle = NULL;
        e.dl->armed = MP_TIME_NEVER;
        mp_time_t next = e.dl->expire(e.dl->obj, f->now);
        if (next != MP_TIME_NEVER)
            fake_deadline_update(f, e.dl, next);
    } else {
        e.fn(e.arg, f->now);
    }
    return true;
}

static uint64_t fake_run(struct fake *f, mp_time_t until)
{
    uint64_t n = 0;
    while (fake_step(f, until))
        n++;
    return n;
}

/* ---------------------------------------------------------------------- */
/* Per-test context, reached by processes through their host pointer.       */

struct ctx {
    struct fake fake;
    struct mp_proc_table *t;
    GString *log;
    struct mp_waitq q, q2;
    struct mp_proc *expect_self;
    int saw;
};

static struct ctx *C(void)
{
    struct mp_proc *p = mp_proc_current();
    g_assert_nonnull(p);
    return mp_proc_host(p);
}

static void say(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
    struct ctx *c = C();
    va_list ap;
    va_start(ap, fmt);
    g_string_append_printf(c->log, "%" PRIu64 " %s ", mp_proc_now() / 1000000,
                           mp_proc_name(mp_proc_current()));
    g_string_append_vprintf(c->log, fmt, ap);
    g_string_append(c->log, ";");
    va_end(ap);
}

static void ctx_init(struct ctx *c, const char *node)
{
    memset(c, 0, sizeof(*c));
    fake_init(&c->fake);
    c->t = mp_proc_table_new(&c->fake.env, node, c);
    c->log = g_string_new(NULL);
    mp_waitq_init(&c->q);
    mp_waitq_init(&c->q2);
}

static void ctx_clear(struct ctx *c)
{
    mp_proc_table_free(c->t);
    fake_clear(&c->fake);
    g_string_free(c->log, TRUE);
}

static struct mp_proc *spawn(struct ctx *c, const char *name, mp_time_t start,
                             int (*fn)(int, char **), const char *args)
{
    gchar **argv = g_strsplit(args, " ", -1);
    int argc = (int)g_strv_length(argv);
    struct mp_proc *p = mp_proc_spawn(c->t, name, start, fn, argc, argv, 0);
    g_assert_nonnull(p);
    g_strfreev(argv);
    return p;
}

/* ---------------------------------------------------------------------- */
/* Sleeping: exact times and a deterministic order on ties.                 */

static int sleeper_main(int argc, char **argv)
{
    g_assert_cmpint(argc, ==, 3);
    mp_time_t period = MP_MS(g_ascii_strtoull(argv[1], NULL, 10));
    int rounds = atoi(argv[2]);
    for (int i = 0; i < rounds; i++) {
        mp_time_t before = mp_proc_now();
        mp_proc_sleep(period);
        g_assert_cmpuint(mp_proc_now(), ==, before + period);
        say("w");
    }
    return 0;
}

static char *run_sleepers(char **trace)
{
    struct ctx c;
    ctx_init(&c, "h");
    spawn(&c, "A", 0, sleeper_main, "s 10 3");
    spawn(&c, "B", 0, sleeper_main, "s 5 4");
    spawn(&c, "C", 0, sleeper_main, "s 10 3");
    spawn(&c, "D", 0, sleeper_main, "s 15 2");
    fake_run(&c.fake, MP_TIME_NEVER);
    for (struct mp_proc *p = mp_proc_table_first(c.t); p; p = mp_proc_next(p))
        g_assert_cmpint(mp_proc_state(p), ==, MP_PROC_EXITED);
    *trace = g_strdup(c.fake.trace->str);
    char *log = g_strdup(c.log->str);
    ctx_clear(&c);
    return log;
}

static void test_sleep_order(void)
{
    char *trace1, *trace2;
    char *log1 = run_sleepers(&trace1);
    /* Ties go in the order the timeouts were set: at 10 A and C slept at 0,
     * B at 5; at 30 D slept at 15, A and C at 20. */
    g_assert_cmpstr(log1, ==,
                    "5 B w;10 A w;10 C w;10 B w;15 D w;15 B w;20 A w;20 C w;20 B w;"
                    "30 D w;30 A w;30 C w;");
    char *log2 = run_sleepers(&trace2);
    g_assert_cmpstr(log1, ==, log2);
    g_assert_cmpstr(trace1, ==, trace2);
    g_free(log1);
    g_free(log2);
    g_free(trace1);
    g_free(trace2);
}

/* Many processes with pseudo-random sleeps: exact wake times, two runs
 * alike. */
static int random_main(int argc, char **argv)
{
    uint32_t x = (uint32_t)atoi(argv[1]) * 2654435761u + 1;
    mp_time_t t = mp_proc_now();
    for (int i = 0; i < 10; i++) {
        x = x * 1664525u + 1013904223u;
        mp_time_t d = MP_US(1 + (x >> 24) % 50);
        mp_proc_sleep(d);
        t += d;
        g_assert_cmpuint(mp_proc_now(), ==, t);
        g_string_append_printf(C()->log, "%s@%" PRIu64 ",", argv[1], t);
    }
    return 0;
}

static char *run_random(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    for (int i = 0; i < 200; i++) {
        char args[32];
        g_snprintf(args, sizeof(args), "r %d", i);
        spawn(&c, "r", MP_US(i % 7), random_main, args);
    }
    fake_run(&c.fake, MP_TIME_NEVER);
    char *log = g_strdup(c.log->str);
    ctx_clear(&c);
    return log;
}

static void test_sleep_many(void)
{
    char *a = run_random(), *b = run_random();
    g_assert_cmpstr(a, ==, b);
    /* Wake times never go backwards in the log. */
    gchar **items = g_strsplit(a, ",", -1);
    guint n = 0;
    uint64_t last = 0;
    for (gchar **it = items; *it && **it; it++, n++) {
        uint64_t t = g_ascii_strtoull(strchr(*it, '@') + 1, NULL, 10);
        g_assert_cmpuint(t, >=, last);
        last = t;
    }
    g_assert_cmpuint(n, ==, 2000);
    g_strfreev(items);
    g_free(a);
    g_free(b);
}

/* sleep(0) yields to the others runnable at the same time. */
static int yielder_main(int argc, char **argv)
{
    say("1");
    mp_proc_sleep(0);
    say("2");
    mp_proc_sleep(0);
    say("3");
    return 0;
}

static void test_yield(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    spawn(&c, "A", 0, yielder_main, "y");
    spawn(&c, "B", 0, yielder_main, "y");
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.log->str, ==, "0 A 1;0 B 1;0 A 2;0 B 2;0 A 3;0 B 3;");
    ctx_clear(&c);
}

static void test_start_times(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    spawn(&c, "late", MP_MS(30), yielder_main, "y");
    fake_run(&c.fake, MP_MS(10));
    g_assert_cmpuint(c.fake.now, ==, 0);
    c.fake.now = MP_MS(10);
    /* A start in the past means now. */
    struct mp_proc *p = spawn(&c, "past", MP_MS(1), yielder_main, "y");
    g_assert_cmpuint(mp_proc_start_time(p), ==, MP_TIME_NEVER);
    g_assert_cmpint(mp_proc_state(p), ==, MP_PROC_NEW);
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.log->str, ==, "10 past 1;10 past 2;10 past 3;30 late 1;30 late 2;30 late 3;");
    g_assert_cmpuint(mp_proc_start_time(p), ==, MP_MS(10));
    g_assert_cmpuint(mp_proc_end_time(p), ==, MP_MS(10));
    ctx_clear(&c);
}

/* ---------------------------------------------------------------------- */
/* Wait queues.                                                             */

static int w1_main(int argc, char **argv)
{
    int r = mp_proc_wait(&C()->q, MP_TIME_NEVER);
    say("%d", r);
    return 0;
}

static int w2_main(int argc, char **argv)
{
    int r = mp_proc_wait(&C()->q, mp_proc_now() + MP_MS(100));
    say("%d", r);
    /* The stale 100 ms timeout must not cut this wait short. */
    r = mp_proc_wait(&C()->q2, mp_proc_now() + MP_MS(200));
    say("%d", r);
    return 0;
}

static int waker_main(int argc, char **argv)
{
    mp_proc_sleep(MP_MS(10));
    unsigned n = mp_waitq_wake_all(&C()->q);
    /* The woken run later, not inside this call. */
    say("woke %u", n);
    return 0;
}

static void test_wake_all(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    spawn(&c, "w1", 0, w1_main, "w");
    spawn(&c, "w2", 0, w2_main, "w");
    spawn(&c, "waker", 0, waker_main, "w");
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.log->str, ==, "10 waker woke 2;10 w1 0;10 w2 0;210 w2 -110;");
    g_assert_cmpint(-ETIMEDOUT, ==, -110);
    g_assert_true(mp_waitq_empty(&c.q));
    g_assert_true(mp_waitq_empty(&c.q2));
    g_assert_cmpuint(mp_proc_end_time(mp_proc_table_find(c.t, "w2")), ==, MP_MS(210));
    ctx_clear(&c);
}

static int one_waker_main(int argc, char **argv)
{
    for (int i = 0; i < 3; i++) {
        mp_proc_sleep(MP_MS(10));
        g_assert_true(mp_waitq_wake_one(&C()->q));
    }
    g_assert_false(mp_waitq_wake_one(&C()->q));
    return 0;
}

static void test_wake_one(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    spawn(&c, "x", 0, w1_main, "w");
    spawn(&c, "y", 0, w1_main, "w");
    spawn(&c, "z", 0, w1_main, "w");
    spawn(&c, "waker", 0, one_waker_main, "w");
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.log->str, ==, "10 x 0;20 y 0;30 z 0;");
    ctx_clear(&c);
}

static int timeout_main(int argc, char **argv)
{
    struct ctx *c = C();
    /* Not in the future: no parking at all. */
    g_assert_cmpint(mp_proc_wait(&c->q, mp_proc_now()), ==, -ETIMEDOUT);
    g_assert_true(mp_waitq_empty(&c->q));
    int r = mp_proc_wait(&c->q, mp_proc_now() + MP_MS(50));
    say("%d", r);
    g_assert_true(mp_waitq_empty(&c->q));
    return 0;
}

static void test_timeout(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    g_assert_cmpint(mp_proc_wait(&c.q, MP_TIME_NEVER), ==, -EPERM);
    spawn(&c, "t", MP_MS(5), timeout_main, "t");
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.log->str, ==, "55 t -110;");
    ctx_clear(&c);
}

/* ---------------------------------------------------------------------- */
/* errno belongs to each process.                                           */

static int errno_a(int argc, char **argv)
{
    errno = EAGAIN;
    mp_proc_sleep(MP_MS(10));
    int seen = errno;
    say("%d", seen == EAGAIN);
    return 0;
}

static int errno_b(int argc, char **argv)
{
    errno = EPIPE;
    mp_proc_sleep(MP_MS(5));
    int seen = errno;
    errno = EINTR;
    mp_proc_sleep(MP_MS(10));
    int seen2 = errno;
    say("%d%d", seen == EPIPE, seen2 == EINTR);
    return 0;
}

static void test_errno(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    spawn(&c, "a", 0, errno_a, "e");
    spawn(&c, "b", 0, errno_b, "e");
    errno = ENOENT;
    while (fake_step(&c.fake, MP_TIME_NEVER))
        g_assert_cmpint(errno, ==, ENOENT);
    g_assert_cmpstr(c.log->str, ==, "10 a 1;15 b 11;");
    ctx_clear(&c);
}

/* ---------------------------------------------------------------------- */
/* Ending: each process alone.                                              */

static void on_exit_log(struct mp_proc *p, void *arg)
{
    struct ctx *c = arg;
    g_assert_true(mp_proc_current() != p);
    g_assert_true(mp_proc_ended(p));
    g_string_append_printf(c->log, "exit %s %d %d;", mp_proc_name(p), mp_proc_exit_status(p),
                           mp_proc_state(p) == MP_PROC_KILLED);
}

__attribute__((noinline)) static void exit_inner(int status)
{
    mp_proc_exit(status);
}

/* Ends the process from a few frames down. */
__attribute__((noinline)) static void exit_outer(int status)
{
    volatile char pad[256];
    pad[0] = (char)status;
    exit_inner(pad[0]);
}

static int quitter_main(int argc, char **argv)
{
    mp_proc_sleep(MP_MS(1));
    exit_outer(3);
    say("never");
    return 0;
}

static int returner_main(int argc, char **argv)
{
    mp_proc_sleep(MP_MS(5));
    return 7;
}

static int survivor_main(int argc, char **argv)
{
    int n = 0;
    for (int i = 0; i < 20; i++, n++)
        mp_proc_sleep(MP_MS(1));
    say("%d", n);
    return 0;
}

static void test_exit(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    mp_proc_table_set_exit_hook(c.t, on_exit_log, &c);
    struct mp_proc *q = spawn(&c, "quitter", 0, quitter_main, "q");
    struct mp_proc *r = spawn(&c, "returner", 0, returner_main, "r");
    struct mp_proc *s = spawn(&c, "survivor", 0, survivor_main, "s");
    g_assert_false(mp_proc_ended(q));
    g_assert_cmpint(mp_proc_exit_status(q), ==, 0);
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.log->str, ==,
                    "exit quitter 3 0;exit returner 7 0;20 survivor 20;exit survivor 0 0;");
    g_assert_cmpint(mp_proc_state(q), ==, MP_PROC_EXITED);
    g_assert_cmpint(mp_proc_exit_status(q), ==, 3);
    g_assert_cmpuint(mp_proc_end_time(q), ==, MP_MS(1));
    g_assert_cmpint(mp_proc_exit_status(r), ==, 7);
    g_assert_cmpuint(mp_proc_end_time(r), ==, MP_MS(5));
    g_assert_cmpuint(mp_proc_end_time(s), ==, MP_MS(20));
    g_assert_cmpint(mp_proc_kill(q), ==, -ESRCH);
    g_assert_nonnull(strstr(c.fake.trace->str,
                            "\"ev\":\"proc.exit\",\"pid\":1,\"name\":\"quitter\",\"status\":3,"
                            "\"killed\":false}"));
    ctx_clear(&c);
}

/* ---------------------------------------------------------------------- */
/* Killing.                                                                 */

static int forever_main(int argc, char **argv)
{
    mp_proc_wait(&C()->q, MP_TIME_NEVER);
    say("woke");
    return 0;
}

static int napper_main(int argc, char **argv)
{
    mp_proc_sleep(MP_MS(100));
    say("woke");
    return 0;
}

static int killer_main(int argc, char **argv)
{
    struct ctx *c = C();
    g_assert_cmpint(mp_proc_kill(mp_proc_table_find(c->t, "napper")), ==, 0);
    say("killed napper");
    mp_proc_kill(mp_proc_current());
    say("never");
    return 0;
}

static void test_kill(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    mp_proc_table_set_exit_hook(c.t, on_exit_log, &c);
    struct mp_proc *forever = spawn(&c, "forever", 0, forever_main, "f");
    struct mp_proc *napper = spawn(&c, "napper", 0, napper_main, "n");
    struct mp_proc *late = spawn(&c, "late", MP_MS(50), napper_main, "l");
    struct mp_proc *killer = spawn(&c, "killer", MP_MS(20), killer_main, "k");

    fake_run(&c.fake, MP_MS(10));
    c.fake.now = MP_MS(10);
    g_assert_cmpint(mp_proc_state(forever), ==, MP_PROC_PARKED);
    g_assert_false(mp_waitq_empty(&c.q));
    g_assert_cmpint(mp_proc_kill(forever), ==, 0);
    g_assert_true(mp_waitq_empty(&c.q));
    g_assert_cmpint(mp_proc_kill(late), ==, 0); /* never started */
    g_assert_cmpint(mp_proc_kill(late), ==, -ESRCH);
    /* Waking the queue now finds nobody. */
    g_assert_cmpuint(mp_waitq_wake_all(&c.q), ==, 0);

    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.log->str, ==,
                    "exit forever 137 1;exit late 137 1;exit napper 137 1;20 killer killed napper;"
                    "exit killer 137 1;");
    g_assert_cmpint(mp_proc_state(forever), ==, MP_PROC_KILLED);
    g_assert_cmpuint(mp_proc_end_time(forever), ==, MP_MS(10));
    g_assert_cmpint(mp_proc_exit_status(napper), ==, MP_PROC_KILLED_STATUS);
    g_assert_cmpuint(mp_proc_end_time(napper), ==, MP_MS(20));
    g_assert_cmpuint(mp_proc_start_time(late), ==, MP_TIME_NEVER);
    g_assert_cmpint(mp_proc_state(killer), ==, MP_PROC_KILLED);
    /* The napper's 100 ms timeout is gone: the run ended at 20 ms. */
    g_assert_cmpuint(c.fake.now, ==, MP_MS(20));
    g_assert_nonnull(
        strstr(c.fake.trace->str, "\"name\":\"late\",\"status\":137,\"killed\":true}"));
    ctx_clear(&c);
}

static void test_kill_all(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    mp_proc_table_set_exit_hook(c.t, on_exit_log, &c);
    spawn(&c, "a", 0, forever_main, "f");
    spawn(&c, "b", 0, napper_main, "n");
    spawn(&c, "c", 0, returner_main, "r");
    fake_run(&c.fake, MP_MS(50));
    mp_proc_table_kill_all(c.t);
    g_assert_cmpstr(c.log->str, ==, "exit c 7 0;exit a 137 1;exit b 137 1;");
    g_assert_cmpuint(c.fake.evs->len, ==, 0);
    ctx_clear(&c);
}

/* ---- cleanup handlers ---- */

static GString *cleanup_log;

static void note_cleanup(void *arg)
{
    g_string_append_printf(cleanup_log, "%s;", (const char *)arg);
}

/* A process parked for ever, with handlers: one popped without running,
 * one popped and run, two left for the kill (an argument on its stack). */
static int cleanup_main(int argc, char **argv)
{
    char on_stack[] = "stack";
    g_assert_cmpint(mp_proc_cleanup_push(note_cleanup, "popped"), ==, 0);
    mp_proc_cleanup_pop(false);
    g_assert_cmpint(mp_proc_cleanup_push(note_cleanup, "run"), ==, 0);
    mp_proc_cleanup_pop(true);
    mp_proc_cleanup_push(note_cleanup, "first");
    mp_proc_cleanup_push(note_cleanup, on_stack);
    mp_proc_wait(&C()->q, MP_TIME_NEVER);
    return 0;
}

static int cleanup_exit_main(int argc, char **argv)
{
    mp_proc_cleanup_push(note_cleanup, "exit");
    mp_proc_exit(3);
}

static void test_cleanup(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    cleanup_log = g_string_new("");
    g_assert_cmpint(mp_proc_cleanup_push(note_cleanup, "outside"), ==, -EPERM);
    mp_proc_cleanup_pop(true); /* outside: nothing */
    struct mp_proc *p = spawn(&c, "p", 0, cleanup_main, "p");
    spawn(&c, "x", 0, cleanup_exit_main, "x");
    fake_run(&c.fake, MP_MS(10));
    g_assert_cmpstr(cleanup_log->str, ==, "run;exit;");
    g_assert_cmpint(mp_proc_kill(p), ==, 0);
    /* Last pushed first, the stack still there. */
    g_assert_cmpstr(cleanup_log->str, ==, "run;exit;stack;first;");
    /* A table freed with a process still parked runs its handlers too. */
    spawn(&c, "q", 0, cleanup_main, "q");
    fake_run(&c.fake, MP_MS(20));
    ctx_clear(&c);
    g_assert_cmpstr(cleanup_log->str, ==, "run;exit;stack;first;run;stack;first;");
    g_string_free(cleanup_log, TRUE);
}

/* Freeing a table with processes in every state leaves nothing behind: no
 * pending event, no process on an outside wait queue. */
static void test_table_free(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    spawn(&c, "parked", 0, forever_main, "f");
    spawn(&c, "sleeping", 0, napper_main, "n");
    spawn(&c, "new", MP_S(1), napper_main, "n");
    spawn(&c, "parked2", 0, forever_main, "f");
    fake_run(&c.fake, MP_MS(1));
    g_assert_false(mp_waitq_empty(&c.q));
    g_assert_cmpuint(mp_waitq_wake_one(&c.q), ==, 1); /* now runnable, not run */
    g_assert_cmpuint(c.fake.evs->len, >, 0);
    mp_proc_table_free(c.t);
    c.t = NULL;
    g_assert_true(mp_waitq_empty(&c.q));
    g_assert_cmpuint(c.fake.evs->len, ==, 0);
    g_assert_cmpstr(c.log->str, ==, "");
    ctx_clear(&c);
}

/* ---------------------------------------------------------------------- */
/* Arguments, identity, host pointer.                                       */

static int argv_main(int argc, char **argv)
{
    g_assert_null(argv[argc]);
    gchar *joined = g_strjoinv("|", argv);
    say("%d %s", argc, joined);
    g_free(joined);
    /* A process may rewrite its arguments, as in C. */
    argv[1][0] = 'X';
    argv[0] = "replaced";
    return 0;
}

static void test_argv(void)
{
    struct ctx c;
    ctx_init(&c, "h");
    char a0[] = "prog", a1[] = "--size", a2[] = "1000";
    char *argv[] = {a0, a1, a2, NULL};
    struct mp_proc *p = mp_proc_spawn(c.t, "argv", 0, argv_main, 3, argv, 0);
    g_assert_nonnull(p);
    /* The caller's strings change after the spawn; the process keeps its copy. */
    a1[2] = 'Z';
    argv[2] = NULL;
    g_assert_cmpint(mp_proc_argc(p), ==, 3);
    g_assert_cmpstr(mp_proc_argv(p)[1], ==, "--size");
    g_assert_true(mp_proc_argv(p)[1] != a1);
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.log->str, ==, "0 argv 3 prog|--size|1000;");
    g_assert_cmpstr(a1, ==, "--Zize");

    struct mp_proc *none = mp_proc_spawn(c.t, "none", 0, argv_main, 0, NULL, 0);
    g_assert_nonnull(none);
    g_assert_null(mp_proc_argv(none)[0]);
    mp_proc_kill(none);

    errno = 0;
    g_assert_null(mp_proc_spawn(c.t, "bad", 0, NULL, 0, NULL, 0));
    g_assert_cmpint(errno, ==, EINVAL);
    errno = 0;
    g_assert_null(mp_proc_spawn(c.t, "bad", 0, argv_main, -1, NULL, 0));
    g_assert_cmpint(errno, ==, EINVAL);
    errno = 0;
    g_assert_null(mp_proc_spawn(c.t, "bad", 0, argv_main, 2, NULL, 0));
    g_assert_cmpint(errno, ==, EINVAL);
    ctx_clear(&c);
}

static int ident_main(int argc, char **argv)
{
    struct mp_proc *self = mp_proc_current();
    struct ctx *c = C();
    g_assert_true(mp_proc_table_env(mp_proc_table(self)) == &c->fake.env);
    if (self == c->expect_self)
        c->saw++;
    return 0;
}

static void test_identity(void)
{
    struct ctx c;
    int other_host = 0;
    ctx_init(&c, "h");
    g_assert_null(mp_proc_current());
    g_assert_cmpuint(mp_proc_now(), ==, 0);
    mp_proc_sleep(MP_MS(1)); /* outside a process: nothing */
    struct mp_proc *a = spawn(&c, "a", 0, ident_main, "i");
    struct mp_proc *b = spawn(&c, "b", 0, ident_main, "i");
    g_assert_cmpuint(mp_proc_pid(a), ==, 1);
    g_assert_cmpuint(mp_proc_pid(b), ==, 2);
    g_assert_true(mp_proc_table_first(c.t) == a);
    g_assert_true(mp_proc_next(a) == b);
    g_assert_null(mp_proc_next(b));
    g_assert_true(mp_proc_table_find(c.t, "b") == b);
    g_assert_null(mp_proc_table_find(c.t, "zz"));
    g_assert_true(mp_proc_table(a) == c.t);
    g_assert_true(mp_proc_host(a) == &c);
    mp_proc_set_host(b, &other_host);
    g_assert_true(mp_proc_host(b) == &other_host);
    mp_proc_set_host(b, &c);
    c.expect_self = a;
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpint(c.saw, ==, 1);
    g_assert_null(mp_proc_current());
    ctx_clear(&c);
}

/* Two tables on two environments, stepped alternately. */
static void test_two_tables(void)
{
    struct ctx c1, c2;
    ctx_init(&c1, "h1");
    ctx_init(&c2, "h2");
    spawn(&c1, "A", 0, sleeper_main, "s 3 2");
    spawn(&c2, "B", 0, sleeper_main, "s 2 3");
    bool more = true;
    while (more) {
        bool m1 = fake_step(&c1.fake, MP_TIME_NEVER);
        bool m2 = fake_step(&c2.fake, MP_TIME_NEVER);
        more = m1 || m2;
    }
    g_assert_cmpstr(c1.log->str, ==, "3 A w;6 A w;");
    g_assert_cmpstr(c2.log->str, ==, "2 B w;4 B w;6 B w;");
    g_assert_nonnull(strstr(c1.fake.trace->str, "\"node\":\"h1\""));
    g_assert_null(strstr(c1.fake.trace->str, "\"node\":\"h2\""));
    ctx_clear(&c1);
    ctx_clear(&c2);
}

/* ---------------------------------------------------------------------- */
/* Traces.                                                                  */

static int two_main(int argc, char **argv)
{
    return 2;
}

static void test_trace(void)
{
    struct ctx c;
    ctx_init(&c, "h1");
    spawn(&c, "hello \"x\"", 1000, two_main, "h");
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.fake.trace->str, ==,
                    "{\"t\":1000,\"node\":\"h1\",\"ev\":\"proc.start\",\"pid\":1,"
                    "\"name\":\"hello \\\"x\\\"\"}\n"
                    "{\"t\":1000,\"node\":\"h1\",\"ev\":\"proc.exit\",\"pid\":1,"
                    "\"name\":\"hello \\\"x\\\"\",\"status\":2,\"killed\":false}\n");
    ctx_clear(&c);

    ctx_init(&c, "h1");
    c.fake.env.trace_mask = MP_TRACE_ALL & ~(uint32_t)MP_TRACE_PROC;
    spawn(&c, "quiet", 0, two_main, "h");
    fake_run(&c.fake, MP_TIME_NEVER);
    g_assert_cmpstr(c.fake.trace->str, ==, "");
    ctx_clear(&c);
}

/* ---------------------------------------------------------------------- */
/* A process overflowing its stack is named.                                */

static int recurse(int depth)
{
    volatile char frame[512];
    frame[0] = (char)depth;
    if (depth > 100000000)
        return 0;
    return recurse(depth + 1) + frame[0];
}

static int deep_main(int argc, char **argv)
{
    return recurse(0);
}

static void test_overflow(void)
{
    if (g_test_subprocess()) {
        struct ctx c;
        ctx_init(&c, "h");
        g_assert_nonnull(mp_proc_spawn(c.t, "greedy", 0, deep_main, 0, NULL, 32 * 1024));
        fake_run(&c.fake, MP_TIME_NEVER);
        return;
    }
    g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_failed();
    g_test_trap_assert_stderr(
        "*afmp: stack overflow in process 'greedy' (stack 32 KiB); raise its stack size*");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/proc/sleep/order", test_sleep_order);
    g_test_add_func("/proc/sleep/many", test_sleep_many);
    g_test_add_func("/proc/sleep/yield", test_yield);
    g_test_add_func("/proc/start-times", test_start_times);
    g_test_add_func("/proc/cleanup", test_cleanup);
    g_test_add_func("/proc/wait/wake-all", test_wake_all);
    g_test_add_func("/proc/wait/wake-one", test_wake_one);
    g_test_add_func("/proc/wait/timeout", test_timeout);
    g_test_add_func("/proc/errno", test_errno);
    g_test_add_func("/proc/exit", test_exit);
    g_test_add_func("/proc/kill", test_kill);
    g_test_add_func("/proc/kill-all", test_kill_all);
    g_test_add_func("/proc/table-free", test_table_free);
    g_test_add_func("/proc/argv", test_argv);
    g_test_add_func("/proc/identity", test_identity);
    g_test_add_func("/proc/two-tables", test_two_tables);
    g_test_add_func("/proc/trace", test_trace);
    g_test_add_func("/proc/overflow", test_overflow);
    return g_test_run();
}
