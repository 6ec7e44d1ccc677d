/*
 * afmp: strict parsers for the quantities written in scenario files.
 *
 * Every value is a single token: digits, an optional decimal fraction, and a
 * unit glued to the number ("1.5ms", "10Mbit", "64KiB", "0.5%", "100p").
 * Scenario lines such as events and expectations are split on spaces, so a
 * space between number and unit is rejected (MP_UNITS_ESPACE) rather than
 * guessed at. Decimals are read as integers (digits before and after the
 * point), never through floating point, and must come out exact in the base
 * unit: "1.5ms" is 1500000 ns, "1.5ns" is an error (MP_UNITS_EPRECISION).
 *
 * Units, case-sensitive (m and M differ by 10^9):
 *   time   ns us ms s                            -> nanoseconds
 *   rate   bit kbit Mbit Gbit (also bit/s ...)   -> bit/s, SI (1000-based)
 *   size   B, kB/KB MB GB (1000), KiB MiB GiB (1024) -> bytes
 *   queue  a size, or a packet count "100p"
 *   ratio  "0.5%" or "5000ppm"                   -> parts per million
 * Spellings that mean different things to different tools are refused with
 * MP_UNITS_EAMBIGUOUS: "Mbps"/"kbps" (tc reads them as bytes per second),
 * "kb"/"Mb" (bits or bytes?), bare "k"/"M"/"G".
 *
 * All functions take a NUL-terminated string without surrounding spaces
 * (callers strip them), write |*out| only on success, and return 0 or one of
 * the negative codes below. None keeps state.
 */
#ifndef MP_SIM_UNITS_H
#define MP_SIM_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/types.h"

enum mp_units_error {
    MP_UNITS_EEMPTY = -1,     /* nothing written */
    MP_UNITS_ESYNTAX = -2,    /* not digits[.digits]unit, e.g. ".5s", "1.s", "+1s", "1e3s" */
    MP_UNITS_ENOUNIT = -3,    /* a number without the unit this value needs */
    MP_UNITS_EUNIT = -4,      /* unknown unit or junk after the number ("10ms5") */
    MP_UNITS_ERANGE = -5,     /* too large for the value (or over 100%) */
    MP_UNITS_ENEGATIVE = -6,  /* a leading minus sign */
    MP_UNITS_EPRECISION = -7, /* the decimal is finer than the base unit */
    MP_UNITS_ESPACE = -8,     /* a space between number and unit */
    MP_UNITS_EAMBIGUOUS = -9, /* a unit spelling refused on purpose (Mbps, kb) */
};

/* Queue limits count either packets or bytes. */
struct mp_units_queue {
    uint64_t limit;
    bool bytes; /* false: |limit| packets */
};

/* A time ("10ms", "1.5s") into nanoseconds. Errors: all of enum
 * mp_units_error except EAMBIGUOUS; ERANGE above UINT64_MAX - 1 (the largest
 * value is kept apart as MP_TIME_NEVER). */
int mp_units_parse_time(const char *s, mp_time_t *out);

/* A rate ("10Mbit", "2.5Gbit/s") into bit/s. Errors: as above, EAMBIGUOUS
 * for "Mbps" and friends. Zero is accepted here; callers decide what it
 * means. */
int mp_units_parse_rate(const char *s, uint64_t *out);

/* A size ("1500B", "64KiB", "1.5MB") into bytes. EAMBIGUOUS for "kb", "K"... */
int mp_units_parse_size(const char *s, uint64_t *out);

/* A queue limit: "100p" (packets) or a size. */
int mp_units_parse_queue(const char *s, struct mp_units_queue *out);

/* A ratio ("0.5%", "50ppm") into parts per million, at most 100%. A percentage
 * has at most four decimals (1 ppm = 0.0001%). */
int mp_units_parse_ppm(const char *s, uint32_t *out);

/* A plain decimal integer (no sign, no unit) not above |max|. */
int mp_units_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* on/off, true/false, yes/no (ASCII case-insensitive). Returns ESYNTAX for
 * anything else (including 1 and 0). */
int mp_units_parse_bool(const char *s, bool *out);

/* A short English reason for an error code (static string). */
const char *mp_units_strerror(int err);

/* Formats |t| exactly with the largest unit that needs no rounding, e.g.
 * 1500000 -> "1.5ms", 0 -> "0s", MP_TIME_NEVER -> "never". Writes at most
 * |len| bytes including the NUL; returns the length it needed (like
 * snprintf). */
int mp_units_format_time(mp_time_t t, char *buf, size_t len);

/* Formats a rate in bit/s exactly: 10000000 -> "10Mbit", 1500 -> "1.5kbit". */
int mp_units_format_rate(uint64_t bps, char *buf, size_t len);

#endif
