/*
 * afmp: TCP segment output: options within the 40-byte budget (the
 * extension's claim first, then timestamps, then as many SACK blocks as fit),
 * the window to advertise (scaled, never shrinking), new data from the send
 * buffer or pulled from the extension, retransmissions, Nagle, RSTs.
 */
#include <errno.h>
#include <string.h>

#include "model/tcp/tcp_int.h"

static uint32_t round4(uint32_t n)
{
    return (n + 3u) & ~3u;
}

/* RFC 7323 2.3 / RFC 9293 3.8.6.2.2: never move the right edge left. */
uint32_t mp_tcp_window_to_advertise(struct mp_tcp_conn *c)
{
    uint64_t space = c->ext && c->ext->rcv_wnd ? c->ext->rcv_wnd(c->ext_arg, c) : mp_tcp_rcv_space(c);
    uint64_t max = (uint64_t)65535 << c->rcv_ws;
    if (space > max)
        space = max;
    /* Receiver SWS avoidance (RFC 9293 3.8.6.2.2): do not offer a sliver. */
    if (space < c->mss && space < mp_tcp_rcv_full_space(c) / 2)
        space = 0;
    space &= ~(uint64_t)((1u << c->rcv_ws) - 1);
    uint32_t cur = mp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    if (space < cur)
        space = cur;
    return (uint32_t)space;
}

static uint32_t tsval(const struct mp_tcp_conn *c, mp_time_t now)
{
    return mp_rtt_tsval(now, MP_TCP_TS_UNIT, c->ts_offset);
}

static uint32_t ext_claim(struct mp_tcp_conn *c, uint32_t segflags)
{
    if (!c->ext || !c->ext->opt_space)
        return 0;
    uint32_t n = round4(c->ext->opt_space(c->ext_arg, c, segflags));
    return n > MP_WIRE_TCP_MAX_OPTS ? MP_WIRE_TCP_MAX_OPTS : n;
}

/* Options of a synchronized segment other than SACK: extension + TS. */
static uint32_t fixed_opts_len(struct mp_tcp_conn *c, uint32_t segflags)
{
    uint32_t n = ext_claim(c, segflags);
    if (c->ts_ok && n + MP_TCP_OLEN_TS_ALIGNED <= MP_WIRE_TCP_MAX_OPTS)
        n += MP_TCP_OLEN_TS_ALIGNED;
    return n;
}

/* SACK blocks to send now and their count, within |room| bytes. */
static size_t sack_blocks(struct mp_tcp_conn *c, uint32_t room, struct mp_sack_block *b)
{
    if (!c->sack_ok || room < MP_TCP_OLEN_SACK_BASE + MP_TCP_OLEN_SACK_BLOCK)
        return 0;
    if (mp_reass_empty(&c->rq) && !c->rq.has_dsack)
        return 0;
    size_t max = (room - MP_TCP_OLEN_SACK_BASE) / MP_TCP_OLEN_SACK_BLOCK;
    if (max > MP_SACK_MAX_BLOCKS)
        max = MP_SACK_MAX_BLOCKS;
    return mp_reass_sack(&c->rq, c->rcv_nxt, b, max);
}

/* Payload room of a data segment now: the MSS less this segment's options
 * (RFC 6691: the MSS option excludes options, so the sender subtracts them). */
static uint32_t data_mss(struct mp_tcp_conn *c, uint32_t segflags)
{
    uint32_t olen = fixed_opts_len(c, segflags);
    struct mp_sack_block b[MP_SACK_MAX_BLOCKS];
    size_t n = sack_blocks(c, MP_WIRE_TCP_MAX_OPTS - olen, b);
    if (n)
        olen += MP_TCP_OLEN_SACK_BASE + (uint32_t)n * MP_TCP_OLEN_SACK_BLOCK;
    /* Linux's mss_cache already excludes the timestamps of every segment. */
    return c->mss > olen ? c->mss - olen : 1;
}

bool mp_tcp_can_send_segment(struct mp_tcp_conn *c)
{
    if (!mp_tcp_can_send(c) || mp_rtxq_first_lost(&c->q))
        return false;
    return mp_rtxq_in_flight(&c->q) + data_mss(c, MP_TCP_SEG_DATA) <= mp_cc_cwnd_bytes(&c->cc);
}

