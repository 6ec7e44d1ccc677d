/*
 * afmp: packet-delivery traces for trace-driven links, in Mahimahi's
 * mm-link format.
 *
 * A trace is a text file with one decimal integer per line: a time in
 * milliseconds at which the link may deliver MP_DTRACE_BYTES bytes (a
 * "delivery opportunity"). A number repeated on k lines is k opportunities
 * in that millisecond. Timestamps never decrease; the last one, above 0, is
 * the period: the trace repeats from then on, so opportunity k (counting
 * from 0 and never wrapping) is at
 *   (floor(k / n) * period + ms[k mod n]) milliseconds.
 * Accounting is by bytes, as mm-link's: several small packets share an
 * opportunity and a packet larger than what is left of one takes the rest
 * and continues in the next (the link, sim/net/link.c, does this).
 *
 * A trace is read once, kept in memory, shared by reference (both
 * directions of a link, and the link itself) and never changed.
 */
#ifndef MP_SIM_NET_DTRACE_H
#define MP_SIM_NET_DTRACE_H

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

#include "model/types.h"

/* Bytes one opportunity delivers (mm-link: one MTU-sized packet). */
#define MP_DTRACE_BYTES 1500u
/* Timestamps above this are refused, so that times in ns fit 64 bits over
 * many periods. */
#define MP_DTRACE_MAX_MS UINT64_C(1000000000000)

#define MP_DTRACE_ERROR (mp_dtrace_error_quark())
GQuark mp_dtrace_error_quark(void);

enum mp_dtrace_error {
    MP_DTRACE_ERROR_IO,     /* the file cannot be read */
    MP_DTRACE_ERROR_SYNTAX, /* a line that is not a millisecond count */
    MP_DTRACE_ERROR_ORDER,  /* a timestamp below the one before it */
    MP_DTRACE_ERROR_EMPTY,  /* no timestamp at all */
    MP_DTRACE_ERROR_PERIOD, /* the last timestamp is 0: no period to loop on */
};

struct mp_dtrace {
    int refs;
    char *name;     /* the file's base name, for results and messages */
    uint64_t *ms;   /* the timestamps, in file order (non-decreasing) */
    size_t n;       /* at least 1 */
    uint64_t period_ms; /* ms[n - 1], above 0 */
};

/* Parses the |len| bytes at |p| (the text of a trace file; |name| is used
 * in messages as "NAME:LINE: ..."). Lines end with "\n" (a "\r" before it
 * is allowed); the last may lack it. Returns a trace with one reference,
 * or NULL and sets |err| (SYNTAX: empty line, a character that is not a
 * digit, a number above MP_DTRACE_MAX_MS; ORDER; EMPTY; PERIOD). */
struct mp_dtrace *mp_dtrace_parse(const char *name, const uint8_t *p, size_t len, GError **err);

/* Reads and parses the file at |path| (IO when it cannot be read; the
 * others as mp_dtrace_parse(), naming |path|). */
struct mp_dtrace *mp_dtrace_load(const char *path, GError **err);

struct mp_dtrace *mp_dtrace_ref(struct mp_dtrace *t);
/* NULL is fine. */
void mp_dtrace_unref(struct mp_dtrace *t);

/* The time of opportunity |k|, in ns. */
mp_time_t mp_dtrace_time(const struct mp_dtrace *t, uint64_t k);
/* The first opportunity whose time is at or after |at| (ns). */
uint64_t mp_dtrace_first_at(const struct mp_dtrace *t, mp_time_t at);
/* The average rate over one period, in bit/s (rounded down). */
uint64_t mp_dtrace_rate(const struct mp_dtrace *t);

#endif
