/*
 * afmp: TCP segment input (RFC 9293 3.10.7): demux, LISTEN and SYN-SENT
 * processing, then for synchronized states the sequence check with PAWS
 * (RFC 7323 5), RST and SYN with RFC 5961 challenge ACKs, ACK processing
 * (SACK scoreboard, RTT, congestion control, SACK/PRR and NewReno
 * recovery), data (in order, or into reassembly with SACK), and FIN.
 */
#include <errno.h>
#include <string.h>

#include "model/tcp/tcp_int.h"
#include "model/wire/wire.h"

struct seg {
    /* The packet, while the caller still owns it: data_input() may take it
     * (and clear *pkt) to queue its payload for the application. */
    struct mp_pkt **pkt;
    const struct mp_wire_tcp *th;
    struct mp_tcp_optvals ov;
    uint32_t seq, ack, len; /* len: data + SYN + FIN */
    uint16_t flags;
    const uint8_t *data;
    uint32_t dlen;
};

/* RFC 5961 7 / Linux tcp_send_challenge_ack(): the host-wide budget of
 * tcp_challenge_ack_limit per second, drawn at random in [limit / 2,
 * 3 limit / 2) each second so that an attacker cannot count it out.
 * Returns false when it is spent. */
static bool challenge_budget(struct mp_tcp_stack *st, mp_time_t now)
{
    uint32_t limit = st->defaults.challenge_ack_limit;
    if (limit == 0)
        return true;
    uint64_t sec = now / MP_S(1);
    if (sec != st->challenge_second) {
        uint32_t half = (limit + 1) / 2;
        st->challenge_second = sec;
        st->challenge_count = half + mp_rng_below(&st->challenge_rng, limit);
    }
    if (st->challenge_count == 0)
        return false;
    st->challenge_count--;
    return true;
}

/* An acceptable RST's options go to the extension before the connection
 * ends (MPTCP's MP_TCPRST says why). */
static void rst_opts(struct mp_tcp_conn *c, const struct seg *s, mp_time_t now)
{
    if (c->ext && c->ext->input_opts && s->th->opts_len)
        c->ext->input_opts(c->ext_arg, c, s->flags, s->th->opts, s->th->opts_len, now);
}

static void challenge_ack(struct mp_tcp_conn *c, mp_time_t now)
{
    /* RFC 5961 3.2, 4.2. Linux first applies the connection's own limit
     * (one duplicate ACK per tcp_invalid_ratelimit, shared with the
     * answers to other invalid segments; TcpExtTCPACKSkippedChallenge),
     * then the host-wide one, which has no counter. */
    if (c->last_oow_ack != MP_TIME_NEVER && now - c->last_oow_ack < MP_TCP_INVALID_RATELIMIT) {
        MP_TCP_CTR(c, TCP_ACK_SKIPPED_CHALLENGE);
        return;
    }
    c->last_oow_ack = now;
    if (!challenge_budget(c->st, now))
        return;
    MP_TCP_CTR(c, TCP_CHALLENGE_ACK);
    mp_tcp_send_ack(c, now);
}

/* Options the peer's SYN offered, and what both sides agree on. */
static void syn_options(struct mp_tcp_conn *c, const struct seg *s)
{
    c->mss_peer = s->ov.has_mss ? s->ov.mss : MP_TCP_DEFAULT_MSS;
    c->sack_ok = c->o.sack && s->ov.sack_perm;
    c->ts_ok = c->o.timestamps && s->ov.has_ts;
    c->ws_ok = c->o.wscale && s->ov.has_ws;
    c->snd_ws = c->ws_ok ? s->ov.ws : 0;
    if (!c->ws_ok)
        c->rcv_ws = 0;
    if (c->ts_ok)
        c->ts_recent = s->ov.tsval;
}

static void update_wnd(struct mp_tcp_conn *c, const struct seg *s, bool syn)
{
    /* RFC 9293 3.10.7.4: SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and
     * SND.WL2 =< SEG.ACK). */
    if (syn || mp_seq_lt(c->snd_wl1, s->seq) ||
        (c->snd_wl1 == s->seq && mp_seq_leq(c->snd_wl2, s->ack))) {
        c->snd_wnd = syn ? s->th->window : (uint32_t)s->th->window << c->snd_ws;
        c->snd_wl1 = s->seq;
        c->snd_wl2 = s->ack;
        if (c->snd_wnd > c->max_snd_wnd)
            c->max_snd_wnd = c->snd_wnd;
    }
}

static void established(struct mp_tcp_conn *c, mp_time_t now)
{
    mp_tcp_set_state(c, MP_TCP_ESTABLISHED, now);
    c->retries = 0;
    c->quickack = MP_TCP_MAX_QUICKACKS;
    if (c->o.keepalive)
        c->ka_at = now + c->o.keepalive_time;
    if (c->passive && c->listener) {
        mp_tcp_child_established(c, now);
    } else if (c->owned && c->cbs.connected) {
        c->cbs.connected(c->cbs.arg, c, now);
    }
}

/* ---- LISTEN (RFC 9293 3.10.7.2) ---- */

