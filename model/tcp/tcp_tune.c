/*
 * afmp: the parts of TCP that Linux tunes as it goes: buffer autotuning
 * within tcp_rmem / tcp_wmem (the receiver's dynamic right-sizing, DRS, and
 * the send buffer's growth with cwnd), the receiver's RTT estimate DRS runs
 * on, the pacing rate and the pacing clock, and the adaptive delayed-ACK
 * timeout (ATO).
 *
 * Integer arithmetic throughout: every value here reaches the wire (the
 * window) or the traces.
 */
#include "model/tcp/tcp_int.h"

/* ---- buffers ---- */

void mp_tcp_buf_init(struct mp_tcp_conn *c)
{
    /* SO_RCVBUF / SO_SNDBUF (and a single size in the scenario) lock a
     * buffer, as Linux's SOCK_RCVBUF_LOCK / SOCK_SNDBUF_LOCK. */
    c->rcv_locked = c->o.rcvbuf_lock;
    c->snd_locked = c->o.sndbuf_lock;
    c->rcvbuf = c->o.rcvbuf ? c->o.rcvbuf : c->o.rmem[1];
    if (c->rcvbuf < MP_TCP_SOCK_MIN_RCVBUF)
        c->rcvbuf = MP_TCP_SOCK_MIN_RCVBUF;
    size_t sb = c->o.sndbuf ? c->o.sndbuf : c->o.wmem[1];
    c->o.sndbuf = sb < MP_TCP_SOCK_MIN_SNDBUF ? MP_TCP_SOCK_MIN_SNDBUF : sb;
}

size_t mp_tcp_rcv_full_space(const struct mp_tcp_conn *c)
{
    /* Linux tcp_win_from_space() at the default 50% scaling ratio. */
    return c->rcvbuf / 2;
}

uint8_t mp_tcp_rcv_wscale(const struct mp_tcp_conn *c)
{
    /* Linux tcp_select_initial_window(): the shift is chosen for the
     * largest buffer the connection may reach (tcp_rmem[2], at least
     * net.core.rmem_max), so the window can grow later; a locked buffer
     * clamps the window and therefore the shift. */
    uint64_t space = mp_tcp_rcv_full_space(c);
    if (!c->rcv_locked) {
        space = MAX(space, (uint64_t)c->o.rmem[2]);
        space = MAX(space, (uint64_t)MP_TCP_RMEM_MAX_CORE);
    }
    if (space == 0)
        return 0;
    int lg = 63 - __builtin_clzll(space);
    int ws = lg - 15;
    if (ws < 0)
        ws = 0;
    if (ws > (int)MP_TCP_MAX_WSCALE)
        ws = (int)MP_TCP_MAX_WSCALE;
    return (uint8_t)ws;
}

/* Linux tcp_sndbuf_expand(): room for two windows of worst-case skbs
 * (one per segment, head rounded up to a power of two), cubic's 1.7
 * rounded up to 2, for fast recovery and a slow writer. */
static void sndbuf_expand(struct mp_tcp_conn *c)
{
    uint32_t mss = MAX(c->mss_clamp, c->mss);
    uint64_t head = (uint64_t)mss + MP_TCP_MAX_HEADER + MP_TCP_SKB_SHINFO;
    uint64_t pow2 = 1;
    while (pow2 < head)
        pow2 <<= 1;
    uint64_t per_mss = pow2 + MP_TCP_SKB_STRUCT;
    uint64_t segs = MAX(c->cc_ok ? c->cc.cwnd : 0u, MP_CC_INIT_CWND);
    uint64_t want = 2 * segs * per_mss;
    if (want > c->o.wmem[2])
        want = c->o.wmem[2];
    if (c->sb.limit < want)
        mp_sndbuf_set_limit(&c->sb, (size_t)want);
}

void mp_tcp_init_buffer_space(struct mp_tcp_conn *c, mp_time_t now)
{
    /* Linux tcp_init_buffer_space(): DRS starts from what an initial
     * window could bring, and the send buffer from the initial cwnd. */
    c->copied_seq = c->rcv_nxt;
    c->rcvq_seq = c->rcv_nxt;
    c->rcvq_time = now;
    uint32_t advmss = c->mss_clamp ? c->mss_clamp : MP_TCP_DEFAULT_MSS;
    size_t full = mp_tcp_rcv_full_space(c);
    c->rcvq_space = (uint32_t)MIN(full, (size_t)MP_CC_INIT_CWND * advmss);
    /* tcp_initialize_rcv_mss(): a guess until segments arrive. */
    c->rcv_mss = MIN(MIN(advmss, c->mss), MP_TCP_DEFAULT_MSS);
    if (!c->snd_locked)
        sndbuf_expand(c);
}

