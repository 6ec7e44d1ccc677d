/*
 * afmp: RACK-TLP loss detection (see rack.h).
 */
#include "model/tcp/rack.h"

#include <string.h>

void mp_rack_init(struct mp_rack *rack)
{
    memset(rack, 0, sizeof(*rack));
    rack->reo_wnd_mult = 1;
}

/* RFC 8985 6.2, RACK_sent_after(t1, seq1, t2, seq2): sent later, or at the
 * same time and ending higher (segments sent back to back share a time). */
static bool sent_after(mp_time_t t1, uint32_t seq1, mp_time_t t2, uint32_t seq2)
{
    return t1 > t2 || (t1 == t2 && mp_seq_gt(seq1, seq2));
}

void mp_rack_on_ack(struct mp_rack *rack, const struct mp_rtx_ack *a, uint32_t snd_una,
                    uint32_t snd_nxt)
{
    /* Step 2. RACK.rtt moves with the reference segment (as Linux keeps
     * them together), so the timer is measured from the segment it
     * belongs to. */
    if (a->rack_valid && (!rack->valid || sent_after(a->rack_xmit_ts, a->rack_end_seq,
                                                     rack->xmit_ts, rack->end_seq))) {
        rack->valid = true;
        rack->xmit_ts = a->rack_xmit_ts;
        rack->end_seq = a->rack_end_seq;
        rack->rtt = a->rack_rtt;
    }

    /* Step 3. */
    if (a->reordering)
        rack->reordering_seen = true;

    /* Step 4: grow the window once per round trip that sees a D-SACK. */
    if (rack->dsack_round_valid && mp_seq_geq(snd_una, rack->dsack_round))
        rack->dsack_round_valid = false;
    if (!rack->dsack_round_valid && a->dsack) {
        rack->dsack_round_valid = true;
        rack->dsack_round = snd_nxt;
        if (rack->reo_wnd_mult < 255)
            rack->reo_wnd_mult++;
        rack->reo_wnd_persist = MP_RACK_REO_PERSIST;
    }
}

void mp_rack_recovery_exit(struct mp_rack *rack)
{
    if (rack->reo_wnd_persist > 0)
        rack->reo_wnd_persist--;
    if (rack->reo_wnd_persist == 0)
        rack->reo_wnd_mult = 1;
}

mp_time_t mp_rack_reo_wnd(const struct mp_rack *rack, const struct mp_rtxq *q,
                          const struct mp_rtt *rtt, bool in_recovery)
{
    if (!rack->reordering_seen) {
        /* Without evidence of reordering, be as quick as the DupAck
         * rule: in recovery, or once DupThresh segments are SACKed. */
        if (in_recovery || q->sacked_segs >= MP_RACK_DUPTHRESH)
            return 0;
    }
    mp_time_t w = (mp_time_t)rack->reo_wnd_mult * (mp_rtt_min(rtt) / 4);
    mp_time_t srtt = mp_rtt_srtt(rtt);
    return w < srtt ? w : srtt;
}

mp_time_t mp_rack_detect_loss(struct mp_rack *rack, struct mp_rtxq *q, const struct mp_rtt *rtt,
                              bool in_recovery, mp_time_t now, uint32_t *marked)
{
    uint32_t n = 0;
    mp_time_t timer = MP_TIME_NEVER;
    if (rack->valid) {
        mp_time_t reo = mp_rack_reo_wnd(rack, q, rtt, in_recovery);
        struct mp_rtx_seg *s = q->thead;
        /* The send-time list holds exactly the segments that may still be
         * declared lost, in transmission order: stop at the first one not
         * sent before the reference, as Linux does. Segments sent in one
         * burst share a time and follow in sequence order, so the rest of
         * the burst is not looked at (walking on past them cost a pass over
         * the whole burst per ACK). */
        while (s && sent_after(rack->xmit_ts, rack->end_seq, s->last_sent, s->end)) {
            struct mp_rtx_seg *next = s->tnext;
            mp_time_t when = s->last_sent + rack->rtt + reo;
            if (when <= now) {
                if (mp_rtxq_mark_lost(q, s))
                    n++;
            } else if (timer == MP_TIME_NEVER || when > timer) {
                timer = when;
            }
            s = next;
        }
    }
    if (marked)
        *marked = n;
    return timer;
}