static void listen_input(struct mp_tcp_conn *l, const struct seg *s, const struct mp_ip_meta *m,
                         mp_time_t now)
{
    struct mp_tcp_stack *st = l->st;
    if (s->flags & MP_TCP_RST)
        return;
    if (s->flags & MP_TCP_ACK) {
        mp_tcp_send_rst_reply(st, m, s->th, s->len);
        return;
    }
    if (!(s->flags & MP_TCP_SYN))
        return;
    if (l->nchildren >= l->backlog) {
        mp_ctr_inc(&st->h->ctr, MP_CTR_TCP_LISTEN_OVERFLOWS);
        mp_ctr_inc(&st->h->ctr, MP_CTR_TCP_LISTEN_DROPS);
        return;
    }
    struct mp_tcp_conn *c = mp_tcp_conn_new(st, &l->o);
    c->local.ip = m->dst;
    c->local.port = s->th->dport;
    c->remote.ip = m->src;
    c->remote.port = s->th->sport;
    c->cbs = l->cbs;
    if (mp_tcp_hash(c) < 0) {
        mp_tcp_done(c, 0, now);
        return;
    }
    c->passive = true;
    c->listener = l;
    l->nchildren++;
    struct mp_host_route rt;
    uint32_t hdr = m->src.v == 4 ? 40 : 60;
    if (mp_host_route(st->h, &c->local.ip, &c->remote.ip, 0, &rt) == 0 && rt.mtu > hdr)
        c->mss_clamp = rt.mtu - hdr;
    else
        c->mss_clamp = MP_TCP_DEFAULT_MSS;
    if (c->o.mss)
        c->mss_clamp = c->o.mss;
    c->irs = s->seq;
    c->rcv_nxt = s->seq + 1;
    c->rcv_adv = c->rcv_nxt;
    c->iss = mp_rng_u32(&st->isn_rng);
    c->ts_offset = mp_rng_u32(&st->isn_rng);
    c->snd_una = c->snd_nxt = c->iss;
    mp_rtxq_init(&c->q, c->iss);
    mp_sndbuf_init(&c->sb, c->iss + 1, c->o.sndbuf);
    if (c->o.wscale)
        c->rcv_ws = mp_tcp_rcv_wscale(c);
    syn_options(c, s);
    update_wnd(c, s, true);
    mp_tcp_init_transfer(c, now);
    MP_TCP_CTR(c, TCP_PASSIVE_OPENS);
    mp_tcp_set_state(c, MP_TCP_SYN_RECEIVED, now);
    mp_tcp_enter(c);
    if (l->ext && l->ext->syn_request &&
        l->ext->syn_request(l->ext_arg, l, c, s->th->opts, s->th->opts_len, now) < 0) {
        /* Refused (an MP_JOIN with an unknown token, over the limits):
         * RFC 9293 3.10.7.1's answer to a SYN, with the extension's
         * options (MP_TCPRST). */
        if (!c->dead) {
            mp_tcp_send_rst_syn(c, now);
            mp_tcp_done(c, 0, now);
        }
        mp_tcp_leave(c);
        return;
    }
    /* The window scale was chosen above; send_syn keeps it. */
    mp_rtxq_add(&c->q, c->iss, c->iss + 1, MP_RTX_SYN, NULL, now);
    c->snd_nxt = c->iss + 1;
    mp_tcp_send_syn(c, true, now);
    mp_tcp_leave(c);
}

/* ---- ACK processing ---- */

static uint32_t segs_of(const struct mp_tcp_conn *c, uint32_t bytes)
{
    return (bytes + c->mss - 1) / c->mss;
}

/* Linux tcp_init_undo(): a reduction may prove spurious later. */
static void init_undo(struct mp_tcp_conn *c)
{
    c->undo_valid = true;
    c->undo_marker = c->snd_una;
    c->undo_retrans = 0;
    c->retrans_stamp = MP_TIME_NEVER;
}

static void enter_recovery(struct mp_tcp_conn *c, mp_time_t now)
{
    uint32_t segs = segs_of(c, mp_rtxq_out(&c->q));
    mp_cc_enter_recovery(&c->cc, MP_CC_RECOVERY, segs, now);
    mp_cc_set_state(&c->cc, MP_CC_RECOVERY, now);
    mp_prr_init(&c->prr, c->cc.prior_cwnd, c->cc.ssthresh, 1, MP_PRR_SAFE_ACK);
    c->high_seq = c->snd_nxt;
    c->tlp_at = MP_TIME_NEVER;
    init_undo(c);
    MP_TCP_CTR(c, TCP_FAST_RETRANS);
    if (c->sack_ok)
        MP_TCP_CTR(c, TCP_SACK_RECOVERY);
    else
        MP_TCP_CTR(c, TCP_RENO_RECOVERY);
    if (c->ext && c->ext->loss) {
        struct mp_rtx_seg *s = mp_rtxq_first_lost(&c->q);
        if (s)
            c->ext->loss(c->ext_arg, c, s->start, mp_rtx_seg_len(s), &s->meta, now);
    }
}

/* RFC 8985 6.2 step 5 and the reordering timer. Returns segments marked. */
static uint32_t rack_detect(struct mp_tcp_conn *c, mp_time_t now)
{
    uint32_t n = 0;
    c->rack_at = mp_rack_detect_loss(&c->rack, &c->q, &c->rtt,
                                     c->cc.ca_state >= MP_CC_RECOVERY, now, &n);
    return n;
}

/*
 * Linux tcp_may_undo(): the reduction was spurious when every
 * retransmission of the episode was D-SACKed (RFC 2883 / RFC 3708), or
 * when the ACK echoes a timestamp older than the first retransmission, so
 * the original arrived (Eifel, RFC 3522).
 */
static bool may_undo(const struct mp_tcp_conn *c, const struct seg *s)
{
    if (!c->undo_valid)
        return false;
    if (c->undo_retrans == 0)
        return true;
    if (c->ts_ok && s->ov.has_ts && s->ov.tsecr && c->retrans_stamp != MP_TIME_NEVER) {
        uint32_t stamp = mp_rtt_tsval(c->retrans_stamp, MP_TCP_TS_UNIT, c->ts_offset);
        return mp_seq_lt(s->ov.tsecr, stamp);
    }
    return false;
}

static void undo(struct mp_tcp_conn *c, uint64_t *ctr, mp_time_t now)
{
    if (mp_cc_undo(&c->cc, now))
        (*ctr)++;
    c->undo_valid = false;
    mp_rack_recovery_exit(&c->rack);
    mp_cc_set_state(&c->cc, c->q.sacked_out ? MP_CC_DISORDER : MP_CC_OPEN, now);
}

