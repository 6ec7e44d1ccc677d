/*
 * afmp: MPTCP subflows: the TCP extension table (DESIGN.md) that makes a
 * TCP connection of model/tcp an MPTCP subflow. It claims option space,
 * writes MP_CAPABLE / MP_JOIN / DSS / MP_TCPRST, checks the peer's
 * handshake options (keys, HMACs), keeps the received mappings and turns
 * in-order subflow bytes into data-level bytes for the connection.
 *
 * Handshakes (RFC 8684 3.1, 3.2), as Linux:
 *   MP_CAPABLE  SYN (4) -> SYN/ACK with the listener's key (12) -> third ACK
 *               with both keys (20), repeated on ACKs until the peer shows it
 *               has them (a DSS from it), or on the first data with the data
 *               length (22, 24 with checksum).
 *   MP_JOIN     SYN with token and nonce (12) -> SYN/ACK with the truncated
 *               HMAC (16) -> third ACK with the 160-bit HMAC (24) -> fourth
 *               ACK (a DSS data ACK) from the listener; the joiner sends no
 *               data before the fourth ACK.
 */
#include <errno.h>
#include <string.h>

#include "model/mptcp/crypto.h"
#include "model/mptcp/protocol.h"

static uint32_t dss_space(const struct mp_mptcp_subflow *sf, uint32_t flags)
{
    const struct mp_mptcp_sock *msk = sf->msk;
    uint32_t n = MP_MPTCP_LEN_DSS_BASE;
    if (msk->peer_key_known)
        n += msk->use_64bit_ack ? 8 : 4;
    bool fin_only = !(flags & MP_TCP_SEG_DATA) && msk->wr_shut && !msk->data_fin_acked &&
                    msk->snd_nxt == msk->write_seq && msk->data_fin_sent;
    if ((flags & MP_TCP_SEG_DATA) || fin_only)
        n += 8 + 4 + 2 + (msk->csum ? 2 : 0); /* Linux always sends 64-bit DSNs */
    return n == MP_MPTCP_LEN_DSS_BASE ? 0 : n;
}

/* An ADD_ADDR goes on this segment: a pure ACK (no data, no FIN, no
 * DATA_FIN due) of a subflow past its handshake options, while one is
 * pending. */
static bool sf_signal_now(const struct mp_mptcp_subflow *sf, uint32_t flags)
{
    const struct mp_mptcp_sock *msk = sf->msk;
    if ((flags & (MP_TCP_SEG_DATA | MP_TCP_SEG_FIN)) || !msk->peer_key_known ||
        (sf->kind == MP_SF_MPC && sf->mpc_ack_pending) ||
        (sf->kind == MP_SF_JOIN && !sf->fully_established))
        return false;
    uint32_t dss = dss_space(sf, flags);
    if (dss > MP_MPTCP_LEN_DSS_BASE + 8u) /* a DATA_FIN's mapping is due */
        return false;
    return mp_mptcp_pm_signal_space(msk) > 0;
}

/* What rides with the DSS of a pure ACK, as Linux sends them: MP_FAIL,
 * MP_PRIO, REMOVE_ADDR, in that order while they fit beside the
 * timestamps (40 bytes of options less 12); the rest waits for the next
 * pure ACK. Returns the set (EX_*) and the bytes with the DSS in *len. */
enum { EX_FAIL = 1u << 0, EX_PRIO = 1u << 1, EX_RM = 1u << 2 };
#define PURE_ACK_ROOM 28u

static uint32_t pure_ack_extras(const struct mp_mptcp_subflow *sf, uint32_t flags, uint32_t dss,
                                uint32_t *len)
{
    const struct mp_mptcp_sock *msk = sf->msk;
    *len = dss;
    if ((flags & (MP_TCP_SEG_DATA | MP_TCP_SEG_FIN)) || !msk->peer_key_known ||
        dss > MP_MPTCP_LEN_DSS_BASE + 8u || (sf->kind == MP_SF_MPC && sf->mpc_ack_pending) ||
        (sf->kind == MP_SF_JOIN && !sf->fully_established))
        return 0;
    uint32_t set = 0, n = dss;
    if (sf->send_fail && !sf->reset_due && n + MP_MPTCP_LEN_FAIL <= PURE_ACK_ROOM) {
        set |= EX_FAIL;
        n += MP_MPTCP_LEN_FAIL;
    }
    if (sf->prio_pending && n + MP_MPTCP_LEN_PRIO <= PURE_ACK_ROOM) {
        set |= EX_PRIO;
        n += MP_MPTCP_LEN_PRIO;
    }
    uint32_t rm = msk->rm_out.n ? (uint32_t)mp_mptcp_remove_addr_len(&msk->rm_out) : 0;
    if (rm && n + rm <= PURE_ACK_ROOM) {
        set |= EX_RM;
        n += rm;
    }
    *len = n;
    return set;
}

static uint32_t rst_space(const struct mp_mptcp_subflow *sf)
{
    uint32_t n = (sf->send_fastclose || sf->send_fail) ? MP_MPTCP_LEN_FASTCLOSE : 0;
    if (sf->send_rst_reason || sf->send_fastclose)
        n += MP_MPTCP_LEN_TCPRST;
    return n;
}

/* RFC 8684 3.5, 3.6, 3.7: a RST may carry MP_FASTCLOSE or MP_FAIL (Linux:
 * one of them) and MP_TCPRST. */
static size_t write_rst(struct mp_mptcp_subflow *sf, uint8_t *buf, size_t len)
{
    struct mp_mptcp_sock *msk = sf->msk;
    size_t n = 0;
    if (sf->send_fastclose) {
        struct mp_mptcp_fastclose f = {.rcv_key = msk->remote_key};
        n = mp_mptcp_write_fastclose(buf, len, &f);
        if (n)
            MP_MPTCP_CTR(msk, MPTCP_MP_FASTCLOSE_TX);
    } else if (sf->send_fail) {
        struct mp_mptcp_fail f = {.dsn = sf->fail_dsn};
        n = mp_mptcp_write_fail(buf, len, &f);
        if (n) {
            sf->send_fail = false;
            MP_MPTCP_CTR(msk, MPTCP_MP_FAIL_TX);
        }
    }
    if (sf->send_rst_reason || sf->send_fastclose) {
        struct mp_mptcp_tcprst r = {.flags = 0, .reason = sf->rst_reason};
        size_t k = mp_mptcp_write_tcprst(buf + n, len - n, &r);
        if (k)
            MP_MPTCP_CTR(msk, MPTCP_MP_RST_TX);
        n += k;
    }
    return n;
}

