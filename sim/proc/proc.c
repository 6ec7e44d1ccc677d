/*
 * afmp: simulated processes (see proc.h).
 *
 * Control flow: the engine fires a table's run deadline -> run_expire() ->
 * resume(p) switches from the table's root fiber to p's fiber -> p runs
 * until it parks (park(): back to the root) or ends (mp_fiber_exit_to the
 * root). Nothing else ever switches fibers, so a process is resumed only on
 * the engine's stack.
 */
#include "sim/proc/proc.h"

#include <errno.h>
#include <string.h>

#include <glib.h>

#include "model/trace.h"
#include "sim/proc/fiber.h"

struct mp_proc {
    struct mp_proc_table *table;
    struct mp_proc *all_next;    /* spawn order */
    struct mp_proc *prev, *next; /* on |on| */
    struct mp_waitq *on;         /* the wait queue or run queue holding it */
    uint64_t runq_seq;           /* when queued on the run queue */
    char *name;
    uint32_t pid;
    enum mp_proc_state state;
    int (*main)(int, char **);
    int argc;
    char **argv;    /* handed to main, which may rewrite the pointers */
    char **strings; /* the copies we own */
    struct mp_fiber *fiber;
    struct mp_deadline dl; /* start and timeouts */
    mp_time_t start_at;    /* requested start */
    mp_time_t wait_until;  /* timeout while PARKED; NEVER for none */
    mp_time_t started, ended;
    int wake_result;
    int saved_errno;
    int status;
    void *host;
    GArray *cleanups; /* struct cleanup, pushed last on top; NULL: none yet */
};

struct cleanup {
    void (*fn)(void *);
    void *arg;
};

struct mp_proc_table {
    const struct mp_env *env;
    char *node;
    void *host;
    mp_proc_exit_fn on_exit;
    void *on_exit_arg;
    struct mp_fiber *root; /* the engine's side of every switch */
    struct mp_waitq runq;
    uint64_t runq_seq;
    struct mp_deadline run_dl;
    struct mp_proc *first, *last;
    uint32_t last_pid;
    struct mp_proc *running;
};

static void proc_entry(void *arg);

/* ---------------------------------------------------------------------- */
/* Lists.                                                                   */

static void list_push(struct mp_waitq *q, struct mp_proc *p)
{
    p->on = q;
    p->next = NULL;
    p->prev = q->tail;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
}

static void list_unlink(struct mp_proc *p)
{
    struct mp_waitq *q = p->on;
    if (!q)
        return;
    if (p->prev)
        p->prev->next = p->next;
    else
        q->head = p->next;
    if (p->next)
        p->next->prev = p->prev;
    else
        q->tail = p->prev;
    p->on = NULL;
    p->prev = p->next = NULL;
}

/* ---------------------------------------------------------------------- */
/* Traces.                                                                  */

static void trace_start(struct mp_proc *p, mp_time_t now)
{
    const struct mp_env *env = p->table->env;
    if (!mp_env_tracing(env, MP_TRACE_PROC))
        return;
    struct mp_trace_rec r;
    mp_trace_begin(&r, now, p->table->node, "proc.start");
    mp_trace_u64(&r, "pid", p->pid);
    mp_trace_str(&r, "name", p->name);
    mp_trace_end(&r, env);
}

static void trace_exit(struct mp_proc *p)
{
    const struct mp_env *env = p->table->env;
    if (!mp_env_tracing(env, MP_TRACE_PROC))
        return;
    struct mp_trace_rec r;
    mp_trace_begin(&r, p->ended, p->table->node, "proc.exit");
    mp_trace_u64(&r, "pid", p->pid);
    mp_trace_str(&r, "name", p->name);
    mp_trace_i64(&r, "status", p->status);
    mp_trace_bool(&r, "killed", p->state == MP_PROC_KILLED);
    mp_trace_end(&r, env);
}

/* ---------------------------------------------------------------------- */
/* Scheduling.                                                              */

static void make_runnable(struct mp_proc *p, int result)
{
    struct mp_proc_table *t = p->table;
    list_unlink(p);
    p->wake_result = result;
    p->state = MP_PROC_RUNNABLE;
    p->runq_seq = t->runq_seq++;
    list_push(&t->runq, p);
    mp_env_deadline(t->env, &t->run_dl, mp_env_now(t->env));
}