/* Leaves fast or RTO recovery once high_seq is acknowledged. */
static void recovery_done(struct mp_tcp_conn *c, const struct seg *s, mp_time_t now)
{
    bool loss = c->cc.ca_state == MP_CC_LOSS;
    if (may_undo(c, s)) {
        undo(c, loss ? &c->st->h->ctr.v[MP_CTR_TCP_LOSS_UNDO] : &c->st->h->ctr.v[MP_CTR_TCP_FULL_UNDO], now);
        return;
    }
    c->undo_valid = false;
    mp_rack_recovery_exit(&c->rack);
    if (loss)
        mp_cc_set_state(&c->cc, MP_CC_OPEN, now);
    else
        mp_cc_exit_recovery(&c->cc, now);
}

/* RFC 8985 7.4.2 / Linux tcp_process_tlp_ack(): the probe repaired a
 * loss, so the window is reduced once, as a CWR episode ends. */
static void tlp_repaired(struct mp_tcp_conn *c, mp_time_t now)
{
    mp_ctr_inc(&c->st->h->ctr, MP_CTR_TCP_LOSS_PROBE_RECOVERY);
    if (c->cc.ca_state > MP_CC_DISORDER)
        return;
    mp_cc_enter_recovery(&c->cc, MP_CC_CWR, segs_of(c, mp_rtxq_out(&c->q)), now);
    mp_cc_exit_recovery(&c->cc, now);
}

void mp_tcp_rack_timeout(struct mp_tcp_conn *c, mp_time_t now)
{
    c->rack_at = MP_TIME_NEVER;
    if (!c->sack_ok || !c->cc_ok || mp_rtxq_empty(&c->q))
        return;
    if (rack_detect(c, now) && c->cc.ca_state < MP_CC_RECOVERY && c->q.lost_out)
        enter_recovery(c, now);
    mp_tcp_output(c, now);
}

/* Returns false when the segment must be dropped. */
static bool ack_input(struct mp_tcp_conn *c, const struct seg *s, mp_time_t now)
{
    uint32_t prior_una = c->snd_una;
    uint32_t prior_inflight = mp_rtxq_in_flight(&c->q);
    uint32_t prior_wnd = c->snd_wnd;
    /* RFC 5961 5.2: an ACK older than what the peer could have seen. */
    if (mp_seq_lt(s->ack, c->snd_una - c->max_snd_wnd) ||
        mp_seq_gt(s->ack, c->snd_nxt)) {
        /* RFC 9293 3.10.7.4: SEG.ACK > SND.NXT: send an ACK, drop. */
        mp_tcp_send_ack(c, now);
        return false;
    }
    bool dup = mp_seq_leq(s->ack, c->snd_una);
    struct mp_rtx_ack ra;
    memset(&ra, 0, sizeof(ra));
    if (!mp_rtxq_empty(&c->q)) {
        if (mp_rtxq_ack(&c->q, s->ack, c->sack_ok ? s->ov.sacks : NULL,
                        c->sack_ok ? s->ov.nsacks : 0, mp_rtt_min(&c->rtt), now, &ra) < 0) {
            mp_tcp_send_ack(c, now);
            return false;
        }
    }
    if (ra.dsack) {
        MP_TCP_CTR(c, TCP_DSACK_RECV);
        /* Linux tcp_check_dsack(): a D-SACK for data of this episode
         * below the cumulative ACK undoes one retransmission. */
        if (c->undo_valid && c->undo_retrans &&
            mp_seq_leq(ra.dsack_block.end, prior_una) &&
            mp_seq_gt(ra.dsack_block.end, c->undo_marker)) {
            uint32_t n = segs_of(c, ra.dsack_block.end - ra.dsack_block.start);
            c->undo_retrans -= MIN(MAX(n, 1u), c->undo_retrans);
        }
    }
    if (c->sack_ok)
        mp_rack_on_ack(&c->rack, &ra, c->q.una, c->q.nxt);
    if (mp_seq_gt(s->ack, c->snd_una)) {
        uint32_t acked = s->ack - c->snd_una;
        c->snd_una = s->ack;
        mp_sndbuf_ack(&c->sb, s->ack);
        c->bytes_acked += acked;
        c->sb_shrunk = true;
        c->retries = 0;
        c->dupacks = 0;
        c->rto_at = MP_TIME_NEVER; /* restarted below when data remains */
    }
    update_wnd(c, s, false);

    if (!c->cc_ok)
        return true;
    /* RTT: the cumulative sample (Karn) first, then the echoed timestamp
     * of a segment that advanced snd_una (RFC 7323 4.1). */
    mp_time_t sample = ra.rtt_first;
    if (sample == MP_TIME_NEVER && c->ts_ok && s->ov.has_ts && s->ov.tsecr && !dup)
        sample = mp_rtt_ts_sample(now, s->ov.tsecr, MP_TCP_TS_UNIT, c->ts_offset);
    if (!mp_rtxq_empty(&c->q) || !dup) {
        if (sample != MP_TIME_NEVER && (ra.acked || ra.sacked))
            mp_rtt_sample(&c->rtt, sample, c->snd_una, c->snd_nxt, now);
    }

    /* Loss detection: RACK whenever SACK is on (as Linux), NewReno
     * (RFC 6582) without. */
    bool in_recovery = c->cc.ca_state == MP_CC_RECOVERY;
    bool in_loss = c->cc.ca_state == MP_CC_LOSS;
    /* An ACK older than snd_una only brings SACK blocks (Linux: "old
     * ack"); it is no duplicate. */
    if (dup && s->ack == prior_una && s->dlen == 0 &&
        !(s->flags & (MP_TCP_SYN | MP_TCP_FIN)) && prior_wnd == c->snd_wnd &&
        !mp_rtxq_empty(&c->q))
        c->dupacks++;
    if (c->sack_ok) {
        if (!mp_rtxq_empty(&c->q))
            rack_detect(c, now);
        else
            c->rack_at = MP_TIME_NEVER;
        enum mp_tlp_verdict v =
            mp_rack_tlp_on_ack(&c->rack, s->ack, &ra, dup && s->ov.nsacks == 0);
        if (v == MP_TLP_REPAIRED)
            tlp_repaired(c, now);
    } else if (c->dupacks >= 3 && !in_recovery && !in_loss) {
        struct mp_rtx_seg *h = mp_rtxq_head(&c->q);
        if (h)
            mp_rtxq_mark_lost(&c->q, h);
    } else if (in_recovery && !dup && mp_seq_lt(c->snd_una, c->high_seq)) {
        /* RFC 6582 3.2 step 5: a partial ACK: the next hole is lost. */
        struct mp_rtx_seg *h = mp_rtxq_head(&c->q);
        if (h)
            mp_rtxq_mark_lost(&c->q, h);
    }
    if (!in_recovery && !in_loss && c->q.lost_out) {
        enter_recovery(c, now);
        in_recovery = true;
    } else if (!in_recovery && !in_loss && (c->dupacks || c->q.sacked_out)) {
        if (c->cc.ca_state == MP_CC_OPEN)
            mp_cc_set_state(&c->cc, MP_CC_DISORDER, now);
    }

    uint32_t delivered_segs = segs_of(c, ra.delivered);
    if (in_recovery) {
        if (mp_seq_geq(c->snd_una, c->high_seq)) {
            recovery_done(c, s, now);
        } else if (c->undo_valid && c->undo_retrans == 0 && ra.dsack) {
            /* Linux tcp_try_undo_dsack(): every retransmission so far
             * was needless. */
            undo(c, &c->st->h->ctr.v[MP_CTR_TCP_DSACK_UNDO], now);
        } else {
            uint32_t pipe = segs_of(c, mp_rtxq_in_flight(&c->q));
            bool safe = mp_seq_gt(c->snd_una, prior_una) && !c->q.lost_out;
            uint64_t sndcnt = mp_prr_on_ack(&c->prr, delivered_segs, pipe, safe);
            uint64_t cw = mp_prr_cwnd(pipe, sndcnt);
            c->cc.cwnd = (uint32_t)MAX(cw, 1u);
        }
    } else if (in_loss && mp_seq_geq(c->snd_una, c->high_seq)) {
        recovery_done(c, s, now);
    } else if (c->cc.ca_state == MP_CC_DISORDER && !c->dupacks && !c->q.sacked_out) {
        mp_cc_set_state(&c->cc, MP_CC_OPEN, now);
    }
    if (ra.acked || ra.sacked) {
        struct mp_cc_ack ca = {0};
        ca.acked = ra.acked_segs ? ra.acked_segs : delivered_segs;
        ca.in_flight = segs_of(c, prior_inflight);
        ca.snd_una = c->snd_una;
        ca.snd_nxt = c->snd_nxt;
        ca.rtt = sample == MP_TIME_NEVER ? -1 : (int64_t)sample;
        ca.cwnd_limited = c->cwnd_limited ||
                          (mp_cc_in_slow_start(&c->cc) && ca.in_flight * 2 >= c->cc.cwnd);
        mp_cc_on_ack(&c->cc, &ca, now);
    }
    mp_tcp_update_pacing_rate(c);
    if (!mp_rtxq_empty(&c->q) && c->rto_at == MP_TIME_NEVER)
        c->rto_at = now + mp_rtt_rto(&c->rtt);
    if (mp_rtxq_empty(&c->q))
        c->rto_at = MP_TIME_NEVER;
    /* RFC 8985 7.2: re-arm the probe timer on an ACK of new data. */
    if (mp_seq_gt(c->snd_una, prior_una) || c->cc.ca_state != MP_CC_OPEN)
        mp_tcp_arm_tlp(c, now);
    if (mp_env_tracing(c->st->env, MP_TRACE_TCP))
        mp_tcp_trace_ack(c, now);
    return true;
}