static size_t write_extras(struct mp_mptcp_subflow *sf, uint32_t set, uint8_t *buf, size_t len)
{
    struct mp_mptcp_sock *msk = sf->msk;
    size_t n = 0, k;
    if ((set & EX_FAIL) &&
        (k = mp_mptcp_write_fail(buf + n, len - n, &(struct mp_mptcp_fail){.dsn = sf->fail_dsn}))) {
        n += k;
        sf->send_fail = false;
        MP_MPTCP_CTR(msk, MPTCP_MP_FAIL_TX);
    }
    if ((set & EX_PRIO) &&
        (k = mp_mptcp_write_prio(buf + n, len - n, &(struct mp_mptcp_prio){.backup = sf->backup}))) {
        n += k;
        sf->prio_pending = false;
        MP_MPTCP_CTR(msk, MPTCP_MP_PRIO_TX);
    }
    if ((set & EX_RM) && (k = mp_mptcp_write_remove_addr(buf + n, len - n, &msk->rm_out))) {
        n += k;
        msk->rm_out.n = 0;
        MP_MPTCP_CTR(msk, MPTCP_RM_ADDR_TX);
    }
    return n;
}

static uint32_t sf_opt_space(void *arg, struct mp_tcp_conn *c, uint32_t flags)
{
    struct mp_mptcp_subflow *sf = arg;
    (void)c;
    if (flags & MP_TCP_SEG_RST)
        return rst_space(sf);
    if (flags & MP_TCP_SEG_SYN)
        return sf->kind == MP_SF_MPC ? MP_MPTCP_LEN_CAPABLE_SYN : MP_MPTCP_LEN_JOIN_SYN;
    if (flags & MP_TCP_SEG_SYNACK)
        return sf->kind == MP_SF_MPC ? MP_MPTCP_LEN_CAPABLE_SYNACK : MP_MPTCP_LEN_JOIN_SYNACK;
    if (sf->msk->fallback)
        return 0;
    if (sf->kind == MP_SF_JOIN && !sf->passive && !sf->fully_established)
        return MP_MPTCP_LEN_JOIN_ACK;
    /* Linux sends ADD_ADDR on a pure ACK, leaving the DSS out for room. */
    if (sf_signal_now(sf, flags))
        return (uint32_t)mp_mptcp_pm_signal_space(sf->msk);
    uint32_t dss = dss_space(sf, flags);
    uint32_t with_extras;
    if (pure_ack_extras(sf, flags, dss, &with_extras))
        return with_extras;
    if (sf->kind == MP_SF_MPC && sf->mpc_ack_pending) {
        uint32_t mpc = (flags & MP_TCP_SEG_DATA)
                           ? (sf->msk->csum ? MP_MPTCP_LEN_CAPABLE_DATA_CSUM
                                            : MP_MPTCP_LEN_CAPABLE_DATA)
                           : MP_MPTCP_LEN_CAPABLE_ACK;
        return MAX(mpc, dss);
    }
    return dss;
}

static size_t write_dss(struct mp_mptcp_subflow *sf, const struct mp_tcp_seg_info *seg,
                        uint8_t *buf, size_t len)
{
    struct mp_mptcp_sock *msk = sf->msk;
    struct mp_mptcp_dss d = {0};
    if (msk->peer_key_known) {
        d.has_ack = true;
        d.ack64 = msk->use_64bit_ack;
        d.data_ack = d.ack64 ? msk->rcv_nxt : (uint32_t)msk->rcv_nxt;
    }
    struct mp_mptcp_meta m;
    memset(&m, 0, sizeof(m));
    if (seg->meta)
        memcpy(&m, seg->meta, sizeof(m));
    if (seg->len && (m.flags & MP_META_VALID)) {
        d.has_map = d.dsn64 = true;
        d.dsn = m.dsn;
        d.ssn = m.ssn;
        d.data_len = m.len;
        d.has_csum = msk->csum;
        d.csum = m.csum;
        if (m.flags & MP_META_INFINITE) {
            /* RFC 8684 3.7: from this byte on the subflow is the stream. */
            d.data_len = 0;
            d.csum = 0;
        }
    } else if (!seg->len && msk->wr_shut && !msk->data_fin_acked && msk->data_fin_sent &&
               msk->snd_nxt == msk->write_seq) {
        /* RFC 8684 3.3.3: a DATA_FIN without data: SSN 0, length 1. */
        d.has_map = d.dsn64 = true;
        d.data_fin = true;
        d.dsn = msk->data_fin_seq;
        d.ssn = 0;
        d.data_len = 1;
        d.has_csum = msk->csum;
        if (d.has_csum)
            d.csum = mp_mptcp_dss_csum(d.dsn, 0, 1, NULL, 0);
    }
    if (!d.has_ack && !d.has_map)
        return 0;
    return mp_mptcp_write_dss(buf, len, &d);
}

static size_t sf_write_opts(void *arg, struct mp_tcp_conn *c, const struct mp_tcp_seg_info *seg,
                            uint8_t *buf, size_t len)
{
    struct mp_mptcp_subflow *sf = arg;
    struct mp_mptcp_sock *msk = sf->msk;
    (void)c;
    if (seg->flags & MP_TCP_SEG_RST)
        return write_rst(sf, buf, len);
    if (seg->flags & (MP_TCP_SEG_SYN | MP_TCP_SEG_SYNACK)) {
        bool synack = (seg->flags & MP_TCP_SEG_SYNACK) != 0;
        if (sf->kind == MP_SF_MPC) {
            struct mp_mptcp_capable o = {.version = MP_MPTCP_VERSION,
                                         .flags = MP_MPC_FLAG_H | (msk->csum ? MP_MPC_FLAG_A : 0)};
            if (synack) {
                o.nkeys = 1;
                o.snd_key = msk->local_key;
            } else {
                MP_MPTCP_CTR(msk, MPTCP_MP_CAPABLE_SYNTX);
            }
            if (!msk->st->o.allow_join_initial_addr_port)
                o.flags |= MP_MPC_FLAG_C;
            return mp_mptcp_write_capable(buf, len, &o);
        }
        struct mp_mptcp_join j = {.flags = sf->backup ? MP_JOIN_FLAG_B : 0,
                                  .addr_id = sf->local_id,
                                  .nonce = sf->local_nonce};
        if (synack) {
            j.kind = MP_JOIN_SYNACK;
            j.hmac64 = mp_mptcp_join_synack_hmac(msk->local_key, msk->remote_key,
                                                 sf->local_nonce, sf->remote_nonce);
        } else {
            j.kind = MP_JOIN_SYN;
            j.token = msk->remote_token;
        }
        return mp_mptcp_write_join(buf, len, &j);
    }
    if (msk->fallback)
        return 0;
    if (sf->kind == MP_SF_JOIN && !sf->passive && !sf->fully_established) {
        struct mp_mptcp_join j = {.kind = MP_JOIN_ACK};
        mp_mptcp_join_ack_hmac(msk->local_key, msk->remote_key, sf->local_nonce,
                               sf->remote_nonce, j.hmac);
        return mp_mptcp_write_join(buf, len, &j);
    }
    if (sf_signal_now(sf, seg->flags)) {
        size_t n = mp_mptcp_pm_signal_write(msk, buf, len);
        if (n)
            return n;
    }
    if (sf->kind == MP_SF_MPC && sf->mpc_ack_pending) {
        struct mp_mptcp_meta m;
        memset(&m, 0, sizeof(m));
        if (seg->meta)
            memcpy(&m, seg->meta, sizeof(m));
        bool data = seg->len && (m.flags & MP_META_VALID);
        /* RFC 8684 3.1: the keys ride on the third ACK, and on the first
         * data segment (with its length) while the peer may lack them; other
         * data segments carry a DSS. */
        if (!data || (m.dsn == msk->local_idsn + 1 && m.ssn == 1)) {
            struct mp_mptcp_capable o = {.version = MP_MPTCP_VERSION,
                                         .flags = MP_MPC_FLAG_H | (msk->csum ? MP_MPC_FLAG_A : 0),
                                         .nkeys = 2,
                                         .snd_key = msk->local_key,
                                         .rcv_key = msk->remote_key};
            if (!msk->st->o.allow_join_initial_addr_port)
                o.flags |= MP_MPC_FLAG_C;
            if (data) {
                o.has_data_len = true;
                o.data_len = m.len;
                o.has_csum = msk->csum;
                o.csum = m.csum;
            }
            return mp_mptcp_write_capable(buf, len, &o);
        }
    }
    uint32_t dummy;
    uint32_t set = pure_ack_extras(sf, seg->flags, dss_space(sf, seg->flags), &dummy);
    size_t n = write_dss(sf, seg, buf, len);
    if (set) {
        n += write_extras(sf, set, buf + n, len - n);
        /* Signals that did not fit go on another pure ACK. */
        if (sf->send_fail || sf->prio_pending || msk->rm_out.n)
            mp_mptcp_signal_again(msk);
    }
    return n;
}

