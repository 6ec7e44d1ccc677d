/*
 * afmp: the host-environment seam implemented on the embedded engine.
 *
 * Each host (and each world object that runs host code, such as a router)
 * gets a struct mp_sim_env whose |env| member it hands to model code. Time,
 * deadline timers and one-shot calls map onto engine events; packet output
 * goes to the owner's callback (the world wires it to links and capture
 * taps); trace records go to a shared line sink.
 */
#ifndef MP_SIM_ENV_H
#define MP_SIM_ENV_H

#include <stdio.h>

#include "model/env.h"
#include "sim/engine.h"

/* Where trace records of one simulation go: JSON lines, in event order. */
struct mp_trace_sink {
    FILE *f;          /* NULL: records are counted and dropped */
    uint64_t records;
    uint64_t bytes;
};

/* Writes one record (a line without its newline) to |sink| (a struct
 * mp_trace_sink *); the signature of a trace_write op, for world objects. */
void mp_trace_sink_write(void *sink, const char *line, size_t len);

typedef void (*mp_sim_output_fn)(void *owner, uint32_t ifindex, struct mp_pkt *pkt);

struct mp_sim_env {
    struct mp_env env; /* what model code sees */
    struct mp_engine *eng;
    mp_sim_output_fn output;
    void *owner;
    struct mp_trace_sink *sink;
};

void mp_sim_env_init(struct mp_sim_env *se, struct mp_engine *eng, uint64_t seed,
                     struct mp_pkt_pool *pool, mp_sim_output_fn output, void *owner,
                     struct mp_trace_sink *sink, uint32_t trace_mask);

/* The ops table behind mp_sim_env; exposed for tests that wrap it. */
extern const struct mp_env_ops mp_sim_env_ops;

#endif