/* ---- data ---- */

/* Queues a copy of |len| bytes for the application. */
static void rcvq_copy(struct mp_tcp_conn *c, const uint8_t *p, size_t len)
{
    struct mp_pkt *q = mp_pkt_alloc(c->st->env->pool, (uint32_t)len);
    memcpy(q->data, p, len);
    mp_pkt_queue_push(&c->rcvq, q);
}

/* Queues in-order payload [data, data + len) of the segment's own packet
 * for the application: the packet itself, cut to it, when the caller still
 * has it (the bytes are copied once, into the reader's buffer, as Linux
 * queues the skb); else a copy. */
static void rcvq_take(struct mp_tcp_conn *c, const struct seg *s, const uint8_t *data,
                      uint32_t len)
{
    struct mp_pkt *p = s->pkt ? *s->pkt : NULL;
    if (!p || data < p->data || data + len > p->data + p->len) {
        rcvq_copy(c, data, len);
        return;
    }
    *s->pkt = NULL;
    p->data = (uint8_t *)(uintptr_t)data;
    p->len = len;
    mp_pkt_queue_push(&c->rcvq, p);
}

static void deliver_fn(void *arg, const uint8_t *p, size_t len)
{
    rcvq_copy(arg, p, len);
}

struct ext_deliver {
    struct mp_tcp_conn *c;
    const struct seg *s;
    uint32_t seq;
    mp_time_t now;
};

static void deliver_ext_fn(void *arg, const uint8_t *p, size_t len)
{
    struct ext_deliver *d = arg;
    d->c->ext->deliver(d->c->ext_arg, d->c, d->seq, p, len, NULL, 0, d->now);
    d->seq += (uint32_t)len;
}

static void fin_input(struct mp_tcp_conn *c, mp_time_t now);