static size_t sf_pull(void *arg, struct mp_tcp_conn *c, uint8_t *buf, size_t max,
                      union mp_rtx_meta *meta, mp_time_t now)
{
    struct mp_mptcp_subflow *sf = arg;
    (void)c;
    if (sf->msk->fallback || sf->refuse)
        return 0;
    /* RFC 8684 3.2: no data before the fourth ACK confirms the join. */
    if (sf->kind == MP_SF_JOIN && !sf->fully_established)
        return 0;
    return mp_mptcp_pull(sf->msk, sf, buf, max, (struct mp_mptcp_meta *)meta, now);
}

static uint32_t sf_rcv_wnd(void *arg, struct mp_tcp_conn *c)
{
    struct mp_mptcp_subflow *sf = arg;
    (void)c;
    return mp_mptcp_rcv_wnd(sf->msk);
}

/* Remembers a mapping for bytes still to come (RFC 8684 3.3.1: a mapping
 * is repeated on every segment it covers and may arrive out of order). */
static void map_add(struct mp_mptcp_subflow *sf, const struct mp_mptcp_map *m)
{
    /* The usual case: the mapping of new data, after every one known. */
    const struct mp_mptcp_map *last = sf->nmaps ? &sf->maps[sf->nmaps - 1] : NULL;
    bool beyond = !last || mp_seq_geq(m->seq, last->seq + last->len);
    for (uint32_t i = 0; i < sf->nmaps && !beyond; i++) {
        const struct mp_mptcp_map *o = &sf->maps[i];
        if (o->seq == m->seq && o->dsn == m->dsn && o->len == m->len)
            return;
        if (mp_seq_lt(o->seq, m->seq + m->len) && mp_seq_lt(m->seq, o->seq + o->len) &&
            (m->dsn - o->dsn) != (uint64_t)(uint32_t)(m->seq - o->seq)) {
            /* An overlapping mapping that disagrees (RFC 8684 3.3.1:
             * "... MUST be treated as an error"): keep the first. */
            MP_MPTCP_CTR(sf->msk, MPTCP_DSS_NOT_MATCHING);
            return;
        }
    }
    if (sf->nmaps == MP_MPTCP_MAX_MAPS) {
        memmove(&sf->maps[0], &sf->maps[1], (MP_MPTCP_MAX_MAPS - 1) * sizeof(sf->maps[0]));
        sf->nmaps--;
    }
    if (sf->nmaps == sf->maps_cap) {
        sf->maps_cap = sf->maps_cap ? MIN(sf->maps_cap * 2, MP_MPTCP_MAX_MAPS) : 64u;
        sf->maps = g_renew(struct mp_mptcp_map, sf->maps, sf->maps_cap);
    }
    if (beyond || mp_seq_geq(m->seq, sf->maps[sf->nmaps - 1].seq)) {
        sf->maps[sf->nmaps++] = *m;
        return;
    }
    /* Out of order (a retransmission's mapping): kept sorted by sequence. */
    uint32_t at = sf->nmaps;
    while (at > 0 && mp_seq_gt(sf->maps[at - 1].seq, m->seq))
        at--;
    memmove(&sf->maps[at + 1], &sf->maps[at], (sf->nmaps - at) * sizeof(sf->maps[0]));
    sf->maps[at] = *m;
    sf->nmaps++;
}

static const struct mp_mptcp_map *map_find(const struct mp_mptcp_subflow *sf, uint32_t seq)
{
    /* In-order bytes are those of the oldest mappings: look from there. */
    for (uint32_t i = 0; i < sf->nmaps; i++) {
        const struct mp_mptcp_map *m = &sf->maps[i];
        if (mp_seq_geq(seq, m->seq) && mp_seq_lt(seq, m->seq + m->len))
            return m;
    }
    return NULL;
}

/* Forgets the mappings wholly below |seq| (delivered). */
static void map_trim(struct mp_mptcp_subflow *sf, uint32_t seq)
{
    uint32_t k = 0;
    for (uint32_t i = 0; i < sf->nmaps; i++)
        if (mp_seq_gt(sf->maps[i].seq + sf->maps[i].len, seq))
            sf->maps[k++] = sf->maps[i];
    sf->nmaps = k;
}

/* The connection may end a failure on |sf| by going on as TCP there
 * (RFC 8684 3.7): |sf| is the first subflow and the connection never had
 * another one established nor sent data twice at the data level (Linux's
 * allow_infinite_fallback); joins still in their handshake are reset by
 * the fallback. */
static bool may_fall_back(const struct mp_mptcp_subflow *sf)
{
    return sf->msk->allow_inf_fallback && sf == sf->msk->first;
}