void mp_tcp_check_space(struct mp_tcp_conn *c, mp_time_t now)
{
    if (!c->sb_shrunk)
        return;
    c->sb_shrunk = false;
    /* Linux tcp_should_expand_sndbuf(): not locked, and cwnd not full
     * after the pending data went out: the buffer, not the network,
     * limits the sender. */
    if (!c->snd_locked && c->cc_ok &&
        (mp_rtxq_in_flight(&c->q) + c->mss - 1) / c->mss < c->cc.cwnd)
        sndbuf_expand(c);
    /* Writers wake at the low-water mark, not on every ACK. */
    if (c->writable_armed && c->owned && c->cbs.writable) {
        size_t lowat = c->o.sndlowat ? c->o.sndlowat : c->sb.limit / 2;
        if (mp_sndbuf_space(&c->sb) >= lowat) {
            c->writable_armed = false;
            c->cbs.writable(c->cbs.arg, c, now);
        }
    }
}

/* Linux tcp_rcv_rtt_update(): with timestamps a 1/8 moving average,
 * without (|win_dep|, one sample per window of data) the minimum. */
static void rcv_rtt_update(struct mp_tcp_conn *c, mp_time_t sample, bool win_dep)
{
    if (sample == 0)
        sample = 1;
    if (c->rcv_rtt == 0)
        c->rcv_rtt = sample;
    else if (!win_dep)
        c->rcv_rtt = (mp_time_t)((int64_t)c->rcv_rtt + ((int64_t)sample - (int64_t)c->rcv_rtt) / 8);
    else if (sample < c->rcv_rtt)
        c->rcv_rtt = sample;
}

void mp_tcp_rcv_rtt_measure(struct mp_tcp_conn *c, bool has_ts, uint32_t tsecr, uint32_t dlen,
                            mp_time_t now)
{
    if (dlen >= c->rcv_mss)
        c->rcv_mss = MIN(dlen, c->mss_clamp ? c->mss_clamp : dlen);
    if (c->ts_ok && has_ts) {
        /* tcp_rcv_rtt_measure_ts(): one sample per new echoed value, from
         * a full-sized segment (a small one may have waited for the
         * application). */
        if (tsecr == 0 || tsecr == c->rcv_rtt_last_tsecr)
            return;
        c->rcv_rtt_last_tsecr = tsecr;
        if (dlen < c->rcv_mss)
            return;
        mp_time_t s = mp_rtt_ts_sample(now, tsecr, MP_TCP_TS_UNIT, c->ts_offset);
        if (s != MP_TIME_NEVER)
            rcv_rtt_update(c, s, false);
        return;
    }
    /* tcp_rcv_rtt_measure(): the time for a window's worth to arrive. */
    if (c->rcv_rtt_time != MP_TIME_NEVER) {
        if (mp_seq_lt(c->rcv_nxt, c->rcv_rtt_seq))
            return;
        rcv_rtt_update(c, now - c->rcv_rtt_time, true);
    }
    uint32_t wnd = mp_seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    c->rcv_rtt_seq = c->rcv_nxt + wnd;
    c->rcv_rtt_time = now;
}

void mp_tcp_rcv_space_adjust(struct mp_tcp_conn *c, mp_time_t now)
{
    /* Linux tcp_rcv_space_adjust(), once per receiver RTT. */
    if (c->rcv_rtt == 0 || now - c->rcvq_time < c->rcv_rtt)
        return;
    uint32_t copied = c->copied_seq - c->rcvq_seq;
    if (c->rcvq_space == 0)
        c->rcvq_space = 1; /* before tcp_init_buffer_space (cannot happen: be safe) */
    if (copied > c->rcvq_space) {
        if (!c->rcv_locked) {
            /* Twice what was read in the last RTT (losses), some cushion
             * (16 segments), and as much again per doubling of the rate
             * (the ACK now is for the sender's next, larger, round). */
            uint32_t advmss = c->mss_clamp ? c->mss_clamp : MP_TCP_DEFAULT_MSS;
            uint64_t rcvwin = ((uint64_t)copied << 1) + 16ull * advmss;
            uint64_t grow = rcvwin * (copied - c->rcvq_space) / c->rcvq_space;
            rcvwin += grow << 1;
            /* tcp_space_from_win(): memory is twice the window. */
            uint64_t rcvbuf = MIN(rcvwin * 2, (uint64_t)c->o.rmem[2]);
            if (rcvbuf > c->rcvbuf)
                c->rcvbuf = (size_t)rcvbuf;
        }
        c->rcvq_space = copied;
    }
    c->rcvq_seq = c->copied_seq;
    c->rcvq_time = now;
}

size_t mp_tcp_rcv_mem_free(struct mp_tcp_conn *c)
{
    /* Out-of-order data is charged as memory (payload plus overhead)
     * against the buffer less what waits for the application (Linux
     * counts truesize: about twice the payload at the default ratio). */
    size_t held = mp_tcp_rcvq_held(c);
    size_t free_mem = c->rcvbuf > 2 * held ? c->rcvbuf - 2 * held : 0;
    if (c->ext && c->ext->rcv_wnd) {
        /* The connection-level window rules: the subflow must be able to
         * hold what it invited. */
        size_t w = 2 * (size_t)c->ext->rcv_wnd(c->ext_arg, c);
        if (w > free_mem)
            free_mem = w;
    }
    return free_mem;
}

