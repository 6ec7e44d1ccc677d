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

struct mp_tcp_stack {
    struct mp_host *h;
    const struct mp_env *env;
    struct mp_tcp_opts defaults;
    struct mp_rng isn_rng;
    GHashTable *conns;     /* struct mp_tcp_key * -> conn (lookups only) */
    GPtrArray *listeners;  /* conn *, in creation order */
    GPtrArray *all;        /* every live conn, in creation order */
    uint64_t next_id;
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
    uint64_t bytes_acked, retrans_segs;
    bool cwnd_limited;     /* the last output stopped at cwnd */

    /* receive side */
    uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge advertised */
    struct mp_reass rq;
    GByteArray *rcvq;
    size_t rcvq_off;
    bool fin_rcvd;
    bool fin_pending;      /* FIN seen beyond rcv_nxt */
    uint32_t fin_pending_seq;
    uint32_t ts_recent;
    uint32_t ts_offset;
    uint32_t last_ack_sent;
    mp_time_t last_oow_ack; /* last duplicate ACK for an invalid segment (NEVER: none) */
    uint64_t bytes_received;

    /* ACK policy */
    bool ack_now;
    uint32_t rcv_unacked; /* bytes received since our last ACK */
    uint32_t quickack;
    mp_time_t delack_at;

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

#endif
