/*
 * afmp: TCP internals shared by tcp.c, tcp_in.c, tcp_out.c and tcp_timer.c.
 */
#ifndef MP_TCP_INT_H
#define MP_TCP_INT_H

#include <glib.h>

#include "model/env.h"
#include "model/net/host.h"
#include "model/tcp/cc.h"
#include "model/tcp/prr.h"
#include "model/tcp/rack.h"
#include "model/tcp/reass.h"
#include "model/tcp/rtt.h"
#include "model/tcp/rtxq.h"
#include "model/tcp/sndbuf.h"
#include "model/tcp/tcp.h"
#include "model/tcp/tcp_opt.h"

/* Linux: TCP_MAX_QUICKACKS, TCP_DELACK_MAX, TCP_TIMEOUT_INIT. */
#define MP_TCP_MAX_QUICKACKS 16u
#define MP_TCP_DELACK_MAX MP_MS(200)
#define MP_TCP_TS_UNIT MP_MS(1)
#define MP_TCP_DEFAULT_MSS 536u /* RFC 9293 3.7.1: without an MSS option */
/* Linux TCP_PAWS_WINDOW: a timestamp this many units older still passes. */
#define MP_TCP_PAWS_WINDOW 1u
/* Linux tcp_invalid_ratelimit: one duplicate ACK per this interval for
 * out-of-window or PAWS-failing pure ACKs (ACK-loop protection). */
#define MP_TCP_INVALID_RATELIMIT MP_MS(500)
/* Linux SOCK_MIN_RCVBUF / SOCK_MIN_SNDBUF. */
#define MP_TCP_SOCK_MIN_RCVBUF 2304u
#define MP_TCP_SOCK_MIN_SNDBUF 4608u
/* net.core.rmem_max: the window scale covers at least this much. */
#define MP_TCP_RMEM_MAX_CORE 212992u
/* A worst-case skb's overheads in tcp_sndbuf_expand() (x86_64):
 * MAX_TCP_HEADER, SKB_DATA_ALIGN(sizeof(struct skb_shared_info)),
 * SKB_DATA_ALIGN(sizeof(struct sk_buff)). */
#define MP_TCP_MAX_HEADER 320u
#define MP_TCP_SKB_SHINFO 320u
#define MP_TCP_SKB_STRUCT 256u
/* net.ipv4.tcp_pacing_ss_ratio / tcp_pacing_ca_ratio, percent. */
#define MP_TCP_PACING_SS_RATIO 200u
#define MP_TCP_PACING_CA_RATIO 120u
/* tcp_send_delayed_ack(): the ATO's bound before TCP_DELACK_MAX (HZ / 2). */
#define MP_TCP_ATO_MAX MP_MS(500)

struct mp_tcp_stack {
    struct mp_host *h;
    const struct mp_env *env;
    struct mp_tcp_opts defaults;
    struct mp_rng isn_rng;
    GHashTable *conns;     /* struct mp_tcp_key * -> conn (lookups only) */
    /* The conns last found in |conns|, by a cheap hash of the ports: a
     * bulk transfer finds its conn here, without the table's hash, probe
     * and key compare through pointers. Cleared on unhash. */
    struct mp_tcp_conn *demux_cache[8];
    /* Output's scratch buffer for a pull (an MPTCP subflow) that cannot go
     * straight into the send buffer, kept between calls: a receiver's
     * subflows try to pull at every ACK they send. A nested output (from
     * inside a pull) finds it busy and allocates its own. */
    uint8_t *scratch;
    uint32_t scratch_cap;
    bool scratch_busy;
    GPtrArray *listeners;  /* conn *, in creation order */
    GPtrArray *all;        /* every live conn, in creation order */
    GPtrArray *zombies;    /* ended conns their owner has not released yet */
    uint64_t next_id;
    /* RFC 5961 7: the host-wide challenge-ACK budget of the current second
     * (Linux tcp_challenge_count / tcp_challenge_timestamp). */
    struct mp_rng challenge_rng;
    uint64_t challenge_second;
    uint32_t challenge_count;
};

