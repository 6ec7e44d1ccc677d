/*
 * afmp: TCP timers on one deadline per connection: retransmission timeout
 * (RFC 6298 with backoff), delayed ACK, zero-window probe, keepalive and
 * TIME_WAIT. The deadline is moved only when it comes earlier; expire()
 * handles whatever is due and returns the earliest of what is left.
 */
#include <errno.h>

#include "model/tcp/tcp_int.h"

static mp_time_t earliest(const struct mp_tcp_conn *c)
{
    mp_time_t t = c->rto_at;
    if (c->delack_at < t)
        t = c->delack_at;
    if (c->persist_at < t)
        t = c->persist_at;
    if (c->ka_at < t)
        t = c->ka_at;
    if (c->tw_at < t)
        t = c->tw_at;
    if (c->rack_at < t)
        t = c->rack_at;
    if (c->tlp_at < t)
        t = c->tlp_at;
    if (c->pace_at < t)
        t = c->pace_at;
    return t;
}

void mp_tcp_timer_update(struct mp_tcp_conn *c)
{
    if (c->dead)
        return;
    mp_time_t t = earliest(c);
    if (t != MP_TIME_NEVER)
        mp_env_deadline(c->st->env, &c->dl, t);
}

void mp_tcp_arm_rto(struct mp_tcp_conn *c, mp_time_t now)
{
    if (mp_rtxq_empty(&c->q)) {
        c->rto_at = MP_TIME_NEVER;
        return;
    }
    if (c->rto_at == MP_TIME_NEVER)
        c->rto_at = now + mp_rtt_rto(&c->rtt);
    mp_tcp_timer_update(c);
}

void mp_tcp_arm_tlp(struct mp_tcp_conn *c, mp_time_t now)
{
    /* Linux tcp_schedule_loss_probe(): SACK on, state Open, and not
     * while cwnd still lets queued data go out. */
    bool ok = c->sack_ok && c->cc_ok && !c->fin_sent &&
              (c->state == MP_TCP_ESTABLISHED || c->state == MP_TCP_CLOSE_WAIT) &&
              mp_rack_tlp_may_arm(&c->rack, &c->q, c->cc.ca_state != MP_CC_OPEN);
    if (ok && mp_sndbuf_unsent(&c->sb, c->snd_nxt) > 0 &&
        (mp_rtxq_in_flight(&c->q) + c->mss - 1) / c->mss < c->cc.cwnd)
        ok = false; /* in segments, as Linux counts packets in flight */
    if (!ok) {
        c->tlp_at = MP_TIME_NEVER;
        return;
    }
    if (c->rto_at == MP_TIME_NEVER)
        c->rto_at = now + mp_rtt_rto(&c->rtt);
    c->tlp_at = mp_rack_tlp_deadline(&c->rtt, &c->q, now, c->rto_at);
    mp_tcp_timer_update(c);
}

static void on_tlp(struct mp_tcp_conn *c, mp_time_t now)
{
    c->tlp_at = MP_TIME_NEVER;
    if (!c->sack_ok || c->cc.ca_state != MP_CC_OPEN || mp_rtxq_empty(&c->q))
        return;
    if (mp_tcp_send_probe(c, now)) {
        /* Linux re-arms the RTO from the probe (tcp_rearm_rto). */
        c->rto_at = now + mp_rtt_rto(&c->rtt);
    }
}

