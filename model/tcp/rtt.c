/*
 * afmp: the TCP RTT estimator (see rtt.h).
 */
#include "model/tcp/rtt.h"

#include <string.h>

#include "model/tcp/seq.h"

/* ---- windowed min/max ---- */

void mp_minmax_reset(struct mp_minmax *m, mp_time_t t, uint64_t v)
{
    m->s[0] = m->s[1] = m->s[2] = (struct mp_minmax_sample){t, v};
}

/* Ages the three samples once the new one is in place: when the best is
 * older than the window, the second and third move up; the second and third
 * are refreshed after a quarter and half window so that, when the best
 * expires, what replaces it is recent. */
static uint64_t subwin_update(struct mp_minmax *m, mp_time_t win, struct mp_minmax_sample x)
{
    mp_time_t dt = x.t - m->s[0].t;
    if (dt > win) {
        m->s[0] = m->s[1];
        m->s[1] = m->s[2];
        m->s[2] = x;
        if (x.t - m->s[0].t > win) {
            m->s[0] = m->s[1];
            m->s[1] = m->s[2];
            m->s[2] = x;
        }
    } else if (m->s[1].t == m->s[0].t && dt > win / 4) {
        m->s[1] = m->s[2] = x;
    } else if (m->s[2].t == m->s[1].t && dt > win / 2) {
        m->s[2] = x;
    }
    return m->s[0].v;
}

/* |better(a, b)|: a is at least as good as b. */
static uint64_t running(struct mp_minmax *m, mp_time_t win, mp_time_t t, uint64_t v, bool is_min)
{
    struct mp_minmax_sample x = {t, v};
#define BETTER(a, b) (is_min ? (a) <= (b) : (a) >= (b))
    if (BETTER(v, m->s[0].v) || t - m->s[2].t > win) {
        mp_minmax_reset(m, t, v);
        return v;
    }
    if (BETTER(v, m->s[1].v))
        m->s[1] = m->s[2] = x;
    else if (BETTER(v, m->s[2].v))
        m->s[2] = x;
#undef BETTER
    return subwin_update(m, win, x);
}

uint64_t mp_minmax_running_min(struct mp_minmax *m, mp_time_t win, mp_time_t t, uint64_t v)
{
    return running(m, win, t, v, true);
}

uint64_t mp_minmax_running_max(struct mp_minmax *m, mp_time_t win, mp_time_t t, uint64_t v)
{
    return running(m, win, t, v, false);
}

/* ---- estimator ---- */

void mp_rtt_params_default(struct mp_rtt_params *p)
{
    p->rto_initial = MP_S(1);
    p->rto_min = MP_MS(200);
    p->rto_max = MP_S(120);
    p->min_rtt_win = MP_S(300);
    p->linux_var = true;
}

void mp_rtt_init(struct mp_rtt *r, const struct mp_rtt_params *p)
{
    memset(r, 0, sizeof(*r));
    if (p)
        r->p = *p;
    else
        mp_rtt_params_default(&r->p);
    r->rto = r->p.rto_initial;
}

static mp_time_t max_t(mp_time_t a, mp_time_t b)
{
    return a > b ? a : b;
}

void mp_rtt_sample(struct mp_rtt *r, mp_time_t sample, uint32_t snd_una, uint32_t snd_nxt,
                   mp_time_t now)
{
    if (sample == 0)
        sample = 1;
    r->latest = sample;

    if (!r->has_sample) {
        /* RFC 6298 2.2. */
        r->has_sample = true;
        r->srtt = sample;
        r->rttvar = sample / 2;
        r->rttvar_rto = max_t(4 * r->rttvar, r->p.rto_min);
        r->mdev_max = r->rttvar_rto;
        r->flight_seq = snd_nxt;
        mp_minmax_reset(&r->min_rtt, now, sample);
    } else {
        /* RFC 6298 2.3: RTTVAR with the old SRTT, then SRTT. */
        int64_t err = (int64_t)sample - (int64_t)r->srtt;
        int64_t aerr = err < 0 ? -err : err;
        int64_t d = aerr - (int64_t)r->rttvar;
        if (r->p.linux_var && err < 0 && d > 0)
            r->rttvar = (mp_time_t)((int64_t)r->rttvar + d / 32);
        else
            r->rttvar = (mp_time_t)((int64_t)r->rttvar + d / 4);
        r->srtt = (mp_time_t)((int64_t)r->srtt + err / 8);
        if (r->srtt == 0)
            r->srtt = 1;

        mp_time_t var4 = 4 * r->rttvar;
        if (r->p.linux_var) {
            if (var4 > r->mdev_max) {
                r->mdev_max = var4;
                r->rttvar_rto = max_t(r->rttvar_rto, var4);
            }
            if (mp_seq_gt(snd_una, r->flight_seq)) {
                /* A flight ended: let the RTO's variance fall a quarter of
                 * the way to the largest this flight saw. */
                if (r->mdev_max < r->rttvar_rto)
                    r->rttvar_rto -= (r->rttvar_rto - r->mdev_max) / 4;
                r->flight_seq = snd_nxt;
                r->mdev_max = r->p.rto_min;
            }
        } else {
            r->rttvar_rto = max_t(var4, r->p.rto_min);
        }
        mp_minmax_running_min(&r->min_rtt, r->p.min_rtt_win, now, sample);
    }
    r->rto = r->srtt + r->rttvar_rto;
    if (r->rto > r->p.rto_max)
        r->rto = r->p.rto_max;
    r->backoff = 0;
}

mp_time_t mp_rtt_rto(const struct mp_rtt *r)
{
    mp_time_t rto = r->rto;
    for (uint32_t i = 0; i < r->backoff && rto < r->p.rto_max; i++)
        rto *= 2;
    return rto < r->p.rto_max ? rto : r->p.rto_max;
}

mp_time_t mp_rtt_backoff(struct mp_rtt *r)
{
    /* The count goes on past the cap (the connection may give up after so
     * many); mp_rtt_rto() stops doubling there. */
    if (r->backoff < UINT32_MAX)
        r->backoff++;
    return mp_rtt_rto(r);
}

mp_time_t mp_rtt_ts_sample(mp_time_t now, uint32_t tsecr, mp_time_t unit, uint32_t offset)
{
    uint32_t ticks = mp_rtt_tsval(now, unit, offset) - tsecr;
    if (ticks > INT32_MAX)
        return MP_TIME_NEVER;
    if (ticks == 0)
        ticks = 1;
    return (mp_time_t)ticks * unit;
}