/* A 4-tuple, laid out for hashing and memcmp. */
struct mp_tcp_key {
    uint8_t v;
    uint8_t laddr[16], raddr[16];
    uint16_t lport, rport;
};

struct mp_tcp_conn {
    struct mp_tcp_stack *st;
    uint64_t id;
    enum mp_tcp_state state;
    struct mp_endpoint local, remote;
    struct mp_tcp_key key;
    bool hashed;
    struct mp_tcp_opts o;
    struct mp_tcp_cbs cbs;
    const struct mp_tcp_ext *ext;
    void *ext_arg;

    /* life */
    bool owned;       /* the owner holds a handle */
    bool dead;        /* removed from the stack: free when not busy */
    bool zombie;      /* dead but owned: on st->zombies */
    int busy;         /* entry-point nesting depth */
    int err;          /* pending error (negative errno) */
    int err_soft;     /* Linux sk_err_soft: last ICMP error, reported at a timeout */
    bool passive;     /* created by a listener */
    bool active_open; /* SYN_SENT was entered (for simultaneous open) */
    struct mp_tcp_conn *listener; /* parent while not yet accepted */
    GQueue acceptq;   /* listener: established children */
    uint32_t backlog;
    uint32_t nchildren; /* listener: children not yet accepted */

    /* send side */
    uint32_t iss;
    uint32_t snd_una, snd_nxt, snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
    uint8_t snd_ws, rcv_ws;
    bool ws_ok, sack_ok, ts_ok;
    uint32_t mss_clamp;  /* our MSS from the route */
    uint32_t mss_peer;   /* from the peer's SYN */
    uint32_t mss;        /* send MSS: min of both, options excluded */
    bool wr_shut;        /* shutdown(WR): FIN after the queued data */
    bool fin_sent;
    uint32_t fin_seq;
    struct mp_sndbuf sb;
    struct mp_rtxq q;
    struct mp_rtt rtt;
    struct mp_cc_state cc;
    bool cc_ok;
    struct mp_prr prr;
    uint32_t high_seq;   /* snd_nxt when recovery / loss began */
    uint32_t dupacks;
    struct mp_rack rack;  /* RFC 8985, with SACK */
    /* Undo (Linux tcp_may_undo): the episode began at undo_marker;
     * undo_retrans counts its retransmissions not yet D-SACKed;
     * retrans_stamp is its first retransmission (Eifel, RFC 3522). */
    bool undo_valid;
    uint32_t undo_marker;
    uint32_t undo_retrans;
    mp_time_t retrans_stamp;
    bool writable_armed; /* owner waits for space */
    bool sb_shrunk;      /* an ACK freed send-buffer space (Linux SOCK_QUEUE_SHRUNK) */
    bool snd_locked;     /* no send-buffer autotuning (SO_SNDBUF) */
    /* Pacing (tcp_tune.c): Linux sk_pacing_rate in bytes/s (0: no RTT
     * yet), the earliest departure of the next data segment
     * (tcp_wstamp_ns), the timer waiting for it. */
    uint64_t pacing_rate;
    mp_time_t pace_next, pace_at;
    uint64_t data_segs_out;
    uint64_t bytes_acked, retrans_segs;
    bool cwnd_limited;     /* the last output stopped at cwnd */

    /* receive side */
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge advertised */
    struct mp_reass rq;
    /* In-order bytes for the application: the arriving packets themselves,
     * cut to their payload (no copy until recv), or copies of what the
     * reassembly queue hands over; rcvq_off bytes of the first are read. */
    struct mp_pkt_queue rcvq;
    uint32_t rcvq_off;
    bool fin_rcvd;
    bool fin_pending;      /* FIN seen beyond rcv_nxt */
    uint32_t fin_pending_seq;
    uint32_t ts_recent;
    uint32_t ts_offset;
    uint32_t last_ack_sent;
    mp_time_t last_oow_ack; /* last duplicate ACK for an invalid segment (NEVER: none) */
    uint64_t bytes_received;
    /* Receive buffer and DRS (tcp_tune.c): Linux sk_rcvbuf (memory; the
     * window is half), copied_seq, rcvq_space (bytes read in the last
     * receiver RTT, counted from rcvq_seq at rcvq_time), the receiver's
     * RTT estimate rcv_rtt_est and the peer's segment size estimate. */
    size_t rcvbuf;
    bool rcv_locked;
    uint32_t copied_seq;
    uint32_t rcvq_space, rcvq_seq;
    mp_time_t rcvq_time;
    mp_time_t rcv_rtt;        /* 0: no sample */
    uint32_t rcv_rtt_last_tsecr;
    uint32_t rcv_rtt_seq;     /* without timestamps: the window's end */
    mp_time_t rcv_rtt_time;   /* ... and when it was set (NEVER: not yet) */
    uint32_t rcv_mss;