static void after_ack_sent(struct mp_tcp_conn *c, uint32_t wnd)
{
    c->ack_now = false;
    c->rcv_unacked = 0;
    c->delack_at = MP_TIME_NEVER;
    c->last_ack_sent = c->rcv_nxt;
    c->rcv_adv = c->rcv_nxt + wnd;
}

/*
 * Builds and sends one segment: |flags| (MP_TCP_*), sequence |seq|, |dlen|
 * bytes from the send buffer at |seq| (or |data| when not NULL), options by
 * the connection's state.
 */
static void xmit(struct mp_tcp_conn *c, uint16_t flags, uint32_t seq, uint32_t dlen,
                 const uint8_t *data, const union mp_rtx_meta *meta, uint32_t segflags,
                 mp_time_t now)
{
    uint8_t opts[MP_WIRE_TCP_MAX_OPTS];
    uint32_t olen = 0;
    uint32_t claim = ext_claim(c, segflags);
    bool syn = (flags & MP_TCP_SYN) != 0;
    int n;
    if (syn) {
        n = mp_tcp_opt_put_mss(opts, sizeof(opts), (uint16_t)MIN(c->mss_clamp, 65535u));
        olen += (uint32_t)n;
        bool ts = c->o.timestamps && (!(flags & MP_TCP_ACK) || c->ts_ok);
        bool sack = c->o.sack && (!(flags & MP_TCP_ACK) || c->sack_ok);
        bool ws = c->o.wscale && (!(flags & MP_TCP_ACK) || c->ws_ok);
        if (sack)
            n = mp_tcp_opt_put_sackperm_ts(opts + olen, sizeof(opts) - olen, ts, tsval(c, now),
                                           c->ts_recent);
        else if (ts)
            n = mp_tcp_opt_put_ts(opts + olen, sizeof(opts) - olen, tsval(c, now), c->ts_recent);
        else
            n = 0;
        olen += (uint32_t)(n > 0 ? n : 0);
        if (ws) {
            n = mp_tcp_opt_put_ws(opts + olen, sizeof(opts) - olen, c->rcv_ws);
            olen += (uint32_t)(n > 0 ? n : 0);
        }
        if (olen + claim > MP_WIRE_TCP_MAX_OPTS)
            claim = MP_WIRE_TCP_MAX_OPTS - olen;
    } else if (!(flags & MP_TCP_RST) || c->ts_ok) {
        if (c->ts_ok && claim + MP_TCP_OLEN_TS_ALIGNED <= MP_WIRE_TCP_MAX_OPTS) {
            n = mp_tcp_opt_put_ts(opts, sizeof(opts), tsval(c, now), c->ts_recent);
            olen += (uint32_t)n;
        }
        struct mp_sack_block b[MP_SACK_MAX_BLOCKS];
        size_t nb = (flags & MP_TCP_RST) ? 0 : sack_blocks(c, MP_WIRE_TCP_MAX_OPTS - olen - claim, b);
        if (nb) {
            n = mp_tcp_opt_put_sack(opts + olen, sizeof(opts) - olen, b, nb);
            if (n > 0) {
                olen += (uint32_t)n;
                if (c->rq.has_dsack) {
                    MP_TCP_CTR(c, TCP_DSACK_OLD_SENT);
                    mp_reass_dsack_clear(&c->rq); /* RFC 2883 4: reported once */
                }
            }
        }
    }
    if (claim && c->ext && c->ext->write_opts) {
        struct mp_tcp_seg_info si = {.flags = segflags, .seq = seq, .len = dlen, .meta = meta};
        size_t w = c->ext->write_opts(c->ext_arg, c, &si, opts + olen, claim);
        if (w > claim)
            w = claim;
        memset(opts + olen + w, MP_TCPOPT_NOP, claim - w);
        olen += claim;
    }

    uint32_t wnd = 0;
    struct mp_wire_tcp th = {0};
    th.sport = c->local.port;
    th.dport = c->remote.port;
    th.seq = seq;
    th.flags = flags;
    if (flags & MP_TCP_ACK) {
        th.ack = c->rcv_nxt;
        wnd = mp_tcp_window_to_advertise(c);
        /* RFC 7323 2.2: the window of a SYN is never scaled. */
        th.window = syn ? (uint16_t)MIN(wnd, 65535u) : (uint16_t)MIN(wnd >> c->rcv_ws, 65535u);
        if (syn)
            wnd = th.window;
    } else if (syn) {
        wnd = mp_tcp_window_to_advertise(c);
        th.window = (uint16_t)MIN(wnd, 65535u);
    }
    th.opts = opts;
    th.opts_len = olen;
    uint32_t hl = MP_WIRE_TCP_HLEN + olen;
    struct mp_pkt *pkt = mp_pkt_alloc(c->st->env->pool, hl + dlen);
    if (mp_wire_tcp_emit(pkt->data, hl, &th) < 0) {
        mp_pkt_free(pkt);
        return;
    }
    if (dlen) {
        if (data)
            memcpy(pkt->data + hl, data, dlen);
        else if (mp_sndbuf_peek(&c->sb, seq, pkt->data + hl, dlen) < 0)
            memset(pkt->data + hl, 0, dlen);
    }
    MP_TCP_CTR(c, TCP_OUT_SEGS);
    if (flags & MP_TCP_RST)
        MP_TCP_CTR(c, TCP_OUT_RSTS);
    if (flags & MP_TCP_ACK)
        after_ack_sent(c, wnd);
    mp_host_ip_send(c->st->h, pkt, &c->local.ip, &c->remote.ip, MP_IPPROTO_TCP, NULL, 0);
}