/* On the engine's side, after |p| has ended: everything but the record. */
/* The cleanup handlers still pushed, last pushed first, then none. */
static void run_cleanups(struct mp_proc *p)
{
    while (p->cleanups && p->cleanups->len) {
        struct cleanup c = g_array_index(p->cleanups, struct cleanup, p->cleanups->len - 1);
        g_array_set_size(p->cleanups, p->cleanups->len - 1);
        c.fn(c.arg);
    }
    if (p->cleanups)
        g_array_free(p->cleanups, TRUE);
    p->cleanups = NULL;
}

static void finish(struct mp_proc *p)
{
    struct mp_proc_table *t = p->table;
    mp_env_deadline_stop(t->env, &p->dl);
    list_unlink(p);
    /* Before the stack goes: a handler's argument may live on it. */
    run_cleanups(p);
    /* Freed here, never on the fiber itself: its stack is not in use. */
    mp_fiber_free(p->fiber);
    p->fiber = NULL;
    trace_exit(p);
    if (t->on_exit)
        t->on_exit(p, t->on_exit_arg);
}

static void resume(struct mp_proc *p, mp_time_t now)
{
    struct mp_proc_table *t = p->table;
    /* The engine's errno must not leak into the process or back. */
    int engine_errno = errno;

    if (p->started == MP_TIME_NEVER) {
        p->started = now;
        trace_start(p, now);
    }
    p->state = MP_PROC_RUNNING;
    t->running = p;
    mp_fiber_switch(t->root, p->fiber);
    t->running = NULL;
    errno = engine_errno;
    if (p->state == MP_PROC_EXITED || p->state == MP_PROC_KILLED)
        finish(p);
}

/*
 * The run deadline: runs the processes queued before this firing, in queue
 * order. Those queued while they run get a fresh event at the same time,
 * behind whatever else the engine had scheduled for now.
 */
static mp_time_t run_expire(void *obj, mp_time_t now)
{
    struct mp_proc_table *t = obj;
    uint64_t limit = t->runq_seq;
    struct mp_proc *p;
    while ((p = t->runq.head) && p->runq_seq < limit) {
        list_unlink(p);
        resume(p, now);
    }
    return t->runq.head ? now : MP_TIME_NEVER;
}

/* A process's deadline: its start, or the timeout of its wait. A firing
 * that finds nothing due (the process was woken, or waits again with a
 * later timeout) just reports the real deadline. */
static mp_time_t proc_expire(void *obj, mp_time_t now)
{
    struct mp_proc *p = obj;
    switch (p->state) {
    case MP_PROC_NEW:
        if (now < p->start_at)
            return p->start_at;
        make_runnable(p, 0);
        return MP_TIME_NEVER;
    case MP_PROC_PARKED:
        if (p->wait_until == MP_TIME_NEVER)
            return MP_TIME_NEVER;
        if (now < p->wait_until)
            return p->wait_until;
        make_runnable(p, -ETIMEDOUT);
        return MP_TIME_NEVER;
    default:
        return MP_TIME_NEVER;
    }
}

/* Process side: gives the CPU back to the engine until resumed. */
static void park(struct mp_proc *p)
{
    p->saved_errno = errno;
    mp_fiber_switch(p->fiber, p->table->root);
    errno = p->saved_errno;
}

static _Noreturn void end_self(struct mp_proc *p, int status, enum mp_proc_state how)
{
    p->status = status;
    p->state = how;
    p->ended = mp_env_now(p->table->env);
    mp_fiber_exit_to(p->fiber, p->table->root);
}

static void proc_entry(void *arg)
{
    struct mp_proc *p = arg;
    errno = 0;
    int status = p->main(p->argc, p->argv);
    end_self(p, status, MP_PROC_EXITED);
}

/* ---------------------------------------------------------------------- */
/* Tables.                                                                  */

struct mp_proc_table *mp_proc_table_new(const struct mp_env *env, const char *node, void *host)
{
    struct mp_proc_table *t = g_new0(struct mp_proc_table, 1);
    t->env = env;
    t->node = g_strdup(node ? node : "");
    t->host = host;
    t->root = mp_fiber_new_root();
    mp_waitq_init(&t->runq);
    mp_deadline_init(&t->run_dl, run_expire, t);
    return t;
}