static void data_input(struct mp_tcp_conn *c, const struct seg *s, uint32_t seq,
                       const uint8_t *data, uint32_t dlen, mp_time_t now)
{
    bool use_ext = c->ext && c->ext->deliver;
    mp_tcp_rcv_rtt_measure(c, s->ov.has_ts, s->ov.tsecr, dlen, now);
    if (seq == c->rcv_nxt && mp_reass_empty(&c->rq)) {
        if (use_ext)
            c->ext->deliver(c->ext_arg, c, seq, data, dlen, s->th->opts, s->th->opts_len, now);
        else
            rcvq_take(c, s, data, dlen);
        c->rcv_nxt += dlen;
        c->bytes_received += dlen;
        c->rcv_unacked += dlen;
        mp_tcp_event_data_recv(c, now);
        /* Linux __tcp_ack_snd_check(): more than one full segment
         * unacknowledged, or quick-ack mode: ACK now; else delay by the
         * ATO. */
        if (c->rcv_unacked > c->rcv_mss || c->quickack) {
            c->ack_now = true;
            if (c->quickack)
                c->quickack--;
        } else if (c->delack_at == MP_TIME_NEVER) {
            c->delack_at = now + mp_tcp_delack_timeout(c);
        }
    } else {
        struct mp_reass_result rr;
        if (mp_seq_gt(seq, c->rcv_nxt))
            MP_TCP_CTR(c, TCP_OFO_QUEUE);
        mp_reass_set_limit(&c->rq, mp_tcp_rcv_mem_free(c));
        if (mp_reass_insert(&c->rq, c->rcv_nxt, seq, data, dlen, &rr) < 0)
            MP_TCP_CTR(c, TCP_OFO_DROP);
        size_t n;
        if (use_ext) {
            struct ext_deliver d = {c, s, c->rcv_nxt, now};
            n = mp_reass_pull(&c->rq, c->rcv_nxt, deliver_ext_fn, &d);
        } else {
            n = mp_reass_pull(&c->rq, c->rcv_nxt, deliver_fn, c);
        }
        c->rcv_nxt += (uint32_t)n;
        c->bytes_received += n;
        /* Out of order or filling a hole: ACK at once (RFC 5681 4.2) and
         * stay in quick-ack mode for a while as Linux does. */
        c->ack_now = true;
        c->quickack = MP_TCP_MAX_QUICKACKS;
    }
    if (use_ext && c->copied_seq != c->rcv_nxt) {
        /* The extension took the bytes: they count as read. */
        c->copied_seq = c->rcv_nxt;
        mp_tcp_rcv_space_adjust(c, now);
    }
    if (c->fin_pending && c->rcv_nxt == c->fin_pending_seq)
        fin_input(c, now);
}

static void fin_input(struct mp_tcp_conn *c, mp_time_t now)
{
    c->fin_pending = false;
    c->rcv_nxt++;
    c->fin_rcvd = true;
    c->ack_now = true;
    switch (c->state) {
    case MP_TCP_SYN_RECEIVED:
    case MP_TCP_ESTABLISHED:
        mp_tcp_set_state(c, MP_TCP_CLOSE_WAIT, now);
        break;
    case MP_TCP_FIN_WAIT_1:
        /* Our FIN acknowledged by this segment is handled before: here it
         * is still outstanding, so both sides close at once. */
        mp_tcp_set_state(c, MP_TCP_CLOSING, now);
        break;
    case MP_TCP_FIN_WAIT_2:
        mp_tcp_set_state(c, MP_TCP_TIME_WAIT, now);
        c->tw_at = now + c->o.time_wait;
        c->rto_at = c->delack_at = c->persist_at = c->ka_at = MP_TIME_NEVER;
        break;
    default:
        break;
    }
    mp_tcp_notify_readable(c, now);
}

/* ---- synchronized states (RFC 9293 3.10.7.4) ---- */

static void reset_received(struct mp_tcp_conn *c, mp_time_t now)
{
    switch (c->state) {
    case MP_TCP_SYN_RECEIVED:
        /* Passive: back to LISTEN, i.e. the child just goes away. Active
         * (simultaneous open): connection refused. */
        mp_tcp_done(c, c->passive ? 0 : -ECONNREFUSED, now);
        break;
    case MP_TCP_ESTABLISHED:
    case MP_TCP_FIN_WAIT_1:
    case MP_TCP_FIN_WAIT_2:
    case MP_TCP_CLOSE_WAIT:
        MP_TCP_CTR(c, TCP_ESTAB_RESETS);
        mp_tcp_done(c, c->state == MP_TCP_CLOSE_WAIT ? -EPIPE : -ECONNRESET, now);
        break;
    default:
        mp_tcp_done(c, 0, now);
        break;
    }
}

enum paws_verdict {
    PAWS_ACCEPT,  /* a disordered duplicate ACK: process it */
    PAWS_OLD_ACK, /* a pure ACK from before rcv_nxt: drop silently */
    PAWS_REJECT,  /* drop, count, answer with a duplicate ACK */
};

/*
 * A segment failed PAWS. Linux (tcp_disordered_ack_check) still accepts a
 * pure duplicate ACK at rcv_nxt that changes no window and whose timestamp
 * lies within the replay window (1.2 RTO): reordered ACKs carry SACK
 * information recovery needs. A pure ACK below rcv_nxt is an old ACK,
 * dropped without a duplicate ACK (Linux 6.14, PAWS_ACK).
 */
static enum paws_verdict disordered_ack(const struct mp_tcp_conn *c, const struct seg *s)
{
    if (!(s->flags & MP_TCP_ACK) || s->len != 0)
        return PAWS_REJECT;
    if (s->seq != c->rcv_nxt)
        return mp_seq_lt(s->seq, c->rcv_nxt) ? PAWS_OLD_ACK : PAWS_REJECT;
    if (s->ack != c->snd_una)
        return PAWS_REJECT;
    uint32_t wnd = (uint32_t)s->th->window << c->snd_ws;
    if (mp_seq_gt(s->seq, c->snd_wl1) || (s->seq == c->snd_wl1 && wnd > c->snd_wnd))
        return PAWS_REJECT; /* tcp_may_update_window() */
    uint64_t replay = mp_rtt_rto(&c->rtt) * 1200 / 1000 / MP_TCP_TS_UNIT;
    if ((int64_t)(int32_t)(c->ts_recent - s->ov.tsval) > (int64_t)replay)
        return PAWS_REJECT;
    return PAWS_ACCEPT;
}

