/*
 * afmp: simulated processes (the DCE idea).
 *
 * An application runs as a simulated process: its main(argc, argv) on a
 * fiber (sim/proc/fiber.h) with its own stack. A blocking call parks the
 * process and returns control to the engine; the event that satisfies the
 * call makes it runnable again. Application code sees virtual time
 * (mp_proc_now, mp_proc_sleep) and a private errno.
 *
 * This layer is written only against the host-environment seam
 * (model/env.h), so the embedded engine and the ns-3 adapter share it.
 *
 * Design:
 *  - A process table (struct mp_proc_table) per environment owner (a host)
 *    holds that owner's processes in spawn order and numbers them 1, 2, ...
 *    There is no global registry; several tables live side by side.
 *  - Processes only ever run when the engine resumes them, never from
 *    another process's stack: a wake-up puts the process on its table's run
 *    queue (FIFO in wake order) and arms the table's run deadline at "now";
 *    when that event fires, the processes queued at that moment run one
 *    after another in queue order. Processes woken meanwhile wait for the
 *    next event at the same time, as if each wake were a call_at(now); so the
 *    order is deterministic and a waker's stack never grows.
 *  - Starts and timeouts use one deadline (struct mp_deadline) per process.
 *    Deadlines, unlike call_at, can be withdrawn, so killing a process or
 *    destroying a table leaves no event pointing at freed memory. A stale
 *    firing (the process was woken before its timeout, or waits again with a
 *    later one) finds the process not due and re-arms for its real deadline:
 *    the process state and its current deadline play the role of a wait
 *    generation.
 *  - errno: a process's errno is saved when it parks and restored when it
 *    resumes; the engine's errno is restored around each resume.
 *  - A process that ends (returns from main or calls mp_proc_exit) ends
 *    alone. Its fiber switches away for good; back on the engine's stack its
 *    stack is freed, "proc.exit" is traced and the table's exit hook runs.
 *    The struct mp_proc stays in the table (status and end time readable)
 *    until the table is destroyed.
 *
 * Trace records (category MP_TRACE_PROC, node = the table's node name):
 *   {"t":..,"node":"client","ev":"proc.start","pid":1,"name":"iperf"}
 *   {"t":..,"node":"client","ev":"proc.exit","pid":1,"name":"iperf","status":0,"killed":false}
 *
 * Functions marked "process context" must be called from a process (on its
 * fiber); the others may be called from anywhere on the table's thread.
 */
#ifndef MP_SIM_PROC_H
#define MP_SIM_PROC_H

#include "model/env.h"
#include "model/types.h"

struct mp_proc;
struct mp_proc_table;

/* Exit status recorded for a killed process (128 + SIGKILL, as a shell
 * reports it). */
#define MP_PROC_KILLED_STATUS 137

enum mp_proc_state {
    MP_PROC_NEW,      /* spawned; waiting for its start time */
    MP_PROC_RUNNABLE, /* on the run queue */
    MP_PROC_RUNNING,  /* on the CPU (it is mp_proc_current()) */
    MP_PROC_PARKED,   /* waiting on a wait queue and/or a timeout */
    MP_PROC_EXITED,   /* returned from main or called mp_proc_exit */
    MP_PROC_KILLED,   /* ended by mp_proc_kill */
};

/* A list of processes, linked through the processes themselves. Embed one
 * in whatever processes wait for (a socket's receive side, say). */
struct mp_waitq {
    struct mp_proc *head, *tail;
};

/* clang-format off */
#define MP_WAITQ_INIT {NULL, NULL}
/* clang-format on */

static inline void mp_waitq_init(struct mp_waitq *q)
{
    q->head = q->tail = NULL;
}

static inline bool mp_waitq_empty(const struct mp_waitq *q)
{
    return q->head == NULL;
}

/*
 * Called when a process has ended (exited or killed), outside the process
 * (mp_proc_current() is not |p|): the place for the host to close the
 * process's sockets. It must not block. It may wake, spawn or kill other
 * processes.
 */
typedef void (*mp_proc_exit_fn)(struct mp_proc *p, void *arg);

/* ---- process tables ---- */

/*
 * mp_proc_table_new creates an empty table. |env| must outlive the table;
 * |node| (copied; may be NULL for "") names the owner in trace records;
 * |host| is the default host pointer of its processes (see mp_proc_host).
 * Never fails (allocation failure aborts).
 */
struct mp_proc_table *mp_proc_table_new(const struct mp_env *env, const char *node, void *host);

/*
 * mp_proc_table_set_exit_hook sets the function called when a process of
 * |t| ends (NULL: none).
 */
void mp_proc_table_set_exit_hook(struct mp_proc_table *t, mp_proc_exit_fn fn, void *arg);

/*
 * mp_proc_table_kill_all kills every process of |t| that has not ended, in
 * spawn order, as mp_proc_kill does (exit hook and trace record included).
 * For tearing a host down cleanly. Not from a process of |t|.
 */
void mp_proc_table_kill_all(struct mp_proc_table *t);

/*
 * mp_proc_table_free frees |t| and every process in it, ended or not,
 * silently: no exit hook, no trace record (the host and the trace sink may
 * already be gone; call mp_proc_table_kill_all first for an orderly end).
 * Parked processes are unlinked from the wait queues they sit on, and all
 * of the table's deadlines are stopped. Not from a process of |t| nor from
 * its exit hook. NULL is ignored.
 */
void mp_proc_table_free(struct mp_proc_table *t);