/* A mapping's checksum failed (RFC 8684 3.7, as Linux): with one subflow
 * the peer is told with MP_FAIL on a pure ACK, the bytes go up as they
 * are (the peer answers with the infinite mapping: from there the stream
 * is TCP's, whatever a middlebox made of it); with several, the subflow is
 * reset with MP_FAIL and MP_TCPRST "middlebox interference", its bytes
 * dropped, and the peer sends them again on the others. */
static void csum_failed(struct mp_mptcp_subflow *sf, const struct mp_mptcp_map *m, mp_time_t now)
{
    struct mp_mptcp_sock *msk = sf->msk;
    MP_MPTCP_CTR(msk, MPTCP_DATA_CSUM_ERR);
    mp_mptcp_trace_sf(msk, sf, "csum.bad", now);
    if (may_fall_back(sf)) {
        /* One MP_FAIL: what fails before the infinite mapping comes goes
         * up as well. */
        if (!sf->fail_sent) {
            sf->fail_sent = true;
            sf->send_fail = true;
            sf->fail_dsn = m->dsn;
        }
        mp_mptcp_data_recv(msk, sf, m->dsn, sf->cbuf->data, sf->cbuf->len, now);
    } else {
        sf->send_fail = true;
        sf->fail_dsn = m->dsn;
        sf->rst_reason = MP_TCPRST_MIDDLEBOX;
        sf->reset_due = true;
    }
    mp_mptcp_signal_again(msk);
}

/* RFC 8684 3.3.1: with checksums a mapping's bytes reach the connection
 * only once all of them arrived and the checksum over the pseudo-header
 * and the payload holds; csum_failed() says what happens otherwise. */
static void csum_deliver(struct mp_mptcp_subflow *sf, const struct mp_mptcp_map *m, uint32_t seq,
                         const uint8_t *data, uint32_t n, mp_time_t now)
{
    struct mp_mptcp_sock *msk = sf->msk;
    if (!sf->cbuf)
        sf->cbuf = g_byte_array_new();
    if (seq == m->seq || sf->cmap_seq != m->seq) {
        g_byte_array_set_size(sf->cbuf, 0);
        sf->cmap_seq = m->seq;
        if (seq != m->seq)
            return; /* the mapping's head went elsewhere: cannot check it */
    }
    g_byte_array_append(sf->cbuf, data, n);
    if (sf->cbuf->len < m->len)
        return;
    uint16_t dlen = (uint16_t)(m->len + (m->data_fin ? 1u : 0u));
    if (mp_mptcp_dss_csum_ok(m->dsn, m->seq - sf->irs, dlen, m->csum_val, sf->cbuf->data,
                             sf->cbuf->len))
        mp_mptcp_data_recv(msk, sf, m->dsn, sf->cbuf->data, sf->cbuf->len, now);
    else
        csum_failed(sf, m, now);
    g_byte_array_set_size(sf->cbuf, 0);
}

static void sf_deliver(void *arg, struct mp_tcp_conn *c, uint32_t seq, const uint8_t *data,
                       size_t len, const uint8_t *opts, size_t olen, mp_time_t now)
{
    struct mp_mptcp_subflow *sf = arg;
    struct mp_mptcp_sock *msk = sf->msk;
    (void)c;
    (void)opts;
    (void)olen;
    mp_mptcp_enter(msk);
    while (len > 0) {
        const struct mp_mptcp_map *m = map_find(sf, seq);
        if (!m) {
            /* Bytes no mapping covers (RFC 8684 3.3.1). Linux resets the
             * subflow; afmp drops them and counts: the peer's data-level
             * retransmission recovers them on any subflow. When they came
             * without any MPTCP option (a middlebox strips them) on a
             * connection that cannot fall back, the subflow is useless
             * and is reset, as Linux. */
            MP_MPTCP_CTR(msk, MPTCP_DSS_NO_MATCH_TCP);
            if (sf->opts_missing && !sf->reset_due) {
                sf->rst_reason = MP_TCPRST_MPTCP_ERROR;
                sf->reset_due = true;
                mp_mptcp_signal_again(msk);
            }
            break;
        }
        uint32_t n = (uint32_t)MIN(len, (size_t)(m->seq + m->len - seq));
        uint64_t dsn = m->dsn + (seq - m->seq);
        sf->bytes_received += n;
        if (m->csum)
            csum_deliver(sf, m, seq, data, n, now);
        else
            mp_mptcp_data_recv(msk, sf, dsn, data, n, now);
        seq += n;
        data += n;
        len -= n;
    }
    map_trim(sf, seq);
    mp_mptcp_leave(msk);
}

/* The SYN/ACK of an active subflow. */
static void synack_input(struct mp_mptcp_subflow *sf, const struct mp_mptcp_opts *o,
                         mp_time_t now)
{
    struct mp_mptcp_sock *msk = sf->msk;
    if (sf->kind == MP_SF_MPC) {
        const struct mp_mptcp_capable *mpc = &o->mpc;
        /* RFC 8305 6: the first attempt to answer wins the race; a later
         * one is reset once connected. */
        if (!msk->first)
            mp_mptcp_race_won(msk, sf, now);
        if (msk->first != sf) {
            sf->refuse = true;
            sf->lost_race = true;
            return;
        }
        /* RFC 8684 3.1 and Linux: no MP_CAPABLE, another version, B set
         * or H missing: plain TCP. */
        if (!(o->present & MP_MPTCP_HAS_CAPABLE) || mpc->nkeys != 1 ||
            mpc->version != MP_MPTCP_VERSION || (mpc->flags & MP_MPC_FLAG_B) ||
            !(mpc->flags & MP_MPC_FLAG_H)) {
            mp_mptcp_do_fallback(msk, MP_CTR_MPTCP_MP_CAPABLE_FALLBACK_SYNACK, now);
            return;
        }
        MP_MPTCP_CTR(msk, MPTCP_MP_CAPABLE_SYNACKRX);
        if (mpc->flags & MP_MPC_FLAG_A)
            msk->csum = true;
        mp_mptcp_set_remote_key(msk, mpc->snd_key);
        sf->mpc_ack_pending = true;
        return;
    }
    /* A join never falls back to TCP (RFC 8684 3.2). */
    if (!(o->present & MP_MPTCP_HAS_JOIN) || o->join.kind != MP_JOIN_SYNACK) {
        sf->refuse = true;
        sf->rst_reason = 1;
        return;
    }
    sf->remote_nonce = o->join.nonce;
    sf->remote_id = o->join.addr_id;
    sf->peer_backup = (o->join.flags & MP_JOIN_FLAG_B) != 0;
    uint64_t want = mp_mptcp_join_synack_hmac(msk->remote_key, msk->local_key, sf->remote_nonce,
                                              sf->local_nonce);
    if (want != o->join.hmac64) {
        MP_MPTCP_CTR(msk, MPTCP_MP_JOIN_SYN_ACK_HMAC_FAILURE);
        sf->refuse = true;
        sf->rst_reason = 1;
        return;
    }
    MP_MPTCP_CTR(msk, MPTCP_MP_JOIN_SYN_ACK_RX);
    (void)now;
}