static void on_rto(struct mp_tcp_conn *c, mp_time_t now)
{
    c->rto_at = MP_TIME_NEVER;
    if (mp_rtxq_empty(&c->q))
        return;
    uint32_t limit;
    if (c->state == MP_TCP_SYN_SENT)
        limit = c->o.syn_retries;
    else if (c->state == MP_TCP_SYN_RECEIVED)
        limit = c->o.synack_retries;
    else
        limit = c->o.retries2;
    if (c->retries >= limit) {
        MP_TCP_CTR(c, TCP_ABORT_ON_TIMEOUT);
        if (c->passive && c->state == MP_TCP_SYN_RECEIVED) {
            mp_tcp_done(c, 0, now);
            return;
        }
        /* Linux tcp_write_err(): the last ICMP error, else ETIMEDOUT. */
        mp_tcp_done(c, c->err_soft ? c->err_soft : -ETIMEDOUT, now);
        return;
    }
    c->retries++;
    MP_TCP_CTR(c, TCP_TIMEOUTS);
    mp_rtt_backoff(&c->rtt);
    if (c->cc_ok && c->state != MP_TCP_SYN_SENT && c->state != MP_TCP_SYN_RECEIVED) {
        uint32_t segs = (mp_rtxq_in_flight(&c->q) + c->mss - 1) / c->mss;
        bool new_episode = c->cc.ca_state < MP_CC_RECOVERY || mp_seq_geq(c->snd_una, c->high_seq);
        /* RFC 6298 5.4 / Linux: on a timeout with SACKed data at the head,
         * the receiver may have reneged: forget the marks. */
        struct mp_rtx_seg *h = mp_rtxq_head(&c->q);
        if (h && (h->flags & MP_RTX_SACKED))
            mp_rtxq_clear_sacked(&c->q);
        /* RFC 8985 6.3 with SACK: the head and whatever RACK deems lost;
         * RFC 5681 without: everything outstanding. */
        if (c->sack_ok)
            mp_rack_mark_lost_on_rto(&c->rack, &c->q, &c->rtt, now);
        else
            mp_rtxq_mark_all_lost(&c->q);
        mp_rack_tlp_reset(&c->rack);
        c->tlp_at = c->rack_at = MP_TIME_NEVER;
        if (new_episode) {
            c->undo_valid = true;
            c->undo_marker = c->snd_una;
            c->undo_retrans = 0;
            c->retrans_stamp = MP_TIME_NEVER;
        }
        mp_cc_on_rto(&c->cc, segs, new_episode, now);
        /* Linux tcp_enter_loss: cwnd = packets in flight + 1 once the
         * marks are made. Without SACK everything is lost (cwnd 1); with
         * it RACK leaves recent segments in flight, which must not hold
         * the retransmissions back. */
        uint32_t left = (mp_rtxq_in_flight(&c->q) + c->mss - 1) / c->mss;
        if (left + 1 > c->cc.cwnd)
            c->cc.cwnd = left + 1;
        c->high_seq = c->snd_nxt;
        c->dupacks = 0;
        if (c->ext && c->ext->loss) {
            struct mp_rtx_seg *s = mp_rtxq_head(&c->q);
            c->ext->loss(c->ext_arg, c, s->start, mp_rtx_seg_len(s), &s->meta, now);
        }
    }
    mp_tcp_retransmit_head(c, now);
    /* RFC 6298 5.5/5.6: restart with the doubled RTO. */
    c->rto_at = now + mp_rtt_rto(&c->rtt);
    mp_tcp_output(c, now);
}

mp_time_t mp_tcp_expire(void *obj, mp_time_t now)
{
    struct mp_tcp_conn *c = obj;
    if (c->dead)
        return MP_TIME_NEVER;
    mp_tcp_enter(c);
    if (c->tw_at <= now) {
        c->tw_at = MP_TIME_NEVER;
        mp_tcp_done(c, 0, now);
        goto out;
    }
    if (c->rto_at <= now)
        on_rto(c, now);
    if (c->dead)
        goto out;
    if (c->rack_at <= now)
        mp_tcp_rack_timeout(c, now);
    if (c->dead)
        goto out;
    if (c->tlp_at <= now)
        on_tlp(c, now);
    if (c->dead)
        goto out;
    if (c->delack_at <= now) {
        c->delack_at = MP_TIME_NEVER;
        MP_TCP_CTR(c, TCP_DELAYED_ACKS);
        mp_tcp_delack_missed(c);
        mp_tcp_send_ack(c, now);
    }
    if (c->pace_at <= now) {
        c->pace_at = MP_TIME_NEVER;
        mp_tcp_output(c, now);
    }
    if (c->persist_at <= now) {
        /* Zero-window probe: Linux sends an old sequence number
         * (snd_una - 1), which the receiver must acknowledge with its
         * current window (RFC 9293 3.8.6.1). */
        MP_TCP_CTR(c, TCP_WIN_PROBE);
        mp_tcp_send_ack_seq(c, c->snd_una - 1, now);
        if (c->persist_backoff < 16)
            c->persist_backoff++;
        mp_time_t iv = mp_rtt_rto(&c->rtt) << c->persist_backoff;
        if (iv > MP_S(120))
            iv = MP_S(120);
        c->persist_at = now + iv;
    }
    if (c->ka_at <= now) {
        if (c->ka_probes >= c->o.keepalive_probes) {
            mp_tcp_done(c, -ETIMEDOUT, now);
            goto out;
        }
        c->ka_probes++;
        MP_TCP_CTR(c, TCP_KEEPALIVE);
        mp_tcp_send_ack_seq(c, c->snd_una - 1, now);
        c->ka_at = now + c->o.keepalive_intvl;
    }
out:;
    mp_time_t t = c->dead ? MP_TIME_NEVER : earliest(c);
    mp_tcp_leave(c);
    return t;
}