void mp_tcp_send_syn(struct mp_tcp_conn *c, bool retrans, mp_time_t now)
{
    bool synack = c->state == MP_TCP_SYN_RECEIVED;
    if (!retrans) {
        if (c->o.wscale)
            c->rcv_ws = mp_tcp_rcv_wscale(c);
        mp_rtxq_add(&c->q, c->iss, c->iss + 1, MP_RTX_SYN, NULL, now);
        c->snd_nxt = c->iss + 1;
    }
    if (synack && !c->ws_ok)
        c->rcv_ws = 0;
    uint32_t sf = synack ? MP_TCP_SEG_SYNACK : MP_TCP_SEG_SYN;
    if (retrans)
        sf |= MP_TCP_SEG_RETRANS;
    xmit(c, (uint16_t)(MP_TCP_SYN | (synack ? MP_TCP_ACK : 0)), c->iss, 0, NULL, NULL, sf, now);
    mp_tcp_arm_rto(c, now);
}

void mp_tcp_send_ack(struct mp_tcp_conn *c, mp_time_t now)
{
    mp_tcp_send_ack_seq(c, c->snd_nxt, now);
}

void mp_tcp_send_ack_seq(struct mp_tcp_conn *c, uint32_t seq, mp_time_t now)
{
    if (c->state == MP_TCP_CLOSED || c->state == MP_TCP_LISTEN || c->state == MP_TCP_SYN_SENT)
        return;
    xmit(c, MP_TCP_ACK, seq, 0, NULL, NULL, 0, now);
}

void mp_tcp_send_rst(struct mp_tcp_conn *c, mp_time_t now)
{
    xmit(c, MP_TCP_RST | MP_TCP_ACK, c->snd_nxt, 0, NULL, NULL, MP_TCP_SEG_RST, now);
}

void mp_tcp_send_rst_syn(struct mp_tcp_conn *c, mp_time_t now)
{
    xmit(c, MP_TCP_RST | MP_TCP_ACK, 0, 0, NULL, NULL, MP_TCP_SEG_RST, now);
}