/*
 * Linux's tcp_oow_rate_limited(): a duplicate ACK answering an invalid
 * pure ACK goes out at most once per MP_TCP_INVALID_RATELIMIT, so two
 * stacks cannot ping-pong ACKs; data segments are always answered.
 * Returns true (and bumps |*skipped|) when the ACK must not be sent.
 */
static bool oow_rate_limited(struct mp_tcp_conn *c, const struct seg *s, uint64_t *skipped,
                             mp_time_t now)
{
    if (s->dlen || (s->flags & MP_TCP_SYN))
        return false;
    if (c->last_oow_ack != MP_TIME_NEVER && now - c->last_oow_ack < MP_TCP_INVALID_RATELIMIT) {
        (*skipped)++;
        return true;
    }
    c->last_oow_ack = now;
    return false;
}

static void sync_input(struct mp_tcp_conn *c, struct seg *s, mp_time_t now)
{
    bool opts_seen = false;
    uint32_t rcv_wnd = c->rcv_adv - c->rcv_nxt;
    if (mp_seq_lt(c->rcv_adv, c->rcv_nxt))
        rcv_wnd = 0;
    /* RFC 7323 5.3: PAWS, with Linux's one-unit tolerance and its
     * exemption of disordered duplicate ACKs. */
    if (c->ts_ok && s->ov.has_ts && !(s->flags & MP_TCP_RST) &&
        (int32_t)(c->ts_recent - s->ov.tsval) > (int32_t)MP_TCP_PAWS_WINDOW) {
        enum paws_verdict v = disordered_ack(c, s);
        if (v == PAWS_OLD_ACK)
            return; /* old ACKs are common: no counter, no duplicate ACK */
        if (v == PAWS_REJECT) {
            MP_TCP_CTR(c, TCP_PAWS_ESTAB);
            if (!oow_rate_limited(c, s, &c->st->h->ctr.v[MP_CTR_TCP_ACK_SKIPPED_PAWS], now))
                mp_tcp_send_ack(c, now);
            return;
        }
    }
    /* First: sequence number acceptable? */
    if (!mp_seq_acceptable(s->seq, s->len, c->rcv_nxt, rcv_wnd)) {
        if (!(s->flags & MP_TCP_RST)) {
            if (s->dlen && mp_seq_lt(s->seq, c->rcv_nxt))
                mp_reass_set_dsack(&c->rq, s->seq, mp_seq_min(s->seq + s->dlen, c->rcv_nxt));
            if (!oow_rate_limited(c, s, &c->st->h->ctr.v[MP_CTR_TCP_ACK_SKIPPED_SEQ], now))
                mp_tcp_send_ack(c, now);
        }
        return;
    }
    /* Second: RST (RFC 5961 3.2). */
    if (s->flags & MP_TCP_RST) {
        if (s->seq == c->rcv_nxt) {
            rst_opts(c, s, now);
            reset_received(c, now);
        } else
            challenge_ack(c, now);
        return;
    }
    /* Fourth: SYN in a synchronized state (RFC 5961 4.2). */
    if (s->flags & MP_TCP_SYN) {
        if (c->state == MP_TCP_SYN_RECEIVED && s->seq == c->irs) {
            /* A retransmitted SYN: our SYN-ACK was lost. */
            mp_tcp_retransmit_head(c, now);
            return;
        }
        challenge_ack(c, now);
        return;
    }
    /* Fifth: ACK. */
    if (!(s->flags & MP_TCP_ACK))
        return;
    if (c->state == MP_TCP_SYN_RECEIVED) {
        if (!mp_seq_in_closed(s->ack, c->snd_una + 1, c->snd_nxt)) {
            struct mp_ip_meta m = {.src = c->remote.ip, .dst = c->local.ip};
            mp_tcp_send_rst_reply(c->st, &m, s->th, s->len);
            return;
        }
        if (c->ts_ok && s->ov.has_ts)
            c->ts_recent = s->ov.tsval;
        /* Linux: the window of the third ACK is scaled. */
        c->snd_wl1 = s->seq - 1;
        /* The extension checks the third ACK's options first (MPTCP:
         * the peer's key, MP_JOIN's HMAC) and may abort the child. */
        if (c->ext && c->ext->input_opts) {
            c->ext->input_opts(c->ext_arg, c, s->flags, s->th->opts, s->th->opts_len, now);
            if (c->dead)
                return;
            opts_seen = true;
        }
        established(c, now);
        if (c->dead)
            return;
        if (c->wr_shut && !c->fin_sent)
            mp_tcp_set_state(c, MP_TCP_FIN_WAIT_1, now);
    }
    if (!ack_input(c, s, now))
        return;
    /* RFC 7323 4.3: TS.Recent from a segment that covers Last.ACK.sent. */
    if (c->ts_ok && s->ov.has_ts && mp_seq_leq(s->seq, c->last_ack_sent) &&
        mp_seq_geq(s->ov.tsval, c->ts_recent))
        c->ts_recent = s->ov.tsval;
    bool fin_acked = c->fin_sent && mp_seq_gt(c->snd_una, c->fin_seq);
    switch (c->state) {
    case MP_TCP_FIN_WAIT_1:
        if (fin_acked)
            mp_tcp_set_state(c, MP_TCP_FIN_WAIT_2, now);
        break;
    case MP_TCP_CLOSING:
        if (fin_acked) {
            mp_tcp_set_state(c, MP_TCP_TIME_WAIT, now);
            c->tw_at = now + c->o.time_wait;
            c->rto_at = MP_TIME_NEVER;
        }
        break;
    case MP_TCP_LAST_ACK:
        if (fin_acked) {
            mp_tcp_done(c, 0, now);
            return;
        }
        break;
    case MP_TCP_TIME_WAIT:
        if (s->flags & MP_TCP_FIN) {
            /* RFC 9293: the FIN again: acknowledge and restart 2 MSL. */
            c->tw_at = now + c->o.time_wait;
            mp_tcp_send_ack(c, now);
        }
        return;
    default:
        break;
    }
    if (c->dead)
        return;
    /* Even without options: their absence tells MPTCP the peer fell back. */
    if (c->ext && c->ext->input_opts && !opts_seen) {
        c->ext->input_opts(c->ext_arg, c, s->flags, s->th->opts, s->th->opts_len, now);
        if (c->dead) /* the extension reset the connection (MPTCP: MP_TCPRST) */
            return;
    }
    /* Seventh: text. Trim what lies before rcv_nxt or beyond the window. */
    uint32_t seq = s->seq;
    const uint8_t *data = s->data;
    uint32_t dlen = s->dlen;
    bool fin = (s->flags & MP_TCP_FIN) != 0;
    if (dlen && mp_seq_lt(seq, c->rcv_nxt)) {
        uint32_t cut = MIN(c->rcv_nxt - seq, dlen);
        mp_reass_set_dsack(&c->rq, seq, seq + cut);
        seq += cut;
        data += cut;
        dlen -= cut;
        c->ack_now = true;
    }
    if (dlen && mp_seq_gt(seq + dlen, c->rcv_nxt + rcv_wnd)) {
        dlen = c->rcv_nxt + rcv_wnd - seq;
        fin = false;
    }
    bool recv_ok = c->state == MP_TCP_ESTABLISHED || c->state == MP_TCP_FIN_WAIT_1 ||
                   c->state == MP_TCP_FIN_WAIT_2;
    /* Linux (tcp_rcv_state_process): new data for a connection its owner
     * has closed can never be read; the peer learns at once with a RST
     * (so its next send fails with EPIPE). */
    if (dlen && !c->owned && !c->fin_rcvd &&
        (c->state == MP_TCP_FIN_WAIT_1 || c->state == MP_TCP_FIN_WAIT_2) &&
        mp_seq_gt(seq + dlen, c->rcv_nxt)) {
        MP_TCP_CTR(c, TCP_ABORT_ON_DATA);
        mp_tcp_abort(c, now);
        return;
    }
    size_t before = mp_tcp_readable(c);
    if (dlen && recv_ok && !c->fin_rcvd) {
        data_input(c, s, seq, data, dlen, now);
        c->last_rcv = now;
    }
    if (c->dead)
        return;
    /* Eighth: FIN. */
    if (fin && !c->fin_rcvd && recv_ok) {
        uint32_t fseq = seq + dlen;
        if (fseq == c->rcv_nxt) {
            fin_input(c, now);
        } else if (mp_seq_gt(fseq, c->rcv_nxt)) {
            c->fin_pending = true;
            c->fin_pending_seq = fseq;
            c->ack_now = true;
        }
    }
    if (c->dead)
        return;
    if (mp_tcp_readable(c) > before)
        mp_tcp_notify_readable(c, now);
}

