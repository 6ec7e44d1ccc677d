/*
 * afmp: packet-delivery traces (see dtrace.h).
 */
#include "sim/net/dtrace.h"

#include <stdarg.h>
#include <string.h>

G_DEFINE_QUARK(mp-dtrace-error-quark, mp_dtrace_error)

static struct mp_dtrace *fail(GError **err, int code, const char *name, size_t line,
                              const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* Sets |err| to "NAME:LINE: MESSAGE" (no line when |line| is 0). */
static struct mp_dtrace *fail(GError **err, int code, const char *name, size_t line,
                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    if (line)
        g_set_error(err, MP_DTRACE_ERROR, code, "%s:%zu: %s", name, line, msg);
    else
        g_set_error(err, MP_DTRACE_ERROR, code, "%s: %s", name, msg);
    g_free(msg);
    return NULL;
}

struct mp_dtrace *mp_dtrace_parse(const char *name, const uint8_t *p, size_t len, GError **err)
{
    GArray *ms = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    size_t line = 0, i = 0;
    uint64_t prev = 0;

    while (i < len) {
        size_t b = i, e;
        while (i < len && p[i] != '\n')
            i++;
        e = i;
        if (i < len)
            i++; /* the newline */
        if (e > b && p[e - 1] == '\r')
            e--;
        line++;
        char *text = g_strndup((const char *)p + b, e - b);
        uint64_t v = 0;
        bool ok = e > b;
        for (size_t j = b; ok && j < e; j++) {
            ok = p[j] >= '0' && p[j] <= '9';
            v = v * 10 + (uint64_t)(p[j] - '0');
            ok = ok && v <= MP_DTRACE_MAX_MS;
        }
        if (!ok) {
            fail(err, MP_DTRACE_ERROR_SYNTAX, name, line,
                 "expected a delivery time in whole milliseconds (digits only, at most "
                 "1000000000000), got '%s'",
                 text);
        } else if (v < prev) {
            fail(err, MP_DTRACE_ERROR_ORDER, name, line,
                 "expected a time at or after the previous line's, got %s after %" G_GUINT64_FORMAT
                 " (timestamps never decrease)",
                 text, prev);
            ok = false;
        }
        g_free(text);
        if (!ok) {
            g_array_free(ms, TRUE);
            return NULL;
        }
        g_array_append_val(ms, v);
        prev = v;
    }
    if (ms->len == 0) {
        g_array_free(ms, TRUE);
        return fail(err, MP_DTRACE_ERROR_EMPTY, name, 0,
                    "expected one delivery time in milliseconds per line, got no line");
    }
    if (prev == 0) {
        g_array_free(ms, TRUE);
        return fail(err, MP_DTRACE_ERROR_PERIOD, name, line,
                    "the last time is the period the trace repeats with, so it must be "
                    "above 0 (got 0)");
    }
    struct mp_dtrace *t = g_new0(struct mp_dtrace, 1);
    t->refs = 1;
    t->name = g_path_get_basename(name);
    t->n = ms->len;
    t->ms = (uint64_t *)(void *)g_array_free(ms, FALSE);
    t->period_ms = prev;
    return t;
}

struct mp_dtrace *mp_dtrace_load(const char *path, GError **err)
{
    char *data;
    gsize len;
    GError *e = NULL;

    if (!g_file_get_contents(path, &data, &len, &e)) {
        g_set_error(err, MP_DTRACE_ERROR, MP_DTRACE_ERROR_IO,
                    "cannot read the delivery trace: %s", e->message);
        g_error_free(e);
        return NULL;
    }
    struct mp_dtrace *t = mp_dtrace_parse(path, (const uint8_t *)data, len, err);
    g_free(data);
    return t;
}

struct mp_dtrace *mp_dtrace_ref(struct mp_dtrace *t)
{
    if (t)
        t->refs++;
    return t;
}

void mp_dtrace_unref(struct mp_dtrace *t)
{
    if (!t || --t->refs > 0)
        return;
    g_free(t->ms);
    g_free(t->name);
    g_free(t);
}

mp_time_t mp_dtrace_time(const struct mp_dtrace *t, uint64_t k)
{
    return MP_MS((k / t->n) * t->period_ms + t->ms[k % t->n]);
}

uint64_t mp_dtrace_first_at(const struct mp_dtrace *t, mp_time_t at)
{
    mp_time_t period = MP_MS(t->period_ms);
    uint64_t cyc = at / period;
    mp_time_t off = at - cyc * period;

    /* At a period boundary the last opportunities of the period before
     * (timestamp == period) are at |at| too, and come first. */
    if (off == 0 && cyc > 0) {
        cyc--;
        off = period;
    }
    size_t lo = 0, hi = t->n; /* the first i with ms[i] in ns >= off */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (MP_MS(t->ms[mid]) < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return cyc * t->n + lo; /* lo == n is the next period's first */
}

uint64_t mp_dtrace_rate(const struct mp_dtrace *t)
{
    /* n opportunities of 1500 B per period_ms: n * 12000 bit * 1000 / ms. */
    return (uint64_t)t->n * MP_DTRACE_BYTES * 8u * 1000u / t->period_ms;
}
