/*
 * afmp: trace records.
 *
 * A typed event stream on the simulation clock, one JSON object per line:
 *   {"t":1500000,"node":"client","ev":"tcp.cwnd","conn":3,"cwnd":14600}
 * "t" is the simulated time in integer nanoseconds, "node" the host or world
 * object, "ev" the record type (area.what); the other fields depend on the
 * type. Records are formatted into a fixed buffer on the stack and handed to
 * the environment whole; callers test mp_env_tracing() first, so a disabled
 * category costs one branch.
 *
 *   if (mp_env_tracing(env, MP_TRACE_TCP)) {
 *       struct mp_trace_rec r;
 *       mp_trace_begin(&r, now, host->name, "tcp.cwnd");
 *       mp_trace_u64(&r, "cwnd", c->cwnd);
 *       mp_trace_end(&r, env);
 *   }
 */
#ifndef MP_TRACE_H
#define MP_TRACE_H

#include "model/env.h"

#define MP_TRACE_REC_MAX 1024

struct mp_trace_rec {
    size_t len;
    bool overflow; /* a field did not fit: the record is marked truncated */
    char buf[MP_TRACE_REC_MAX];
};

void mp_trace_begin(struct mp_trace_rec *r, mp_time_t now, const char *node, const char *type);
void mp_trace_u64(struct mp_trace_rec *r, const char *key, uint64_t v);
void mp_trace_i64(struct mp_trace_rec *r, const char *key, int64_t v);
void mp_trace_bool(struct mp_trace_rec *r, const char *key, bool v);
/* |s| is escaped as a JSON string. */
void mp_trace_str(struct mp_trace_rec *r, const char *key, const char *s);
void mp_trace_ip(struct mp_trace_rec *r, const char *key, const struct mp_ip *ip);
/* Closes the object (r->buf, r->len then hold the line), for writers that
 * are not hosts. */
void mp_trace_close(struct mp_trace_rec *r);
/* Closes the object and hands it to env->ops->trace_write. */
void mp_trace_end(struct mp_trace_rec *r, const struct mp_env *env);

#endif