void mp_tcp_send_rst_reply(struct mp_tcp_stack *st, const struct mp_ip_meta *m,
                           const struct mp_wire_tcp *th, uint32_t seglen)
{
    struct mp_wire_tcp r = {0};
    r.sport = th->dport;
    r.dport = th->sport;
    /* RFC 9293 3.10.7.1: <SEQ=SEG.ACK><CTL=RST> if the ACK bit is on,
     * else <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. */
    if (th->flags & MP_TCP_ACK) {
        r.seq = th->ack;
        r.flags = MP_TCP_RST;
    } else {
        r.seq = 0;
        r.ack = th->seq + seglen;
        r.flags = MP_TCP_RST | MP_TCP_ACK;
    }
    struct mp_pkt *pkt = mp_pkt_alloc(st->env->pool, MP_WIRE_TCP_HLEN);
    if (mp_wire_tcp_emit(pkt->data, MP_WIRE_TCP_HLEN, &r) < 0) {
        mp_pkt_free(pkt);
        return;
    }
    mp_ctr_inc(&st->h->ctr, MP_CTR_TCP_OUT_SEGS);
    mp_ctr_inc(&st->h->ctr, MP_CTR_TCP_OUT_RSTS);
    mp_host_ip_send(st->h, pkt, &m->dst, &m->src, MP_IPPROTO_TCP, NULL, 0);
}

/* Retransmits |seg| (split to one segment's worth first). */
static void rexmit(struct mp_tcp_conn *c, struct mp_rtx_seg *seg, mp_time_t now)
{
    if (seg->flags & MP_RTX_SYN) {
        mp_tcp_send_syn(c, true, now);
        mp_rtxq_retransmitted(&c->q, seg, now);
        MP_TCP_CTR(c, TCP_RETRANS_SEGS);
        c->retrans_segs++;
        return;
    }
    uint32_t eff = data_mss(c, MP_TCP_SEG_DATA | MP_TCP_SEG_RETRANS);
    uint32_t fin = (seg->flags & MP_RTX_FIN) ? 1 : 0;
    uint32_t dlen = mp_rtx_seg_len(seg) - fin;
    if (dlen > eff) {
        mp_rtxq_split(&c->q, seg, seg->start + eff);
        fin = 0;
        dlen = eff;
    }
    uint16_t flags = MP_TCP_ACK | (fin ? MP_TCP_FIN : 0) | (dlen ? MP_TCP_PSH : 0);
    uint32_t sf = MP_TCP_SEG_RETRANS | (dlen ? MP_TCP_SEG_DATA : 0) | (fin ? MP_TCP_SEG_FIN : 0);
    union mp_rtx_meta meta = seg->meta;
    xmit(c, flags, seg->start, dlen, NULL, &meta, sf, now);
    mp_rtxq_retransmitted(&c->q, seg, now);
    MP_TCP_CTR(c, TCP_RETRANS_SEGS);
    c->retrans_segs++;
    if (c->undo_valid) {
        c->undo_retrans++;
        if (c->retrans_stamp == MP_TIME_NEVER)
            c->retrans_stamp = now;
    }
    if (c->cc.ca_state == MP_CC_RECOVERY)
        mp_prr_on_send(&c->prr, 1);
}

void mp_tcp_retransmit_head(struct mp_tcp_conn *c, mp_time_t now)
{
    struct mp_rtx_seg *seg = mp_rtxq_head(&c->q);
    if (seg)
        rexmit(c, seg, now);
}

static bool can_send_data(enum mp_tcp_state s)
{
    return s == MP_TCP_ESTABLISHED || s == MP_TCP_CLOSE_WAIT || s == MP_TCP_FIN_WAIT_1 ||
           s == MP_TCP_CLOSING || s == MP_TCP_LAST_ACK;
}

static void output(struct mp_tcp_conn *c, bool probe, mp_time_t now);

void mp_tcp_output(struct mp_tcp_conn *c, mp_time_t now)
{
    output(c, false, now);
}

