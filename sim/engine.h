/*
 * afmp: the discrete-event engine.
 *
 * Integer nanosecond time. Events run in order of (time, insertion sequence),
 * so ties resolve the same way on every run; mp_engine_at_seq() schedules
 * with a sequence reserved earlier. The pending set is a binary heap while
 * it is small and a radix heap (keys are monotone: nothing is scheduled
 * before the current time) once it holds thousands, which keeps a million
 * pending events at tens of millions of operations per second. An engine has no global state: several run side by side in one
 * process.
 *
 * Event nodes belong to the engine. A handle returned by mp_engine_at() is
 * valid until the event runs or is cancelled; cancelling marks the node dead
 * and the engine recycles it when its time comes, so owners may free
 * themselves right after cancelling.
 */
#ifndef MP_SIM_ENGINE_H
#define MP_SIM_ENGINE_H

#include "model/types.h"

struct mp_engine;
struct mp_event;

typedef void (*mp_event_fn)(void *arg, mp_time_t now);

enum mp_run_result {
    MP_RUN_IDLE,        /* nothing left to do */
    MP_RUN_STOP_TIME,   /* the next event lies after the stop time */
    MP_RUN_BUDGET,      /* the event budget is spent */
    MP_RUN_INTERRUPTED, /* mp_engine_interrupt() was called */
};

struct mp_engine *mp_engine_new(void);
void mp_engine_free(struct mp_engine *eng);

mp_time_t mp_engine_now(const struct mp_engine *eng);
/* Where the engine keeps its current time: reading it is mp_engine_now()
 * without a call (valid as long as the engine). */
const mp_time_t *mp_engine_clock(const struct mp_engine *eng);

/* Schedules |fn|(|arg|, when) at |when| (>= now; earlier times are clamped to
 * now). Returns a handle for cancel/reschedule. */
struct mp_event *mp_engine_at(struct mp_engine *eng, mp_time_t when, mp_event_fn fn, void *arg);

static inline struct mp_event *mp_engine_after(struct mp_engine *eng, mp_time_t delay,
                                               mp_event_fn fn, void *arg)
{
    return mp_engine_at(eng, mp_engine_now(eng) + delay, fn, arg);
}

/* Reserves a place in the tie order: the insertion sequence the next
 * mp_engine_at() would have taken, which no other event will take. */
uint64_t mp_engine_reserve(struct mp_engine *eng);

/* Schedules as mp_engine_at() does, but ordered among events of the same
 * time as if scheduled when |seq| was reserved (mp_engine_reserve()). So an
 * owner with many events in time order may keep only the first in the
 * queue, and still run each where it would have run. |seq| must be later
 * than that of the event now running if |when| is now. */
struct mp_event *mp_engine_at_seq(struct mp_engine *eng, mp_time_t when, uint64_t seq,
                                  mp_event_fn fn, void *arg);

/* Cancels a pending event. |ev| must be a live handle. */
void mp_engine_cancel(struct mp_engine *eng, struct mp_event *ev);

/* Moves a pending event to |when|, to run |fn|(|arg|) (the engine keeps no
 * copy of a pending event's callback outside the queue, so the caller names
 * it again). The event takes a fresh insertion sequence, as if cancelled and
 * scheduled anew. Returns the new handle. */
struct mp_event *mp_engine_reschedule(struct mp_engine *eng, struct mp_event *ev, mp_time_t when,
                                      mp_event_fn fn, void *arg);

/* Events later than |stop| are not run (MP_TIME_NEVER: no limit). */
void mp_engine_set_stop(struct mp_engine *eng, mp_time_t stop);
/* At most |events| more events are run (0: no limit). */
void mp_engine_set_budget(struct mp_engine *eng, uint64_t events);

/* Runs events until one of the mp_run_result conditions holds. When it
 * returns for lack of events before the stop time (IDLE or STOP_TIME), the
 * clock has advanced to the stop time. */
enum mp_run_result mp_engine_run(struct mp_engine *eng);

/* Runs the single next event if there is one not after the stop time.
 * Returns false when nothing was run. */
bool mp_engine_step(struct mp_engine *eng);

/* Asks a running engine to return at the next event boundary. Only sets a
 * flag, so it may be called from a signal handler. */
void mp_engine_interrupt(struct mp_engine *eng);

/* Whether mp_engine_interrupt() was called. */
bool mp_engine_interrupted(const struct mp_engine *eng);

/* Moves the clock to |t| with no event run, for another engine that drives
 * this one (sim/ns3/): nothing may be pending before |t|. Earlier times are
 * ignored. */
void mp_engine_advance(struct mp_engine *eng, mp_time_t t);

/* Time of the next live event, or MP_TIME_NEVER. */
mp_time_t mp_engine_next_time(struct mp_engine *eng);

uint64_t mp_engine_events_run(const struct mp_engine *eng);
uint64_t mp_engine_pending(const struct mp_engine *eng);

#endif