/* ---- SYN-SENT (RFC 9293 3.10.7.3) ---- */

static void syn_sent_input(struct mp_tcp_conn *c, struct seg *s, const struct mp_ip_meta *m,
                           mp_time_t now)
{
    bool ack_ok = false;
    if (s->flags & MP_TCP_ACK) {
        if (mp_seq_leq(s->ack, c->iss) || mp_seq_gt(s->ack, c->snd_nxt)) {
            if (!(s->flags & MP_TCP_RST))
                mp_tcp_send_rst_reply(c->st, m, s->th, s->len);
            return;
        }
        ack_ok = true;
    }
    if (s->flags & MP_TCP_RST) {
        if (ack_ok) {
            rst_opts(c, s, now);
            mp_tcp_done(c, -ECONNREFUSED, now);
        }
        return;
    }
    if (!(s->flags & MP_TCP_SYN))
        return;
    c->irs = s->seq;
    c->rcv_nxt = s->seq + 1;
    c->rcv_adv = c->rcv_nxt;
    syn_options(c, s);
    update_wnd(c, s, true);
    mp_tcp_init_transfer(c, now);
    if (c->ext && c->ext->input_opts) {
        /* The extension may refuse the SYN-ACK (MP_JOIN's HMAC). */
        c->ext->input_opts(c->ext_arg, c, s->flags, s->th->opts, s->th->opts_len, now);
        if (c->dead)
            return;
    }
    if (ack_ok) {
        struct mp_rtx_ack ra;
        mp_rtxq_ack(&c->q, s->ack, NULL, 0, 0, now, &ra);
        if (ra.rtt_first != MP_TIME_NEVER)
            mp_rtt_sample(&c->rtt, ra.rtt_first, s->ack, c->snd_nxt, now);
        c->snd_una = s->ack;
        c->rto_at = MP_TIME_NEVER;
        established(c, now);
        if (c->dead)
            return;
        if (c->wr_shut)
            mp_tcp_set_state(c, MP_TCP_FIN_WAIT_1, now);
        /* Linux acknowledges the SYN-ACK at once (quick-ack). */
        c->ack_now = true;
    } else {
        /* Simultaneous open: SYN-ACK with our ISN. */
        mp_tcp_set_state(c, MP_TCP_SYN_RECEIVED, now);
        c->rto_at = MP_TIME_NEVER;
        mp_tcp_send_syn(c, true, now);
    }
}

/* ---- entry ---- */