bool mp_tcp_send_probe(struct mp_tcp_conn *c, mp_time_t now)
{
    if (c->dead || !can_send_data(c->state) || !c->cc_ok || mp_rtxq_empty(&c->q))
        return false;
    uint32_t wnd_end = c->snd_una + c->snd_wnd;
    size_t unsent = c->fin_sent ? 0 : mp_sndbuf_unsent(&c->sb, c->snd_nxt);
    /* With an extension, new data is what it would give (it is pulled). */
    bool pull = unsent == 0 && !c->fin_sent && !c->wr_shut && c->ext && c->ext->pull;
    bool new_ok = (unsent > 0 || pull) && mp_seq_gt(wnd_end, c->snd_nxt) &&
                  wnd_end - c->snd_nxt >= (pull ? c->mss : MIN(unsent, (size_t)c->mss));
    struct mp_rtx_seg *seg = NULL;
    uint32_t before = c->snd_nxt;
    enum mp_tlp_probe k = mp_rack_tlp_choose(&c->q, new_ok, data_mss(c, MP_TCP_SEG_DATA), &seg);
    if (k == MP_TLP_NEW) {
        output(c, true, now);
        /* RFC 8985 7.3: without new data, the last segment sent again;
         * an extension may have had nothing to give after all. */
        if (c->snd_nxt == before && !pull)
            return false;
        if (c->snd_nxt == before)
            k = mp_rack_tlp_choose(&c->q, false, data_mss(c, MP_TCP_SEG_DATA), &seg);
    }
    if (k == MP_TLP_RETRANS)
        rexmit(c, seg, now);
    else if (k != MP_TLP_NEW)
        return false;
    MP_TCP_CTR(c, TCP_LOSS_PROBES);
    mp_rack_tlp_sent(&c->rack, c->snd_nxt, k == MP_TLP_RETRANS);
    return true;
}