/* Refuses a passive join with RST + MP_TCPRST |reason|; the subflow then
 * has no TCP any more (an abort runs no closed callback). */
static void refuse_join(struct mp_mptcp_subflow *sf, uint8_t reason, mp_time_t now)
{
    struct mp_tcp_conn *ssk = sf->ssk;
    sf->send_rst_reason = true;
    sf->rst_reason = reason;
    mp_tcp_abort(ssk, now); /* the RST's MP_TCPRST comes from this subflow */
    sf->ssk = NULL;
    sf->closed = true;
}

/* The segment completing a passive handshake (SYN_RECEIVED). */
static void third_ack_input(struct mp_mptcp_subflow *sf, const struct mp_mptcp_opts *o,
                            mp_time_t now)
{
    struct mp_mptcp_sock *msk = sf->msk;
    if (sf->kind == MP_SF_MPC) {
        const struct mp_mptcp_capable *mpc = &o->mpc;
        if (!(o->present & MP_MPTCP_HAS_CAPABLE) || mpc->nkeys != 2 ||
            mpc->rcv_key != msk->local_key) {
            /* RFC 8684 3.1: the third ACK lacks MP_CAPABLE: plain TCP. */
            mp_mptcp_do_fallback(msk, MP_CTR_MPTCP_MP_CAPABLE_FALLBACK_ACK, now);
            return;
        }
        MP_MPTCP_CTR(msk, MPTCP_MP_CAPABLE_ACKRX);
        if (mpc->flags & MP_MPC_FLAG_A)
            msk->csum = true;
        mp_mptcp_set_remote_key(msk, mpc->snd_key);
        if (mpc->has_data_len) {
            /* The first data: DSN = IDSN + 1, SSN 1 implied. */
            struct mp_mptcp_map m = {.dsn = msk->remote_idsn + 1,
                                     .seq = sf->irs + 1,
                                     .len = mpc->data_len,
                                     .csum = mpc->has_csum,
                                     .csum_val = mpc->csum};
            map_add(sf, &m);
        }
        sf->fully_established = true;
        mp_mptcp_fully_established(msk, now);
        return;
    }
    if (!(o->present & MP_MPTCP_HAS_JOIN) || o->join.kind != MP_JOIN_ACK) {
        MP_MPTCP_CTR(msk, MPTCP_MP_JOIN_ACK_HMAC_FAILURE);
        refuse_join(sf, 1, now);
        return;
    }
    uint8_t want[20];
    mp_mptcp_join_ack_hmac(msk->remote_key, msk->local_key, sf->remote_nonce, sf->local_nonce,
                           want);
    if (memcmp(want, o->join.hmac, sizeof(want)) != 0) {
        MP_MPTCP_CTR(msk, MPTCP_MP_JOIN_ACK_HMAC_FAILURE);
        refuse_join(sf, 1, now);
        return;
    }
    MP_MPTCP_CTR(msk, MPTCP_MP_JOIN_ACK_RX);
    if (msk->dead || msk->fallback || !msk->pm->allow_join(msk)) {
        /* Over the limits: Linux refuses at the third ACK with reason 3. */
        MP_MPTCP_CTR(msk, MPTCP_MP_JOIN_REJECTED);
        refuse_join(sf, 3, now);
        return;
    }
    msk->joins_accepted++;
    msk->allow_inf_fallback = false;
    sf->fully_established = true;
    sf->join_ack_pending = true;
}

/* Our join got its fourth ACK (or another MPTCP option from the peer): the
 * subflow counts and carries data. */
static void join_established(struct mp_mptcp_subflow *sf, mp_time_t now)
{
    struct mp_mptcp_sock *msk = sf->msk;
    sf->fully_established = true;
    msk->subflows_total++;
    msk->allow_inf_fallback = false;
    mp_mptcp_trace_sf(msk, sf, "join.established", now);
    mp_mptcp_push(msk, now);
}

/* The peer answered with an MPTCP option of the established state: our
 * MP_CAPABLE third ACK or our join's third ACK reached it. */
static void peer_took_handshake(struct mp_mptcp_subflow *sf, mp_time_t now)
{
    if (sf->kind == MP_SF_MPC && sf->mpc_ack_pending) {
        sf->mpc_ack_pending = false;
        sf->fully_established = true;
        mp_mptcp_fully_established(sf->msk, now);
    }
    if (sf->kind == MP_SF_JOIN && !sf->passive && !sf->fully_established)
        join_established(sf, now);
}

/* MP_FASTCLOSE (RFC 8684 3.5): with our key the connection dies, its
 * other subflows reset with MP_FASTCLOSE too (Linux's mptcp_do_fastclose
 * on rcv_fastclose); with another key Linux ignores the option. */
static void fastclose_input(struct mp_mptcp_subflow *sf, uint64_t key, bool rst, mp_time_t now)
{
    struct mp_mptcp_sock *msk = sf->msk;
    if (key != msk->local_key || msk->state == MP_TCP_CLOSED) {
        MP_MPTCP_CTR(msk, MPTCP_FASTCLOSE_BAD_KEY);
        return;
    }
    MP_MPTCP_CTR(msk, MPTCP_MP_FASTCLOSE_RX);
    mp_mptcp_trace_sf(msk, sf, "fastclose.rx", now);
    for (guint i = 0; i < msk->subflows->len; i++) {
        struct mp_mptcp_subflow *o = msk->subflows->pdata[i];
        if (!o->ssk || o->closed)
            continue;
        o->send_fastclose = o->established && !o->refuse;
        o->rst_reason = MP_TCPRST_UNSPEC;
        if (o == sf) {
            /* The peer's RST ends this one; an ACK with the option gets
             * ours, from the connection's timer. */
            if (!rst) {
                o->reset_due = true;
                mp_mptcp_signal_again(msk);
            }
            continue;
        }
        mp_mptcp_subflow_reset(msk, o, MP_TCPRST_UNSPEC, now);
    }
    mp_mptcp_done(msk, -ECONNRESET, now);
}

/* MP_FAIL on a pure ACK (RFC 8684 3.7, as Linux's
 * mptcp_pm_mp_fail_received): the answer to ours, or the peer found a bad
 * checksum in our data on the only subflow: answer with MP_FAIL and send
 * the infinite mapping on the next data. With several subflows the peer
 * resets the subflow instead (MP_FAIL on its RST, counted only). */