void mp_proc_table_set_exit_hook(struct mp_proc_table *t, mp_proc_exit_fn fn, void *arg)
{
    t->on_exit = fn;
    t->on_exit_arg = arg;
}

void mp_proc_table_kill_all(struct mp_proc_table *t)
{
    g_return_if_fail(t->running == NULL);
    for (struct mp_proc *p = t->first; p; p = p->all_next)
        if (!mp_proc_ended(p))
            mp_proc_kill(p);
}

void mp_proc_table_free(struct mp_proc_table *t)
{
    if (!t)
        return;
    g_return_if_fail(t->running == NULL);
    mp_env_deadline_stop(t->env, &t->run_dl);
    struct mp_proc *p = t->first;
    while (p) {
        struct mp_proc *next = p->all_next;
        mp_env_deadline_stop(t->env, &p->dl);
        list_unlink(p);
        run_cleanups(p);
        mp_fiber_free(p->fiber);
        g_strfreev(p->strings);
        g_free(p->argv);
        g_free(p->name);
        g_free(p);
        p = next;
    }
    mp_fiber_free(t->root);
    g_free(t->node);
    g_free(t);
}

const struct mp_env *mp_proc_table_env(const struct mp_proc_table *t)
{
    return t->env;
}

struct mp_proc *mp_proc_table_first(const struct mp_proc_table *t)
{
    return t->first;
}

struct mp_proc *mp_proc_next(const struct mp_proc *p)
{
    return p->all_next;
}