/* |probe|: RFC 8985 7.3, one segment of new data whatever cwnd says. */
static void output(struct mp_tcp_conn *c, bool probe, mp_time_t now)
{
    if (c->dead)
        return;
    if (!can_send_data(c->state) || !c->cc_ok) {
        if (c->ack_now)
            mp_tcp_send_ack(c, now);
        mp_tcp_timer_update(c);
        return;
    }
    uint8_t *pullbuf = NULL;
    bool sent_any = false;
    c->cwnd_limited = false;
    for (int guard = 0; guard < 100000; guard++) {
        uint64_t cwnd_bytes = mp_cc_cwnd_bytes(&c->cc);
        uint32_t inflight = mp_rtxq_in_flight(&c->q);
        /* Lost segments first (RFC 6675 NextSeg rule 1). */
        struct mp_rtx_seg *lost = probe ? NULL : mp_rtxq_first_lost(&c->q);
        if (probe)
            cwnd_bytes = UINT64_MAX;
        if (lost) {
            if (inflight + MIN(mp_rtx_seg_len(lost), c->mss) > cwnd_bytes && inflight > 0) {
                c->cwnd_limited = true;
                break;
            }
            /* Linux paces retransmissions too (tcp_pacing_check). */
            if (mp_tcp_pacing_wait(c, now))
                break;
            rexmit(c, lost, now);
            mp_tcp_pacing_sent(c, MIN(mp_rtx_seg_len(lost), c->mss), now);
            sent_any = true;
            continue;
        }
        /* Pacing holds data (not pure ACKs or the FIN alone) until its
         * departure time; the deadline timer brings the connection back.
         * A tail loss probe is not held. */
        if (!probe && c->o.pacing && !c->fin_sent &&
            (mp_sndbuf_unsent(&c->sb, c->snd_nxt) > 0 || (c->ext && c->ext->pull && !c->wr_shut)) &&
            mp_tcp_pacing_wait(c, now))
            break;
        uint32_t eff = data_mss(c, MP_TCP_SEG_DATA);
        uint32_t wnd_end = c->snd_una + c->snd_wnd;
        uint32_t wnd_room = mp_seq_gt(wnd_end, c->snd_nxt) ? wnd_end - c->snd_nxt : 0;
        size_t unsent = c->fin_sent ? 0 : mp_sndbuf_unsent(&c->sb, c->snd_nxt);
        const uint8_t *data = NULL;
        bool pulled = false;
        union mp_rtx_meta meta;
        memset(&meta, 0, sizeof(meta));
        uint32_t len = (uint32_t)MIN(unsent, (size_t)MIN(eff, wnd_room));
        if (unsent == 0 && !c->wr_shut && c->ext && c->ext->pull && wnd_room > 0 &&
            inflight + eff <= cwnd_bytes) {
            uint32_t max = MIN(eff, wnd_room);
            max = (uint32_t)MIN((size_t)max, mp_sndbuf_space(&c->sb));
            if (max > 0) {
                /* Straight into the send buffer, which keeps the bytes for
                 * retransmission, when its last block has the room; else
                 * through a scratch buffer. */
                uint8_t *dst = mp_sndbuf_reserve(&c->sb, max);
                if (!dst && !pullbuf) {
                    struct mp_tcp_stack *st = c->st;
                    uint32_t need = c->mss + 64; /* every segment of this call */
                    if (!st->scratch_busy) {
                        if (st->scratch_cap < need) {
                            g_free(st->scratch);
                            st->scratch_cap = need;
                            st->scratch = g_malloc(need);
                        }
                        st->scratch_busy = true;
                        pullbuf = st->scratch;
                    } else {
                        pullbuf = g_malloc(need);
                    }
                }
                size_t got = c->ext->pull(c->ext_arg, c, dst ? dst : pullbuf, max, &meta, now);
                if (got > max)
                    got = max;
                if (got) {
                    if (dst)
                        mp_sndbuf_commit(&c->sb, got);
                    else
                        mp_sndbuf_append(&c->sb, pullbuf, got);
                    unsent = got;
                    len = (uint32_t)got;
                    data = dst ? NULL : pullbuf;
                    pulled = true;
                }
            }
        }
        bool fin = c->wr_shut && !c->fin_sent && unsent == len;
        if (len == 0 && !fin)
            break;
        if (len > 0 && inflight + len > cwnd_bytes) {
            c->cwnd_limited = true;
            break;
        }
        /* Nagle (RFC 9293 3.7.4): a small segment waits while data is
         * unacknowledged; so does one cut short by the peer's window. */
        if (len > 0 && len < eff && !fin && mp_rtxq_out(&c->q) > 0 && !pulled && !probe &&
            (c->o.nagle || len < unsent))
            break;
        uint16_t flags = MP_TCP_ACK | (fin ? MP_TCP_FIN : 0);
        if (len && (fin || len == unsent))
            flags |= MP_TCP_PSH;
        uint32_t sf = (len ? MP_TCP_SEG_DATA : 0) | (fin ? MP_TCP_SEG_FIN : 0);
        if (mp_rtxq_empty(&c->q))
            mp_cc_event(&c->cc, MP_CC_EV_TX_START, now);
        xmit(c, flags, c->snd_nxt, len, data, &meta, sf, now);
        mp_rtxq_add(&c->q, c->snd_nxt, c->snd_nxt + len + (fin ? 1 : 0), fin ? MP_RTX_FIN : 0,
                    &meta, now);
        if (fin) {
            c->fin_sent = true;
            c->fin_seq = c->snd_nxt + len;
        }
        c->snd_nxt += len + (fin ? 1 : 0);
        c->cc.last_send = now;
        if (len)
            mp_tcp_pacing_sent(c, len, now);
        if (c->cc.ca_state == MP_CC_RECOVERY)
            mp_prr_on_send(&c->prr, 1);
        sent_any = true;
        mp_tcp_arm_rto(c, now);
        if (fin || probe)
            break;
    }
    /* Linux tcp_cwnd_validate: a flight that fills the window is window
     * limited, also when nothing waits in our own buffer (an MPTCP subflow
     * pulls its data only while the window has room). */
    if (!probe && (uint64_t)mp_rtxq_in_flight(&c->q) + c->mss > mp_cc_cwnd_bytes(&c->cc))
        c->cwnd_limited = true;
    /* RFC 8985 7.2: a probe timer after sending new data (one probe per
     * tail episode: not after the probe itself). */
    if (sent_any && !probe)
        mp_tcp_arm_tlp(c, now);
    if (pullbuf && pullbuf == c->st->scratch)
        c->st->scratch_busy = false;
    else
        g_free(pullbuf);
    if (probe) {
        mp_tcp_timer_update(c);
        return;
    }
    if (c->ack_now)
        mp_tcp_send_ack(c, now);
    (void)sent_any;
    /* Zero window with data waiting and nothing in flight: probe
     * (RFC 9293 3.8.6.1). */
    if (c->snd_wnd == 0 && mp_rtxq_empty(&c->q) && mp_sndbuf_unsent(&c->sb, c->snd_nxt) > 0) {
        if (c->persist_at == MP_TIME_NEVER)
            c->persist_at = now + mp_rtt_rto(&c->rtt);
    } else {
        c->persist_at = MP_TIME_NEVER;
        c->persist_backoff = 0;
    }
    mp_tcp_timer_update(c);
}