    /* ACK policy */
    bool ack_now;
    uint32_t rcv_unacked; /* bytes received since our last ACK */
    uint32_t quickack;
    mp_time_t delack_at;
    mp_time_t ato;         /* Linux icsk_ack.ato (0: no data yet) */
    mp_time_t lrcvtime;    /* last in-order data segment */

    /* timers (one deadline) */
    struct mp_deadline dl;
    mp_time_t rto_at, persist_at, ka_at, tw_at;
    mp_time_t rack_at, tlp_at; /* RACK reordering timer, tail loss probe */
    uint32_t retries;      /* RTO expiries in a row */
    uint32_t persist_backoff;
    uint32_t ka_probes;
    mp_time_t last_rcv;    /* for keepalive */
};

/* tcp.c */
void mp_tcp_set_state(struct mp_tcp_conn *c, enum mp_tcp_state s, mp_time_t now);
/* Ends the connection with |err| (0: orderly) and removes it from the
 * stack; the owner learns through |closed|. */
void mp_tcp_done(struct mp_tcp_conn *c, int err, mp_time_t now);
struct mp_tcp_conn *mp_tcp_lookup(struct mp_tcp_stack *st, const struct mp_ip *laddr,
                                  uint16_t lport, const struct mp_ip *raddr, uint16_t rport);
struct mp_tcp_conn *mp_tcp_conn_new(struct mp_tcp_stack *st, const struct mp_tcp_opts *o);
int mp_tcp_hash(struct mp_tcp_conn *c);
void mp_tcp_enter(struct mp_tcp_conn *c);
void mp_tcp_leave(struct mp_tcp_conn *c);
/* Sets up the send MSS, buffers and congestion control once the peer's SYN
 * options are known. */
void mp_tcp_init_transfer(struct mp_tcp_conn *c, mp_time_t now);
void mp_tcp_notify_readable(struct mp_tcp_conn *c, mp_time_t now);
void mp_tcp_child_established(struct mp_tcp_conn *c, mp_time_t now);
uint32_t mp_tcp_rcv_space(const struct mp_tcp_conn *c);
void mp_tcp_trace_ack(struct mp_tcp_conn *c, mp_time_t now);

/* tcp_tune.c */
/* Sets the buffers and their locks from the options (at creation). */
void mp_tcp_buf_init(struct mp_tcp_conn *c);
/* The largest window the receive buffer offers (Linux tcp_full_space). */
size_t mp_tcp_rcv_full_space(const struct mp_tcp_conn *c);
/* The window scale to offer in the SYN. */
uint8_t mp_tcp_rcv_wscale(const struct mp_tcp_conn *c);
/* Linux tcp_init_buffer_space(), once the handshake options are known. */
void mp_tcp_init_buffer_space(struct mp_tcp_conn *c, mp_time_t now);
/* After an ACK freed send-buffer space and output ran: grows the send
 * buffer if it limited the sender, and wakes a writer at the low-water
 * mark (may call the owner's writable callback). */
void mp_tcp_check_space(struct mp_tcp_conn *c, mp_time_t now);
/* A data segment of |dlen| bytes arrived (timestamp echo |tsecr| when
 * |has_ts|): the receiver's RTT estimate. */
void mp_tcp_rcv_rtt_measure(struct mp_tcp_conn *c, bool has_ts, uint32_t tsecr, uint32_t dlen,
                            mp_time_t now);