static void fail_input(struct mp_mptcp_subflow *sf, uint64_t dsn, mp_time_t now)
{
    struct mp_mptcp_sock *msk = sf->msk;
    MP_MPTCP_CTR(msk, MPTCP_MP_FAIL_RX);
    mp_mptcp_trace_sf(msk, sf, "mp_fail.rx", now);
    if (msk->fallback || !msk->allow_inf_fallback)
        return;
    if (sf->fail_sent || msk->infinite_pending || msk->infinite_sent)
        return; /* the answer to ours, or a repeat */
    /* The answer goes first, on a pure ACK now (Linux's tcp_send_ack
     * there): the peer must take it before the infinite mapping. */
    sf->send_fail = true;
    sf->fail_dsn = dsn;
    mp_tcp_send_pure_ack(sf->ssk, now);
    msk->infinite_pending = true;
    g_array_set_size(msk->reinject, 0); /* TCP sends what is lost again */
    mp_mptcp_push_soon(msk, now);
}

/* A segment of an MPTCP subflow without any MPTCP option although the peer
 * sends DSS on every one (a middlebox strips them; RFC 8684 3.7): with one
 * subflow the connection goes on as TCP from this segment on (its data
 * and what follows are the stream); with several, data without a mapping
 * will reset the subflow (sf_deliver). Counted AfmpMPTcpOptionsMissing.
 * Closing subflows and FINs are left out: a subflow a peer gave up may
 * lose its options legitimately. */
static void opts_missing(struct mp_mptcp_subflow *sf, uint16_t tcp_flags, mp_time_t now)
{
    struct mp_mptcp_sock *msk = sf->msk;
    /* Until the peer's DATA_FIN came it keeps its options on every
     * segment (it releases its subflows only after both DATA_FINs). */
    if ((tcp_flags & (MP_TCP_FIN | MP_TCP_SYN)) || !sf->fully_established ||
        !msk->fully_established || msk->data_fin_rcvd ||
        (sf->kind == MP_SF_MPC && sf->mpc_ack_pending) ||
        mp_tcp_conn_state(sf->ssk) != MP_TCP_ESTABLISHED)
        return;
    MP_MPTCP_CTR(msk, MPTCP_OPTS_MISSING);
    sf->opts_missing = true;
    if (may_fall_back(sf)) {
        mp_mptcp_trace_sf(msk, sf, "options.missing", now);
        mp_mptcp_do_fallback(msk, MP_CTR__COUNT, now);
    }
}

static void sf_input_opts(void *arg, struct mp_tcp_conn *c, uint16_t tcp_flags,
                          const uint8_t *opts, size_t olen, mp_time_t now)
{
    struct mp_mptcp_subflow *sf = arg;
    struct mp_mptcp_sock *msk = sf->msk;
    struct mp_mptcp_opts o;
    if (mp_mptcp_opts_parse(opts, olen, &o) < 0 || o.malformed)
        MP_MPTCP_CTR(msk, MPTCP_OPT_MALFORMED);
    mp_mptcp_enter(msk);
    if (sf->stale && !(tcp_flags & MP_TCP_RST))
        mp_mptcp_subflow_recover(msk, sf, now);
    if (tcp_flags & MP_TCP_RST) {
        /* RFC 8684 3.6: MP_TCPRST says why the peer reset the subflow. */
        if (o.present & MP_MPTCP_HAS_TCPRST) {
            MP_MPTCP_CTR(msk, MPTCP_MP_RST_RX);
            sf->rst_reason = o.rst.reason;
            mp_mptcp_trace_sf(msk, sf, "subflow.reset", now);
        }
        if (o.present & MP_MPTCP_HAS_FAIL)
            MP_MPTCP_CTR(msk, MPTCP_MP_FAIL_RX);
        if ((o.present & MP_MPTCP_HAS_FASTCLOSE) && !msk->fallback)
            fastclose_input(sf, o.fastclose.rcv_key, true, now);
        goto out;
    }
    enum mp_tcp_state st = mp_tcp_conn_state(c);
    if ((tcp_flags & MP_TCP_SYN) && (tcp_flags & MP_TCP_ACK) && st == MP_TCP_SYN_SENT) {
        struct mp_tcp_info ti;
        mp_tcp_get_info(c, &ti);
        sf->irs = ti.irs;
        sf->iss = ti.iss;
        synack_input(sf, &o, now);
        goto out;
    }
    if (st == MP_TCP_SYN_RECEIVED) {
        third_ack_input(sf, &o, now);
        if (msk->fallback || !sf->ssk)
            goto out;
    }
    if (msk->fallback)
        goto out;
    sf->opts_missing = false;
    if (!o.present && !o.malformed) {
        opts_missing(sf, tcp_flags, now);
        if (msk->fallback)
            goto out;
    }
    if (o.present & MP_MPTCP_HAS_FASTCLOSE) {
        fastclose_input(sf, o.fastclose.rcv_key, false, now);
        goto out;
    }
    if (o.present & MP_MPTCP_HAS_PRIO)
        mp_mptcp_pm_prio_input(msk, sf, &o.prio, now);
    if (o.present & MP_MPTCP_HAS_REMOVE_ADDR)
        mp_mptcp_pm_rm_addr_input(msk, &o.rm, now);
    if (o.present & MP_MPTCP_HAS_FAIL)
        fail_input(sf, o.fail.dsn, now);
    if (msk->dead || !sf->ssk)
        goto out;
    if (o.present & MP_MPTCP_HAS_CAPABLE && o.mpc.nkeys == 2 && o.mpc.has_data_len &&
        sf->kind == MP_SF_MPC && sf->passive && st != MP_TCP_SYN_RECEIVED) {
        /* The first data again (the third ACK's copy was lost or this is a
         * retransmission): its implied mapping. */
        struct mp_mptcp_map m = {.dsn = msk->remote_idsn + 1, .seq = sf->irs + 1,
                                 .len = o.mpc.data_len, .csum = o.mpc.has_csum,
                                 .csum_val = o.mpc.csum};
        map_add(sf, &m);
    }
    if (o.present & MP_MPTCP_HAS_ADD_ADDR) {
        /* Any MPTCP option of the established state proves that the peer
         * took our third ACK: the handshake is over (ADD_ADDR goes on a
         * pure ACK without DSS). */
        peer_took_handshake(sf, now);
        mp_mptcp_pm_add_addr_input(msk, sf, &o.add_addr, now);
    }
    if (!(o.present & MP_MPTCP_HAS_DSS)) {
        /* RFC 8684 3.1: our third ACK never reached the peer's MPTCP (a
         * middlebox stripped it, or the peer fell back): it answers with
         * neither MP_CAPABLE nor DSS. Go on as TCP before this segment's
         * data is taken. */
        if (sf->kind == MP_SF_MPC && !sf->passive && sf->mpc_ack_pending &&
            !(o.present & MP_MPTCP_HAS_CAPABLE) && msk->subflows->len == 1)
            mp_mptcp_do_fallback(msk, MP_CTR_MPTCP_MP_CAPABLE_DATA_FALLBACK, now);
        goto out;
    }
    const struct mp_mptcp_dss *d = &o.dss;
    /* The peer sends DSS: it has our key (MP_CAPABLE), or this is the
     * fourth ACK of our join. */
    peer_took_handshake(sf, now);
    if (d->has_map && !msk->peer_key_known)
        goto out;
    if (d->has_map) {
        uint64_t dsn = d->dsn64 ? d->dsn : mp_mptcp_expand_seq(msk->rcv_nxt, (uint32_t)d->dsn);
        if (d->dsn64)
            msk->use_64bit_ack = true;
        if (d->data_len == 0) {
            /* An infinite mapping (RFC 8684 3.7): from this segment on the
             * subflow is the stream; the connection goes on as TCP (this
             * segment's data included: TCP keeps it now). */
            MP_MPTCP_CTR(msk, MPTCP_INFINITE_MAP_RX);
            mp_mptcp_trace_sf(msk, sf, "infinite_map.rx", now);
            if (dsn != msk->rcv_nxt)
                MP_MPTCP_CTR(msk, MPTCP_DSS_NOT_MATCHING);
            if (d->has_ack) {
                uint64_t ack = d->ack64 ? d->data_ack
                                        : mp_mptcp_expand_seq(msk->snd_una, (uint32_t)d->data_ack);
                mp_mptcp_data_ack(msk, sf, ack, now);
            }
            mp_mptcp_do_fallback(msk, MP_CTR__COUNT, now);
            goto out;
        } else {
            uint32_t dlen = d->data_len - (d->data_fin ? 1u : 0u);
            if (d->data_fin)
                mp_mptcp_data_fin_recv(msk, dsn + dlen, now);
            if (dlen && d->ssn != 0) {
                struct mp_mptcp_map m = {.dsn = dsn, .seq = sf->irs + d->ssn, .len = dlen,
                                         .data_fin = d->data_fin, .csum = d->has_csum,
                                         .csum_val = d->csum};
                map_add(sf, &m);
            }
        }
    }
    if (d->has_ack) {
        uint64_t ack = d->ack64 ? d->data_ack : mp_mptcp_expand_seq(msk->snd_una, (uint32_t)d->data_ack);
        mp_mptcp_data_ack(msk, sf, ack, now);
    }
out:
    mp_mptcp_leave(msk);
}

