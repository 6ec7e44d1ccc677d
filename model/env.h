/*
 * afmp: the host-environment seam.
 *
 * Everything a host (its IP layer, TCP, MPTCP, sockets, processes) needs from
 * the world goes through this one ops table: the clock, deadline timers,
 * one-shot callbacks, packet output per interface, randomness and trace
 * records. It is declared here, on the model side, and implemented by the
 * embedded engine (sim/env.c) and by the ns-3 adapter (sim/ns3/), so nothing
 * in model/ includes anything from sim/.
 */
#ifndef MP_ENV_H
#define MP_ENV_H

#include "model/pkt.h"
#include "model/rng.h"
#include "model/types.h"

/*
 * A deadline timer: one engine event per object, moved only when the
 * deadline comes earlier. When it fires, |expire| runs with the current time
 * and returns the object's next deadline (MP_TIME_NEVER for none); the
 * environment re-arms it there. A protocol whose deadline moves later (every
 * ACK pushes a retransmission timeout out) does nothing: the early firing
 * finds nothing due and returns the real deadline. So protocols never cancel
 * and re-arm per ACK.
 */
struct mp_deadline {
    mp_time_t (*expire)(void *obj, mp_time_t now);
    void *obj;
    mp_time_t armed; /* environment's: when the event is set; NEVER if none */
    void *handle;    /* environment's: its event */
    void *ctx;       /* environment's: set when first armed */
};

static inline void mp_deadline_init(struct mp_deadline *dl, mp_time_t (*expire)(void *, mp_time_t),
                                    void *obj)
{
    dl->expire = expire;
    dl->obj = obj;
    dl->armed = MP_TIME_NEVER;
    dl->handle = NULL;
    dl->ctx = NULL;
}

typedef void (*mp_env_fn)(void *arg, mp_time_t now);

struct mp_env_ops {
    mp_time_t (*now)(void *ctx);
    /* Makes sure |dl| fires no later than |when|; never moves it later. */
    void (*deadline_update)(void *ctx, struct mp_deadline *dl, mp_time_t when);
    /* Disarms |dl| (the object is going away). */
    void (*deadline_stop)(void *ctx, struct mp_deadline *dl);
    /* Runs fn(arg, when) once at |when| (>= now). Not cancellable: use a
     * deadline for anything that may be withdrawn. */
    void (*call_at)(void *ctx, mp_time_t when, mp_env_fn fn, void *arg);
    /* Hands |pkt| (an IP datagram) to interface |ifindex| of the host for
     * transmission; the environment owns it from here. */
    void (*output)(void *ctx, uint32_t ifindex, struct mp_pkt *pkt);
    /* Writes one finished trace record (a JSON object, no newline). */
    void (*trace_write)(void *ctx, const char *line, size_t len);
};

/* Trace categories: a record is built only when its bit is set in
 * mp_env.trace_mask, so tracing costs one test when off. */
enum mp_trace_cat {
    MP_TRACE_ENGINE = 1u << 0,
    MP_TRACE_LINK = 1u << 1,
    MP_TRACE_IP = 1u << 2,
    MP_TRACE_TCP = 1u << 3,
    MP_TRACE_MPTCP = 1u << 4,
    MP_TRACE_APP = 1u << 5,
    MP_TRACE_SCENARIO = 1u << 6,
    MP_TRACE_PROC = 1u << 7,
    MP_TRACE_ALL = 0xffffffffu,
};

struct mp_env {
    const struct mp_env_ops *ops;
    void *ctx;
    uint64_t seed;            /* randomness: streams derive from it by name */
    uint32_t trace_mask;      /* enum mp_trace_cat bits */
    struct mp_pkt_pool *pool; /* where this host's packets come from */
    /* Optional: where the current time can be read, when it is a variable
     * (the embedded engine's clock), so that mp_env_now() costs one load
     * instead of a call through ops; NULL: ops->now. */
    const mp_time_t *clock;
};

static inline mp_time_t mp_env_now(const struct mp_env *env)
{
    return env->clock ? *env->clock : env->ops->now(env->ctx);
}

static inline void mp_env_deadline(const struct mp_env *env, struct mp_deadline *dl, mp_time_t when)
{
    if (when < dl->armed)
        env->ops->deadline_update(env->ctx, dl, when);
}

static inline void mp_env_deadline_stop(const struct mp_env *env, struct mp_deadline *dl)
{
    if (dl->armed != MP_TIME_NEVER)
        env->ops->deadline_stop(env->ctx, dl);
}

static inline void mp_env_call_at(const struct mp_env *env, mp_time_t when, mp_env_fn fn, void *arg)
{
    env->ops->call_at(env->ctx, when, fn, arg);
}

static inline void mp_env_output(const struct mp_env *env, uint32_t ifindex, struct mp_pkt *pkt)
{
    env->ops->output(env->ctx, ifindex, pkt);
}

static inline void mp_env_rng(const struct mp_env *env, const char *name, struct mp_rng *out)
{
    mp_rng_derive(env->seed, name, out);
}

static inline bool mp_env_tracing(const struct mp_env *env, enum mp_trace_cat cat)
{
    return (env->trace_mask & (uint32_t)cat) != 0;
}

#endif