/* ---- pacing ---- */

void mp_tcp_update_pacing_rate(struct mp_tcp_conn *c)
{
    /* Linux tcp_update_pacing_rate(): cwnd * mss / srtt, times 200% in
     * slow start (below half ssthresh: near its end the sender slows
     * down) and 120% after (tcp_pacing_ss_ratio, tcp_pacing_ca_ratio). */
    mp_time_t srtt = mp_rtt_srtt(&c->rtt);
    if (!c->cc_ok || srtt == 0) {
        c->pacing_rate = 0;
        return;
    }
    uint64_t ratio = c->cc.cwnd < c->cc.ssthresh / 2 ? MP_TCP_PACING_SS_RATIO
                                                      : MP_TCP_PACING_CA_RATIO;
    uint64_t segs = c->cc.cwnd;
    uint64_t out = (mp_rtxq_out(&c->q) + c->mss - 1) / c->mss;
    if (out > segs)
        segs = out;
    uint64_t bytes = (uint64_t)c->mss * segs * ratio; /* per srtt, x100 */
    /* bytes * 1e9 / 100 / srtt, without overflow for any sane window. */
    const uint64_t k = 10000000ull;
    if (bytes <= UINT64_MAX / k)
        c->pacing_rate = bytes * k / srtt;
    else
        c->pacing_rate = bytes / srtt * k;
    if (c->pacing_rate == 0)
        c->pacing_rate = 1;
}

bool mp_tcp_pacing_wait(struct mp_tcp_conn *c, mp_time_t now)
{
    if (!c->o.pacing || c->pace_next <= now)
        return false;
    c->pace_at = c->pace_next;
    return true;
}

void mp_tcp_pacing_sent(struct mp_tcp_conn *c, uint32_t len, mp_time_t now)
{
    c->data_segs_out++;
    if (!c->o.pacing)
        return;
    /* Linux tcp_update_skb_after_send() (EDT): the next departure moves by
     * len / rate; the first 10 segments go unpaced (as sch_fq did), and
     * idle time is a credit of at most half a segment's slot. */
    mp_time_t prior = c->pace_next;
    if (c->pace_next < now)
        c->pace_next = now;
    if (c->pacing_rate == 0 || c->data_segs_out <= MP_CC_INIT_CWND)
        return;
    uint64_t len_ns = (uint64_t)len * MP_S(1) / c->pacing_rate;
    uint64_t credit = c->pace_next - prior;
    len_ns -= MIN(len_ns / 2, credit);
    c->pace_next += len_ns;
}

/* ---- delayed ACKs ---- */

void mp_tcp_event_data_recv(struct mp_tcp_conn *c, mp_time_t now)
{
    /* Linux tcp_event_data_recv(): the ATO follows the gaps between
     * arriving data segments. */
    mp_time_t ato_min = c->o.delack_min;
    if (c->ato == 0) {
        c->quickack = MP_TCP_MAX_QUICKACKS;
        c->ato = ato_min;
    } else {
        mp_time_t m = now - c->lrcvtime;
        mp_time_t rto = mp_rtt_rto(&c->rtt);
        if (m <= ato_min / 2) {
            c->ato = c->ato / 2 + ato_min / 2;
        } else if (m < c->ato) {
            c->ato = c->ato / 2 + m;
            if (c->ato > rto)
                c->ato = rto;
        } else if (m > rto) {
            /* The sender stalled (did not restart its window): ACK
             * quickly for a while. */
            c->quickack = MP_TCP_MAX_QUICKACKS;
        }
    }
    c->lrcvtime = now;
}

mp_time_t mp_tcp_delack_timeout(const struct mp_tcp_conn *c)
{
    /* Linux tcp_send_delayed_ack(): the ATO, bounded by the RTT (at least
     * TCP_DELACK_MIN) and by half a second, then by TCP_DELACK_MAX. */
    mp_time_t dmin = c->o.delack_min;
    mp_time_t ato = c->ato ? c->ato : dmin;
    if (ato > dmin) {
        mp_time_t max_ato = MP_TCP_ATO_MAX;
        mp_time_t srtt = mp_rtt_srtt(&c->rtt);
        if (srtt) {
            mp_time_t rtt = MAX(srtt, dmin);
            if (rtt < max_ato)
                max_ato = rtt;
        }
        if (ato > max_ato)
            ato = max_ato;
    }
    return MIN(ato, MP_TCP_DELACK_MAX);
}

void mp_tcp_delack_missed(struct mp_tcp_conn *c)
{
    /* Linux tcp_delack_timer_handler(): the timer fired before a second
     * segment came: the gaps are longer than thought. */
    mp_time_t rto = mp_rtt_rto(&c->rtt);
    mp_time_t a = (c->ato ? c->ato : c->o.delack_min) * 2;
    c->ato = MIN(a, rto);
}