static void sf_loss(void *arg, struct mp_tcp_conn *c, uint32_t seq, uint32_t len,
                    const union mp_rtx_meta *meta, mp_time_t now)
{
    struct mp_mptcp_subflow *sf = arg;
    (void)seq;
    (void)len;
    (void)meta;
    /* TCP retransmits on this subflow with the same mapping; the
     * connection's retransmission timer reinjects elsewhere when the data
     * level stalls (protocol.c), as Linux does. A retransmission timeout
     * (the backoff grew) is one interval of the stale check. */
    uint32_t b = mp_tcp_backoff(c);
    if (b > sf->rto_seen) {
        mp_mptcp_enter(sf->msk);
        mp_mptcp_check_stale(sf->msk, sf, now);
        mp_mptcp_leave(sf->msk);
    }
    sf->rto_seen = b;
}

const struct mp_tcp_ext mp_mptcp_subflow_ext = {
    .opt_space = sf_opt_space,
    .write_opts = sf_write_opts,
    .pull = sf_pull,
    .rcv_wnd = sf_rcv_wnd,
    .deliver = sf_deliver,
    .input_opts = sf_input_opts,
    .loss = sf_loss,
};

/* ---- TCP callbacks of a subflow ---- */

static void sf_connected(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    struct mp_mptcp_subflow *sf = arg;
    struct mp_mptcp_sock *msk = sf->msk;
    mp_mptcp_enter(msk);
    sf->established = true;
    if (!sf->passive || sf->kind == MP_SF_JOIN) {
        struct mp_tcp_info ti;
        mp_tcp_get_info(c, &ti);
        sf->irs = ti.irs;
        sf->iss = ti.iss;
    }
    /* Without the extension (MPTCP off) the SYN-ACK was not seen: the
     * race is decided here. */
    if (sf->kind == MP_SF_MPC && !sf->passive && !msk->first)
        mp_mptcp_race_won(msk, sf, now);
    if (sf->kind == MP_SF_MPC && !sf->passive && msk->first != sf) {
        sf->refuse = true;
        sf->lost_race = true;
    }
    if (sf->refuse) {
        /* The SYN/ACK of our join failed its checks: reset with
         * MP_TCPRST (RFC 8684 3.2); a lost race with a plain RST. */
        sf->send_rst_reason = !sf->lost_race;
        mp_tcp_abort(c, now);
        sf->ssk = NULL; /* released: no closed callback comes */
        mp_mptcp_subflow_gone(msk, sf, -ECONNRESET, now);
        mp_mptcp_leave(msk);
        return;
    }
    mp_mptcp_subflow_up(msk, sf, now);
    if (sf->kind == MP_SF_MPC) {
        mp_mptcp_first_established(msk, now);
    } else if (sf->join_ack_pending) {
        sf->join_ack_pending = false;
        mp_tcp_ack_now(c, now); /* the fourth ACK */
        mp_mptcp_push(msk, now);
    } else if (!sf->passive) {
        /* Our third ACK carries the HMAC; the listener's fourth ACK
         * confirms it (until then the ACK option repeats). */
        mp_tcp_ack_now(c, now);
    }
    mp_mptcp_leave(msk);
}

static void sf_readable(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    struct mp_mptcp_subflow *sf = arg;
    struct mp_mptcp_sock *msk = sf->msk;
    (void)c;
    /* Only a connection in fallback reads its subflow's TCP buffer; EOF
     * of a subflow is the subflow's business otherwise. */
    if (msk->fallback && sf == msk->first && msk->owned && msk->cbs.readable)
        msk->cbs.readable(msk->cbs.arg, msk, now);
}

static void sf_writable(void *arg, struct mp_tcp_conn *c, mp_time_t now)
{
    struct mp_mptcp_subflow *sf = arg;
    struct mp_mptcp_sock *msk = sf->msk;
    (void)c;
    if (!msk->fallback || sf != msk->first || !mp_mptcp_fallback_drain(msk, now))
        return;
    if (msk->owned && msk->cbs.writable)
        msk->cbs.writable(msk->cbs.arg, msk, now);
}

static void sf_closed(void *arg, struct mp_tcp_conn *c, int err, mp_time_t now)
{
    struct mp_mptcp_subflow *sf = arg;
    (void)c;
    mp_mptcp_subflow_gone(sf->msk, sf, err, now);
}