const struct mp_env *mp_proc_table_env(const struct mp_proc_table *t);

/* Processes in spawn order: mp_proc_table_first(t), then mp_proc_next(p),
 * until NULL. */
struct mp_proc *mp_proc_table_first(const struct mp_proc_table *t);
struct mp_proc *mp_proc_next(const struct mp_proc *p);

/* The first process named |name| in spawn order, or NULL. */
struct mp_proc *mp_proc_table_find(const struct mp_proc_table *t, const char *name);

/* ---- creating and ending processes ---- */

/*
 * mp_proc_spawn creates a process in |t| that calls |main|(argc, argv) at
 * time |start| (now if earlier). |name| (copied) names it in traces and in
 * the stack overflow message. The process gets its own copy of |argc|
 * strings from |argv| (argv may be NULL when argc is 0), NULL-terminated as
 * in C; |main| may change them. |stack_size| is as for mp_fiber_new (0: the
 * default 256 KiB). May be called from a process.
 *
 * Returns the process, or NULL with errno set:
 *   EINVAL  |main| is NULL, |argc| is negative, or argv is NULL with argc > 0
 *   ENOMEM  the stack could not be mapped
 */
struct mp_proc *mp_proc_spawn(struct mp_proc_table *t, const char *name, mp_time_t start,
                              int (*main)(int argc, char **argv), int argc, char **argv,
                              size_t stack_size);

/*
 * mp_proc_exit ends the calling process with |status| (process context). It
 * does not return. Outside a process it aborts the program (a bug).
 */
_Noreturn void mp_proc_exit(int status);

/*
 * mp_proc_kill ends |p| at once with status MP_PROC_KILLED_STATUS: a new,
 * runnable or parked process never runs again; its stack is freed, the
 * "proc.exit" record written and the exit hook called before this returns.
 * Killing the calling process is mp_proc_exit(MP_PROC_KILLED_STATUS) and
 * does not return.
 *
 * Returns 0, or -ESRCH if |p| has already ended.
 */
int mp_proc_kill(struct mp_proc *p);

/*
 * Cleanup handlers, as pthread_cleanup_push/pop for a cancelled thread: a
 * process that is killed (or exits from deep inside) never unwinds its
 * stack, so what it allocated would leak. mp_proc_cleanup_push registers
 * |fn|(|arg|) for the calling process; the handlers still registered when
 * it ends, however it ends, run last pushed first, outside the process
 * but before its stack is freed (an argument may point into it; they may
 * free memory; afmp calls fail there). mp_proc_cleanup_pop takes
 * the last one off, running it when |run|. Push returns 0, or -EPERM
 * outside a process; pop does nothing there.
 */
int mp_proc_cleanup_push(void (*fn)(void *), void *arg);
void mp_proc_cleanup_pop(bool run);

/* ---- the running process ---- */

/* mp_proc_current returns the running process, or NULL when the engine (or
 * anything else not on a process's fiber) is running. */
struct mp_proc *mp_proc_current(void);

/* mp_proc_now returns the simulated time (process context; 0 outside). */
mp_time_t mp_proc_now(void);

/*
 * mp_proc_wait parks the calling process (process context) on |q| (may be
 * NULL: wait for the deadline only) until mp_waitq_wake_one/_all wakes it
 * or the simulated time reaches |deadline| (MP_TIME_NEVER: no timeout).
 *
 * Returns 0 when woken, or:
 *   -ETIMEDOUT  the deadline came first (at once if it is not in the future)
 *   -EPERM      not called from a process
 */
int mp_proc_wait(struct mp_waitq *q, mp_time_t deadline);

/*
 * mp_proc_sleep parks the calling process for |ns| nanoseconds of simulated
 * time (process context); 0 yields: the process runs again after those
 * already runnable at this time. Outside a process it does nothing.
 */
void mp_proc_sleep(mp_time_t ns);

/* ---- waking ---- */

/*
 * mp_waitq_wake_one makes the first process parked on |q| runnable; its
 * mp_proc_wait returns 0. It runs later, from the engine, never inside the
 * caller. Returns true if a process was woken.
 */
bool mp_waitq_wake_one(struct mp_waitq *q);

/* mp_waitq_wake_all wakes every process parked on |q|, in queue order, and
 * returns how many. */
unsigned mp_waitq_wake_all(struct mp_waitq *q);

/* ---- accessors ---- */

const char *mp_proc_name(const struct mp_proc *p);
uint32_t mp_proc_pid(const struct mp_proc *p); /* 1, 2, ... per table */
enum mp_proc_state mp_proc_state(const struct mp_proc *p);
struct mp_proc_table *mp_proc_table(const struct mp_proc *p);
/* The process's copy of its arguments (NULL-terminated). */
int mp_proc_argc(const struct mp_proc *p);
char **mp_proc_argv(const struct mp_proc *p);
/* Exit status once ended (MP_PROC_KILLED_STATUS if killed); 0 before. */
int mp_proc_exit_status(const struct mp_proc *p);
/* Start and end times (MP_TIME_NEVER until they happen). */
mp_time_t mp_proc_start_time(const struct mp_proc *p);
mp_time_t mp_proc_end_time(const struct mp_proc *p);
bool mp_proc_ended(const struct mp_proc *p);

/* The host pointer the socket layer reads: the table's |host| unless set
 * per process. */
void *mp_proc_host(const struct mp_proc *p);
void mp_proc_set_host(struct mp_proc *p, void *host);

#endif