/* The application read up to copied_seq: DRS, once per receiver RTT. */
void mp_tcp_rcv_space_adjust(struct mp_tcp_conn *c, mp_time_t now);
/* Memory the reassembly queue may use now. */
size_t mp_tcp_rcv_mem_free(struct mp_tcp_conn *c);
/* Recomputes pacing_rate from cwnd and srtt. */
void mp_tcp_update_pacing_rate(struct mp_tcp_conn *c);
/* True when pacing holds data back now (pace_at is then set). */
bool mp_tcp_pacing_wait(struct mp_tcp_conn *c, mp_time_t now);
/* A data segment of |len| bytes left: advances the pacing clock. */
void mp_tcp_pacing_sent(struct mp_tcp_conn *c, uint32_t len, mp_time_t now);
/* In-order data arrived: adapts the ATO (Linux tcp_event_data_recv). */
void mp_tcp_event_data_recv(struct mp_tcp_conn *c, mp_time_t now);
/* How long an ACK may be delayed now. */
mp_time_t mp_tcp_delack_timeout(const struct mp_tcp_conn *c);
/* The delayed-ACK timer fired: the ATO grows. */
void mp_tcp_delack_missed(struct mp_tcp_conn *c);

/* tcp_in.c */
void mp_tcp_input(void *arg, struct mp_host *h, struct mp_pkt *pkt, const struct mp_ip_meta *m);
/* The protocol-6 ICMP/ICMPv6 error handler (Linux tcp_v4_err/tcp_v6_err). */
void mp_tcp_icmp_error(void *arg, struct mp_host *h, const struct mp_ip_error *e);

/* RACK's reordering timer expired (tcp_in.c). */
void mp_tcp_rack_timeout(struct mp_tcp_conn *c, mp_time_t now);

/* tcp_out.c */
/* RFC 8985 7.3: sends one tail loss probe (new data, else the last
 * segment again). Returns true when a probe went out. */
bool mp_tcp_send_probe(struct mp_tcp_conn *c, mp_time_t now);
/* Sends whatever the windows allow, then an ACK if one is owed. */
void mp_tcp_output(struct mp_tcp_conn *c, mp_time_t now);
void mp_tcp_send_syn(struct mp_tcp_conn *c, bool retrans, mp_time_t now);
void mp_tcp_send_ack(struct mp_tcp_conn *c, mp_time_t now);
/* A pure ACK with sequence number |seq| (zero-window and keepalive probes
 * use snd_una - 1). */
void mp_tcp_send_ack_seq(struct mp_tcp_conn *c, uint32_t seq, mp_time_t now);
void mp_tcp_send_rst(struct mp_tcp_conn *c, mp_time_t now);
/* Refuses the SYN that made |c| (SYN_RECEIVED): <SEQ=0><ACK=rcv_nxt><RST,ACK>. */
void mp_tcp_send_rst_syn(struct mp_tcp_conn *c, mp_time_t now);
/* A RST for a segment that has no connection (RFC 9293 3.10.7.1). */
void mp_tcp_send_rst_reply(struct mp_tcp_stack *st, const struct mp_ip_meta *m,
                           const struct mp_wire_tcp *th, uint32_t seglen);
/* Retransmits the segment at the head of the queue (RTO). */
void mp_tcp_retransmit_head(struct mp_tcp_conn *c, mp_time_t now);
uint32_t mp_tcp_window_to_advertise(struct mp_tcp_conn *c);

/* tcp_timer.c */
mp_time_t mp_tcp_expire(void *obj, mp_time_t now);
void mp_tcp_timer_update(struct mp_tcp_conn *c);
void mp_tcp_arm_rto(struct mp_tcp_conn *c, mp_time_t now);
/* RFC 8985 7.2: (re)arms the probe timeout when the rules allow one,
 * else clears it. */
void mp_tcp_arm_tlp(struct mp_tcp_conn *c, mp_time_t now);

#define MP_TCP_CTR(c, id) mp_ctr_inc(&(c)->st->h->ctr, MP_CTR_##id)

/* Bytes waiting in the receive queue for the application. */
static inline size_t mp_tcp_rcvq_held(const struct mp_tcp_conn *c)
{
    return (size_t)(c->rcvq.bytes - c->rcvq_off);
}

#endif