void mp_mptcp_subflow_cbs(struct mp_mptcp_subflow *sf, struct mp_tcp_cbs *cbs)
{
    memset(cbs, 0, sizeof(*cbs));
    cbs->connected = sf_connected;
    cbs->readable = sf_readable;
    cbs->writable = sf_writable;
    cbs->closed = sf_closed;
    cbs->arg = sf;
}

struct mp_mptcp_subflow *mp_mptcp_subflow_new(struct mp_mptcp_sock *msk, struct mp_tcp_conn *ssk,
                                              enum mp_sf_kind kind, bool passive)
{
    struct mp_mptcp_subflow *sf = g_new0(struct mp_mptcp_subflow, 1);
    sf->msk = msk;
    sf->ssk = ssk;
    sf->kind = kind;
    sf->passive = passive;
    sf->id = msk->next_sf_id++;
    g_ptr_array_add(msk->subflows, sf);
    return sf;
}

/* ---- the listener ---- */

/* A SYN refused: the RST carries MP_TCPRST with the reason in |arg|. */
static uint32_t refuse_opt_space(void *arg, struct mp_tcp_conn *c, uint32_t flags)
{
    (void)arg;
    (void)c;
    return (flags & MP_TCP_SEG_RST) ? MP_MPTCP_LEN_TCPRST : 0;
}

static size_t refuse_write_opts(void *arg, struct mp_tcp_conn *c,
                                const struct mp_tcp_seg_info *seg, uint8_t *buf, size_t len)
{
    (void)c;
    if (!(seg->flags & MP_TCP_SEG_RST))
        return 0;
    struct mp_mptcp_tcprst r = {.reason = *(const uint8_t *)arg};
    return mp_mptcp_write_tcprst(buf, len, &r);
}

static const struct mp_tcp_ext refuse_ext = {
    .opt_space = refuse_opt_space,
    .write_opts = refuse_write_opts,
};
static const uint8_t reason_mptcp_error = 1;

static int listener_syn(void *arg, struct mp_tcp_conn *l, struct mp_tcp_conn *child,
                        const uint8_t *opts, size_t olen, mp_time_t now)
{
    struct mp_mptcp_sock *lmsk = arg;
    struct mp_mptcp_stack *st = lmsk->st;
    struct mp_mptcp_opts o;
    (void)l;
    if (mp_mptcp_opts_parse(opts, olen, &o) < 0 || o.malformed)
        mp_ctr_inc(&st->h->ctr, MP_CTR_MPTCP_OPT_MALFORMED);
    if (o.present & MP_MPTCP_HAS_JOIN) {
        mp_ctr_inc(&st->h->ctr, MP_CTR_MPTCP_MP_JOIN_SYN_RX);
        struct mp_mptcp_sock *msk = mp_mptcp_token_lookup(st->tokens, o.join.token);
        if (!msk || msk->dead || msk->fallback || msk->is_listener ||
            o.join.kind != MP_JOIN_SYN) {
            /* RFC 8684 3.2 / Linux: an unknown token: RST with MP_TCPRST
             * "MPTCP-specific error". This is how a join to an address of
             * another host fails. */
            mp_ctr_inc(&st->h->ctr, MP_CTR_MPTCP_MP_JOIN_NO_TOKEN_FOUND);
            mp_ctr_inc(&st->h->ctr, MP_CTR_MPTCP_MP_RST_TX);
            mp_tcp_set_ext(child, &refuse_ext, (void *)&reason_mptcp_error);
            return -1;
        }
        mp_tcp_claim(child);
        struct mp_mptcp_subflow *sf = mp_mptcp_subflow_new(msk, child, MP_SF_JOIN, true);
        struct mp_endpoint le;
        mp_tcp_endpoints(child, &le, NULL);
        sf->local_id = mp_mptcp_pm_local_id(msk, &le.ip);
        sf->remote_id = o.join.addr_id;
        sf->remote_nonce = o.join.nonce;
        sf->peer_backup = (o.join.flags & MP_JOIN_FLAG_B) != 0;
        sf->local_nonce = mp_rng_u32(&st->rng);
        struct mp_tcp_info ti;
        mp_tcp_get_info(child, &ti);
        sf->irs = ti.irs;
        sf->iss = ti.iss;
        mp_tcp_set_ext(child, &mp_mptcp_subflow_ext, sf);
        struct mp_tcp_cbs cbs;
        mp_mptcp_subflow_cbs(sf, &cbs);
        mp_tcp_set_cbs(child, &cbs);
        mp_mptcp_trace_sf(msk, sf, "join.syn", now);
        return 0;
    }
    /* A new connection: MP_CAPABLE, or plain TCP (fallback), as Linux's
     * MPTCP listener takes both. */
    struct mp_mptcp_sock *msk = mp_mptcp_sock_new(st, &lmsk->topts);
    msk->parent = lmsk;
    msk->state = MP_TCP_SYN_RECEIVED;
    msk->cbs = lmsk->cbs;
    msk->pm = lmsk->pm;
    struct mp_mptcp_subflow *sf = mp_mptcp_subflow_new(msk, child, MP_SF_MPC, true);
    msk->first = sf;
    struct mp_tcp_info ti;
    mp_tcp_get_info(child, &ti);
    sf->irs = ti.irs;
    sf->iss = ti.iss;
    struct mp_tcp_cbs cbs;
    mp_mptcp_subflow_cbs(sf, &cbs);
    mp_tcp_set_cbs(child, &cbs);
    const struct mp_mptcp_capable *mpc = &o.mpc;
    bool ok = (o.present & MP_MPTCP_HAS_CAPABLE) && mpc->nkeys == 0 &&
              mpc->version == MP_MPTCP_VERSION && !(mpc->flags & MP_MPC_FLAG_B) &&
              (mpc->flags & MP_MPC_FLAG_H);
    if (o.present & MP_MPTCP_HAS_CAPABLE)
        MP_MPTCP_CTR(msk, MPTCP_MP_CAPABLE_SYNRX);
    if (ok && mp_mptcp_new_key(msk) == 0) {
        if ((mpc->flags & MP_MPC_FLAG_A) || st->o.checksum)
            msk->csum = true;
        mp_tcp_set_ext(child, &mp_mptcp_subflow_ext, sf);
    } else {
        if (ok)
            MP_MPTCP_CTR(msk, MPTCP_MP_FALLBACK_TOKEN_INIT);
        msk->fallback = true;
        /* Plain TCP, but the accept finds the connection through it. */
        mp_tcp_set_ext(child, &mp_mptcp_fallback_ext, sf);
    }
    return 0;
}

const struct mp_tcp_ext mp_mptcp_listener_ext = {
    .syn_request = listener_syn,
};
