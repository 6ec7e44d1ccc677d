/* afmp: trace records (see trace.h). */
#include "model/trace.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void put(struct mp_trace_rec *r, const char *s, size_t n)
{
    /* Keep room for the closing brace and a possible truncation marker. */
    if (r->len + n + 24 > sizeof(r->buf)) {
        r->overflow = true;
        return;
    }
    memcpy(r->buf + r->len, s, n);
    r->len += n;
}

static void put_str(struct mp_trace_rec *r, const char *s)
{
    put(r, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(r, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(r, esc, 6);
        } else {
            put(r, (const char *)&c, 1);
        }
    }
    put(r, "\"", 1);
}

/* A field is written whole or not at all, so a truncated record is still
 * valid JSON: remember where it started and roll back if it overflowed. */
static size_t field_start(struct mp_trace_rec *r, bool *was)
{
    *was = r->overflow;
    r->overflow = false;
    return r->len;
}

static void field_end(struct mp_trace_rec *r, size_t start, bool was)
{
    if (r->overflow)
        r->len = start;
    r->overflow = r->overflow || was;
}

static void put_key(struct mp_trace_rec *r, const char *key)
{
    put(r, ",", 1);
    put_str(r, key);
    put(r, ":", 1);
}

void mp_trace_begin(struct mp_trace_rec *r, mp_time_t now, const char *node, const char *type)
{
    char num[32];
    int n = snprintf(num, sizeof(num), "{\"t\":%" PRIu64, now);
    r->len = 0;
    r->overflow = false;
    put(r, num, (size_t)n);
    put_key(r, "node");
    put_str(r, node ? node : "");
    put_key(r, "ev");
    put_str(r, type);
}

void mp_trace_u64(struct mp_trace_rec *r, const char *key, uint64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRIu64, v);
    bool was;
    size_t start = field_start(r, &was);
    put_key(r, key);
    put(r, num, (size_t)n);
    field_end(r, start, was);
}

void mp_trace_i64(struct mp_trace_rec *r, const char *key, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof(num), "%" PRId64, v);
    bool was;
    size_t start = field_start(r, &was);
    put_key(r, key);
    put(r, num, (size_t)n);
    field_end(r, start, was);
}

void mp_trace_bool(struct mp_trace_rec *r, const char *key, bool v)
{
    bool was;
    size_t start = field_start(r, &was);
    put_key(r, key);
    put(r, v ? "true" : "false", v ? 4 : 5);
    field_end(r, start, was);
}

void mp_trace_str(struct mp_trace_rec *r, const char *key, const char *s)
{
    bool was;
    size_t start = field_start(r, &was);
    put_key(r, key);
    put_str(r, s ? s : "");
    field_end(r, start, was);
}

void mp_trace_ip(struct mp_trace_rec *r, const char *key, const struct mp_ip *ip)
{
    char text[INET6_ADDRSTRLEN] = "";
    if (ip->v == 4)
        inet_ntop(AF_INET, ip->b, text, sizeof(text));
    else if (ip->v == 6)
        inet_ntop(AF_INET6, ip->b, text, sizeof(text));
    mp_trace_str(r, key, text);
}

void mp_trace_close(struct mp_trace_rec *r)
{
    static const char trunc[] = ",\"truncated\":true";
    /* put() always leaves room for these. */
    if (r->overflow) {
        memcpy(r->buf + r->len, trunc, sizeof(trunc) - 1);
        r->len += sizeof(trunc) - 1;
    }
    r->buf[r->len++] = '}';
}

void mp_trace_end(struct mp_trace_rec *r, const struct mp_env *env)
{
    mp_trace_close(r);
    env->ops->trace_write(env->ctx, r->buf, r->len);
}
