/*
 * afmp: the TCP round-trip-time estimator and retransmission timeout.
 *
 * RFC 6298 with Linux's choices (tcp_rtt_estimator / __tcp_set_rto):
 *   - first sample R: SRTT = R, RTTVAR = R / 2;
 *   - later samples: RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, then
 *     SRTT = 7/8 SRTT + 1/8 R (RFC 6298 2.3);
 *   - RTO = SRTT + max(4 * RTTVAR, rto_min) with rto_min = 200 ms: Linux
 *     floors the variance term, not the RTO (RFC 6298 2.4 would floor the
 *     whole RTO at 1 s), so a 100 ms path gets an RTO of 300 ms, not 1 s;
 *   - RTO starts at 1 s (RFC 6298 2.1), is capped at 120 s (TCP_RTO_MAX),
 *     and doubles at each expiry (RFC 6298 5.5) up to the cap;
 *   - a valid sample resets the backoff (Linux, tcp_ack_update_rtt; RFC
 *     6298 5.7 allows it once a sample arrives).
 *
 * Two flavours of the variance update (|linux_var| in the parameters, on by
 * default):
 *   - RFC: exactly the formulas above, and the RTO uses
 *     max(4 * RTTVAR, rto_min);
 *   - Linux: when a sample lies below SRTT and would make the variance
 *     grow, RTTVAR moves by 1/32 of (|SRTT - R| - RTTVAR) instead of 1/4
 *     (a sudden drop in RTT should not inflate the RTO); and the variance term the RTO uses
 *     (Linux's rttvar_us, here |rttvar_rto|) rises at once with the largest
 *     4 * RTTVAR seen in the current flight but falls only once per flight
 *     (when snd_una passes the snd_nxt of the flight's start), by 1/4 of
 *     the way to that flight's largest value, never below rto_min.
 *
 * All values are plain nanoseconds (no <<3 fixed point: ns are already finer
 * than Linux's µs<<3); the 1/8 and 1/4 gains are signed divisions that
 * truncate toward zero. Callers enforce Karn's rule (pass only samples of
 * segments never retransmitted, or timestamp samples).
 *
 * Also: a windowed min/max filter (Kathleen Nichols' algorithm, as Linux's
 * lib/minmax keeps it: the best, second and third best samples of
 * sub-windows) for the minimum RTT (5 min window, tcp_min_rtt_wlen) used by
 * RACK, and later BBR's max bandwidth.
 */
#ifndef MP_TCP_RTT_H
#define MP_TCP_RTT_H

#include "model/types.h"

/* ---- windowed min/max filter ---- */

struct mp_minmax_sample {
    mp_time_t t;
    uint64_t v;
};

struct mp_minmax {
    struct mp_minmax_sample s[3]; /* best, second best, third best */
};

/* Starts the filter over with sample (t, v). */
void mp_minmax_reset(struct mp_minmax *m, mp_time_t t, uint64_t v);

/* Adds sample (t, v) (times non-decreasing) to a filter of the minimum over
 * the last |win|; returns the minimum. An empty (zeroed) filter must be
 * reset first. */
uint64_t mp_minmax_running_min(struct mp_minmax *m, mp_time_t win, mp_time_t t, uint64_t v);

/* Same for the maximum. */
uint64_t mp_minmax_running_max(struct mp_minmax *m, mp_time_t win, mp_time_t t, uint64_t v);

static inline uint64_t mp_minmax_get(const struct mp_minmax *m)
{
    return m->s[0].v;
}

/* ---- estimator ---- */

struct mp_rtt_params {
    mp_time_t rto_initial; /* before any sample: 1 s */
    mp_time_t rto_min;     /* floor of the variance term: 200 ms */
    mp_time_t rto_max;     /* cap, backoff included: 120 s */
    mp_time_t min_rtt_win; /* window of the minimum-RTT filter: 300 s */
    bool linux_var;        /* Linux's variance update (see above) */
};

/* Linux's defaults. */
void mp_rtt_params_default(struct mp_rtt_params *p);

struct mp_rtt {
    struct mp_rtt_params p;
    bool has_sample;
    mp_time_t srtt;
    mp_time_t rttvar;     /* the smoothed mean deviation (RFC's RTTVAR) */
    mp_time_t rttvar_rto; /* what the RTO uses: 4 * variance, floored */
    mp_time_t mdev_max;   /* Linux: largest 4 * variance within this flight */
    uint32_t flight_seq;  /* Linux: the flight ends when snd_una passes this */
    mp_time_t latest;     /* last sample */
    mp_time_t rto;        /* without backoff */
    uint32_t backoff;     /* RTO expiries since the last valid sample */
    struct mp_minmax min_rtt;
};

/* Initialises the estimator; |p| NULL: Linux's defaults. */
void mp_rtt_init(struct mp_rtt *r, const struct mp_rtt_params *p);

/*
 * Feeds an RTT sample |sample| taken at |now|. |snd_una| and |snd_nxt| (after
 * the ACK) delimit flights for Linux's variance decay; the RFC flavour
 * ignores them. Resets the backoff. A zero sample counts as 1 ns (an RTT
 * is never zero).
 */
void mp_rtt_sample(struct mp_rtt *r, mp_time_t sample, uint32_t snd_una, uint32_t snd_nxt,
                   mp_time_t now);

/* The retransmission timeout, backoff included, capped at rto_max. */
mp_time_t mp_rtt_rto(const struct mp_rtt *r);

/* An RTO expired: doubles the timeout (up to the cap). Returns the new
 * mp_rtt_rto(). */
mp_time_t mp_rtt_backoff(struct mp_rtt *r);

/* Smoothed RTT, or 0 before the first sample. */
static inline mp_time_t mp_rtt_srtt(const struct mp_rtt *r)
{
    return r->has_sample ? r->srtt : 0;
}

/* Minimum RTT over the window, or 0 before the first sample. */
static inline mp_time_t mp_rtt_min(const struct mp_rtt *r)
{
    return r->has_sample ? mp_minmax_get(&r->min_rtt) : 0;
}

/* ---- timestamps as a sample source (RFC 7323 4) ---- */

/*
 * The TSval clock of a connection: |now| in units of |unit| (Linux: 1 ms),
 * plus a per-connection |offset| (RFC 7323 5.4 randomises it), mod 2^32.
 */
static inline uint32_t mp_rtt_tsval(mp_time_t now, mp_time_t unit, uint32_t offset)
{
    return (uint32_t)(now / unit) + offset;
}

/*
 * An RTT sample from an echoed timestamp |tsecr| of that clock: the clock's
 * ticks since then, in ns, at least one tick (Linux rounds a same-tick echo
 * up, so sub-tick RTTs read as one tick). Returns MP_TIME_NEVER when the
 * echo is from the future or more than 2^31 ticks old (not ours).
 */
mp_time_t mp_rtt_ts_sample(mp_time_t now, uint32_t tsecr, mp_time_t unit, uint32_t offset);

#endif