uint32_t mp_rack_mark_lost_on_rto(struct mp_rack *rack, struct mp_rtxq *q, const struct mp_rtt *rtt,
                                  mp_time_t now)
{
    mp_time_t reo = mp_rack_reo_wnd(rack, q, rtt, true);
    uint32_t n = 0;
    for (struct mp_rtx_seg *s = q->head; s; s = s->next) {
        if (s->flags & MP_RTX_SACKED)
            continue;
        /* The head was sent an RTO ago; later segments only if they had
         * time to be ACKed, so a fresh retransmission is not resent. */
        bool lost = s == q->head || s->last_sent + rack->rtt + reo <= now;
        if (lost && mp_rtxq_mark_lost(q, s))
            n++;
    }
    return n;
}

bool mp_rack_tlp_may_arm(const struct mp_rack *rack, const struct mp_rtxq *q, bool in_recovery)
{
    return !mp_rtxq_empty(q) && !in_recovery && q->sacked_out == 0 && !rack->tlp_pending;
}

mp_time_t mp_rack_tlp_deadline(const struct mp_rtt *rtt, const struct mp_rtxq *q, mp_time_t now,
                               mp_time_t rto_deadline)
{
    mp_time_t pto;
    mp_time_t srtt = mp_rtt_srtt(rtt);
    if (srtt) {
        pto = 2 * srtt;
        /* A lone segment may wait for the receiver's delayed-ACK timer. */
        if (q->count == 1 && q->head->segs == 1)
            pto += MP_RACK_WC_DELACK;
    } else {
        pto = rtt->p.rto_initial;
    }
    mp_time_t d = now + pto;
    return d < rto_deadline ? d : rto_deadline;
}

enum mp_tlp_probe mp_rack_tlp_choose(struct mp_rtxq *q, bool new_data_ok, uint32_t mss,
                                     struct mp_rtx_seg **seg)
{
    *seg = NULL;
    if (new_data_ok)
        return MP_TLP_NEW;
    struct mp_rtx_seg *s = q->tail;
    if (!s || (s->flags & MP_RTX_SACKED) || mss == 0)
        return MP_TLP_NONE;
    if (mp_rtx_seg_len(s) > mss)
        s = mp_rtxq_split(q, s, s->end - mss);
    *seg = s;
    return MP_TLP_RETRANS;
}

void mp_rack_tlp_sent(struct mp_rack *rack, uint32_t snd_nxt, bool is_retrans)
{
    rack->tlp_pending = true;
    rack->tlp_end_seq = snd_nxt;
    rack->tlp_is_retrans = is_retrans;
}

enum mp_tlp_verdict mp_rack_tlp_on_ack(struct mp_rack *rack, uint32_t ack,
                                       const struct mp_rtx_ack *a, bool dupack_no_sack)
{
    if (!rack->tlp_pending || mp_seq_lt(ack, rack->tlp_end_seq))
        return MP_TLP_PENDING;
    enum mp_tlp_verdict v;
    if (!rack->tlp_is_retrans)
        v = MP_TLP_NO_LOSS; /* the probe was new data, and it arrived */
    else if (a->dsack && a->dsack_block.end == rack->tlp_end_seq)
        v = MP_TLP_NO_LOSS; /* the original and the probe both arrived */
    else if (mp_seq_gt(ack, rack->tlp_end_seq))
        v = MP_TLP_REPAIRED; /* the probe filled the one hole */
    else if (dupack_no_sack)
        v = MP_TLP_NO_LOSS; /* the probe's own dupack: nothing was missing */
    else
        return MP_TLP_PENDING;
    rack->tlp_pending = false;
    return v;
}