void mp_tcp_input(void *arg, struct mp_host *h, struct mp_pkt *pkt, const struct mp_ip_meta *m)
{
    struct mp_tcp_stack *st = arg;
    mp_time_t now = mp_env_now(st->env);
    const uint8_t *l4 = pkt->data + m->l4_off;
    struct mp_wire_tcp th;
    struct seg s;
    memset(&s, 0, sizeof(s));
    s.pkt = &pkt;
    mp_ctr_inc(&h->ctr, MP_CTR_TCP_IN_SEGS);
    if (mp_wire_tcp_parse(l4, m->l4_len, &th) < 0)
        goto bad;
    if ((pkt->flags & MP_PKT_CSUM_UNTRUSTED) &&
        mp_wire_csum_l4(&m->src, &m->dst, MP_IPPROTO_TCP, l4, m->l4_len) != 0) {
        mp_ctr_inc(&h->ctr, MP_CTR_TCP_IN_CSUM_ERRORS);
        goto bad;
    }
    s.th = &th;
    s.flags = th.flags;
    if (mp_tcp_opt_parse(th.opts, th.opts_len, (th.flags & MP_TCP_SYN) != 0, &s.ov) < 0)
        goto bad;
    s.seq = th.seq;
    s.ack = th.ack;
    s.data = th.payload;
    s.dlen = (uint32_t)th.payload_len;
    s.len = s.dlen + ((th.flags & MP_TCP_SYN) ? 1 : 0) + ((th.flags & MP_TCP_FIN) ? 1 : 0);
    if (s.flags & MP_TCP_SYN) {
        /* SYN data is not kept (no TFO): the peer resends it. */
        s.seq = th.seq;
    }
    struct mp_tcp_conn *c = mp_tcp_lookup(st, &m->dst, th.dport, &m->src, th.sport);
    if (!c) {
        /* RFC 9293 3.10.7.1: CLOSED. */
        if (!(th.flags & MP_TCP_RST))
            mp_tcp_send_rst_reply(st, m, &th, s.len);
        goto out;
    }
    mp_tcp_enter(c);
    if (c->state == MP_TCP_LISTEN) {
        listen_input(c, &s, m, now);
    } else if (c->state == MP_TCP_SYN_SENT) {
        syn_sent_input(c, &s, m, now);
    } else {
        if (s.flags & MP_TCP_SYN) {
            /* Past the SYN: its sequence number counts, its data does not. */
            s.seq = th.seq;
        }
        sync_input(c, &s, now);
        if (!c->dead && c->o.keepalive && c->state == MP_TCP_ESTABLISHED) {
            c->ka_at = now + c->o.keepalive_time;
            c->ka_probes = 0;
        }
    }
    if (!c->dead && c->state != MP_TCP_LISTEN) {
        mp_tcp_output(c, now);
        /* Linux tcp_data_snd_check(): push, then see to the send buffer
         * and the writer, who may queue more at once. */
        if (c->sb_shrunk && !c->dead) {
            size_t before = mp_sndbuf_bytes(&c->sb);
            mp_tcp_check_space(c, now);
            if (!c->dead && mp_sndbuf_bytes(&c->sb) != before)
                mp_tcp_output(c, now);
        }
    }
    mp_tcp_leave(c);
    goto out;
bad:
    mp_ctr_inc(&h->ctr, MP_CTR_TCP_IN_ERRS);
out:
    mp_pkt_free(pkt); /* NULL when data_input() queued it */
}

/* ---- ICMP errors (RFC 9293 3.9.4, RFC 1191 / RFC 8201, Linux tcp_v4_err) ---- */

void mp_tcp_icmp_error(void *arg, struct mp_host *h, const struct mp_ip_error *e)
{
    struct mp_tcp_stack *st = arg;
    mp_time_t now = mp_env_now(st->env);
    if (e->l4_len < 8)
        return;
    uint16_t sport = mp_wire_get16(e->l4), dport = mp_wire_get16(e->l4 + 2);
    uint32_t seq = mp_wire_get32(e->l4 + 4);
    struct mp_tcp_conn *c = mp_tcp_lookup(st, &e->src, sport, &e->dst, dport);
    if (!c || c->state == MP_TCP_LISTEN || c->state == MP_TCP_TIME_WAIT)
        return;
    /* RFC 5927 4.1 / Linux: only an error quoting a sequence number in
     * flight is believed. */
    if (!mp_seq_in_closed(seq, c->snd_una, c->snd_nxt))
        return;
    mp_tcp_enter(c);
    bool too_big = (e->v == 4 && e->type == 3 && e->code == 4) || (e->v == 6 && e->type == 2);
    if (too_big) {
        /* Path MTU discovery: lower the MSS and resend at once what no
         * longer fits (Linux tcp_simple_retransmit()). */
        uint32_t hdr = c->remote.ip.v == 4 ? 40 : 60;
        uint32_t min_mtu = c->remote.ip.v == 4 ? 576 : 1280; /* RFC 791, RFC 8200 */
        uint32_t mtu = MAX(e->info, min_mtu);
        if (mtu > hdr && mtu - hdr < c->mss && c->state != MP_TCP_SYN_SENT) {
            c->mss = mtu - hdr;
            c->mss_clamp = MIN(c->mss_clamp, c->mss);
            if (c->cc_ok)
                c->cc.mss = c->mss;
            uint32_t marked = 0;
            for (struct mp_rtx_seg *s = mp_rtxq_head(&c->q); s; s = s->next)
                if (mp_rtx_seg_len(s) > c->mss - (c->ts_ok ? MP_TCP_OLEN_TS_ALIGNED : 0) &&
                    mp_rtxq_mark_lost(&c->q, s))
                    marked++;
            if (marked)
                mp_tcp_output(c, now);
        }
        mp_tcp_leave(c);
        return;
    }
    int err = e->err ? -e->err : -EHOSTUNREACH;
    if (c->state == MP_TCP_SYN_SENT || c->state == MP_TCP_SYN_RECEIVED) {
        /* Linux: a hard error while connecting (connect() fails with it);
         * a passive child just goes away. */
        mp_tcp_done(c, c->passive ? 0 : err, now);
    } else {
        /* Soft error: kept, reported if the connection times out. */
        c->err_soft = err;
    }
    mp_tcp_leave(c);
}