struct mp_proc *mp_proc_table_find(const struct mp_proc_table *t, const char *name)
{
    for (struct mp_proc *p = t->first; p; p = p->all_next)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* Processes.                                                               */

struct mp_proc *mp_proc_spawn(struct mp_proc_table *t, const char *name, mp_time_t start,
                              int (*main)(int argc, char **argv), int argc, char **argv,
                              size_t stack_size)
{
    if (!main || argc < 0 || (argc > 0 && !argv)) {
        errno = EINVAL;
        return NULL;
    }
    struct mp_proc *p = g_new0(struct mp_proc, 1);
    p->table = t;
    p->name = g_strdup(name ? name : "");
    p->main = main;
    p->argc = argc;
    p->strings = g_new0(char *, (size_t)argc + 1);
    p->argv = g_new0(char *, (size_t)argc + 1);
    for (int i = 0; i < argc; i++)
        p->argv[i] = p->strings[i] = g_strdup(argv[i] ? argv[i] : "");

    int rc = mp_fiber_new(&p->fiber, p->name, stack_size, MP_FIBER_IMPL_DEFAULT, proc_entry, p);
    if (rc != 0) {
        g_strfreev(p->strings);
        g_free(p->argv);
        g_free(p->name);
        g_free(p);
        errno = -rc;
        return NULL;
    }

    p->pid = ++t->last_pid;
    if (t->last)
        t->last->all_next = p;
    else
        t->first = p;
    t->last = p;

    mp_time_t now = mp_env_now(t->env);
    p->state = MP_PROC_NEW;
    p->start_at = start < now ? now : start;
    p->wait_until = MP_TIME_NEVER;
    p->started = p->ended = MP_TIME_NEVER;
    p->host = t->host;
    mp_deadline_init(&p->dl, proc_expire, p);
    mp_env_deadline(t->env, &p->dl, p->start_at);
    return p;
}

struct mp_proc *mp_proc_current(void)
{
    struct mp_fiber *f = mp_fiber_current();
    /* Only our fibers run proc_entry; anyone else's arg is not a process. */
    if (!f || mp_fiber_entry(f) != proc_entry)
        return NULL;
    return mp_fiber_arg(f);
}

_Noreturn void mp_proc_exit(int status)
{
    struct mp_proc *p = mp_proc_current();
    if (!p)
        g_error("mp_proc_exit called outside a simulated process");
    end_self(p, status, MP_PROC_EXITED);
}

int mp_proc_kill(struct mp_proc *p)
{
    if (mp_proc_ended(p))
        return -ESRCH;
    if (p == mp_proc_current())
        end_self(p, MP_PROC_KILLED_STATUS, MP_PROC_KILLED);
    /* Only the current process can be running. */
    g_assert(p->state != MP_PROC_RUNNING);
    p->status = MP_PROC_KILLED_STATUS;
    p->state = MP_PROC_KILLED;
    p->ended = mp_env_now(p->table->env);
    finish(p);
    return 0;
}

int mp_proc_cleanup_push(void (*fn)(void *), void *arg)
{
    struct mp_proc *p = mp_proc_current();
    if (!p)
        return -EPERM;
    if (!p->cleanups)
        p->cleanups = g_array_new(FALSE, FALSE, sizeof(struct cleanup));
    struct cleanup c = {fn, arg};
    g_array_append_val(p->cleanups, c);
    return 0;
}

void mp_proc_cleanup_pop(bool run)
{
    struct mp_proc *p = mp_proc_current();
    if (!p || !p->cleanups || !p->cleanups->len)
        return;
    struct cleanup c = g_array_index(p->cleanups, struct cleanup, p->cleanups->len - 1);
    g_array_set_size(p->cleanups, p->cleanups->len - 1);
    if (run)
        c.fn(c.arg);
}

mp_time_t mp_proc_now(void)
{
    struct mp_proc *p = mp_proc_current();
    return p ? mp_env_now(p->table->env) : 0;
}

int mp_proc_wait(struct mp_waitq *q, mp_time_t deadline)
{
    struct mp_proc *p = mp_proc_current();
    if (!p)
        return -EPERM;
    const struct mp_env *env = p->table->env;
    if (deadline <= mp_env_now(env))
        return -ETIMEDOUT;
    if (q)
        list_push(q, p);
    p->state = MP_PROC_PARKED;
    p->wait_until = deadline;
    if (deadline != MP_TIME_NEVER)
        mp_env_deadline(env, &p->dl, deadline);
    park(p);
    p->wait_until = MP_TIME_NEVER;
    return p->wake_result;
}

void mp_proc_sleep(mp_time_t ns)
{
    struct mp_proc *p = mp_proc_current();
    if (!p)
        return;
    if (ns == 0) {
        make_runnable(p, 0);
        park(p);
        return;
    }
    mp_time_t now = mp_env_now(p->table->env);
    mp_time_t until = ns >= MP_TIME_NEVER - now ? MP_TIME_NEVER : now + ns;
    (void)mp_proc_wait(NULL, until); /* -ETIMEDOUT, the expected end */
}

bool mp_waitq_wake_one(struct mp_waitq *q)
{
    struct mp_proc *p = q->head;
    if (!p)
        return false;
    make_runnable(p, 0);
    return true;
}

unsigned mp_waitq_wake_all(struct mp_waitq *q)
{
    unsigned n = 0;
    while (mp_waitq_wake_one(q))
        n++;
    return n;
}

/* ---------------------------------------------------------------------- */
/* Accessors.                                                               */

const char *mp_proc_name(const struct mp_proc *p)
{
    return p->name;
}

uint32_t mp_proc_pid(const struct mp_proc *p)
{
    return p->pid;
}

enum mp_proc_state mp_proc_state(const struct mp_proc *p)
{
    return p->state;
}

struct mp_proc_table *mp_proc_table(const struct mp_proc *p)
{
    return p->table;
}

int mp_proc_argc(const struct mp_proc *p)
{
    return p->argc;
}

char **mp_proc_argv(const struct mp_proc *p)
{
    return p->argv;
}

int mp_proc_exit_status(const struct mp_proc *p)
{
    return p->status;
}

mp_time_t mp_proc_start_time(const struct mp_proc *p)
{
    return p->started;
}

mp_time_t mp_proc_end_time(const struct mp_proc *p)
{
    return p->ended;
}

bool mp_proc_ended(const struct mp_proc *p)
{
    return p->state == MP_PROC_EXITED || p->state == MP_PROC_KILLED;
}

void *mp_proc_host(const struct mp_proc *p)
{
    return p->host;
}

void mp_proc_set_host(struct mp_proc *p, void *host)
{
    p->host = host;
}
