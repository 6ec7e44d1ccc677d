/* afmp: the seam on the embedded engine (see env.h). */
#include "sim/env.h"

#include <glib.h>

static mp_time_t env_now(void *ctx)
{
    struct mp_sim_env *se = ctx;
    return mp_engine_now(se->eng);
}

static void dl_arm(struct mp_sim_env *se, struct mp_deadline *dl, mp_time_t when);

static void dl_fire(void *arg, mp_time_t now)
{
    struct mp_deadline *dl = arg;
    struct mp_sim_env *se = dl->ctx;

    dl->handle = NULL;
    dl->armed = MP_TIME_NEVER;
    mp_time_t next = dl->expire(dl->obj, now);
    /* expire() may itself have asked for an earlier deadline. */
    if (next != MP_TIME_NEVER && next < dl->armed)
        dl_arm(se, dl, next);
}

static void dl_arm(struct mp_sim_env *se, struct mp_deadline *dl, mp_time_t when)
{
    mp_time_t now = mp_engine_now(se->eng);
    if (when < now)
        when = now;
    dl->ctx = se;
    if (dl->handle)
        dl->handle = mp_engine_reschedule(se->eng, dl->handle, when, dl_fire, dl);
    else
        dl->handle = mp_engine_at(se->eng, when, dl_fire, dl);
    dl->armed = when;
}

static void env_deadline_update(void *ctx, struct mp_deadline *dl, mp_time_t when)
{
    if (when < dl->armed)
        dl_arm(ctx, dl, when);
}

static void env_deadline_stop(void *ctx, struct mp_deadline *dl)
{
    struct mp_sim_env *se = ctx;
    if (dl->handle)
        mp_engine_cancel(se->eng, dl->handle);
    dl->handle = NULL;
    dl->armed = MP_TIME_NEVER;
}

static void env_call_at(void *ctx, mp_time_t when, mp_env_fn fn, void *arg)
{
    struct mp_sim_env *se = ctx;
    mp_engine_at(se->eng, when, fn, arg);
}

static void env_output(void *ctx, uint32_t ifindex, struct mp_pkt *pkt)
{
    struct mp_sim_env *se = ctx;
    se->output(se->owner, ifindex, pkt);
}

void mp_trace_sink_write(void *arg, const char *line, size_t len)
{
    struct mp_trace_sink *sink = arg;
    sink->records++;
    sink->bytes += len + 1;
    if (sink->f) {
        fwrite(line, 1, len, sink->f);
        fputc('\n', sink->f);
    }
}

static void env_trace_write(void *ctx, const char *line, size_t len)
{
    struct mp_sim_env *se = ctx;
    if (se->sink)
        mp_trace_sink_write(se->sink, line, len);
}

const struct mp_env_ops mp_sim_env_ops = {
    .now = env_now,
    .deadline_update = env_deadline_update,
    .deadline_stop = env_deadline_stop,
    .call_at = env_call_at,
    .output = env_output,
    .trace_write = env_trace_write,
};

void mp_sim_env_init(struct mp_sim_env *se, struct mp_engine *eng, uint64_t seed,
                     struct mp_pkt_pool *pool, mp_sim_output_fn output, void *owner,
                     struct mp_trace_sink *sink, uint32_t trace_mask)
{
    se->env.ops = &mp_sim_env_ops;
    se->env.ctx = se;
    se->env.seed = seed;
    se->env.trace_mask = sink ? trace_mask : 0;
    se->env.pool = pool;
    se->env.clock = mp_engine_clock(eng);
    se->eng = eng;
    se->output = output;
    se->owner = owner;
    se->sink = sink;
}
