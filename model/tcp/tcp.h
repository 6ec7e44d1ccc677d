/*
 * afmp: TCP, the public API (issue 6).
 *
 * Sans-IO: every entry point takes the current time |now| as its last
 * argument and never reads a clock; segments leave through the host's IP
 * layer (mp_host_ip_send) and arrive through the protocol-6 handler that
 * mp_tcp_attach() registers; each connection keeps one deadline on the
 * host's environment (RTO, delayed ACK, zero-window probe, keepalive,
 * TIME_WAIT, RACK, tail loss probe, pacing), moved only when it comes
 * earlier.
 *
 * Ownership. A connection returned by mp_tcp_connect(), mp_tcp_listen() or
 * mp_tcp_accept() belongs to its owner until mp_tcp_close() or
 * mp_tcp_abort(); after that the stack keeps it as long as the protocol
 * needs (FIN_WAIT, TIME_WAIT) and frees it itself, and no callback runs for
 * it any more. The owner may call any entry point from inside a callback.
 *
 * Errors are negative errno values, as Linux reports them to sockets.
 *
 * The extension table (struct mp_tcp_ext) is how MPTCP rides on a
 * connection without TCP knowing anything of it (DESIGN.md).
 */
#ifndef MP_TCP_TCP_H
#define MP_TCP_TCP_H

#include <sys/types.h>

#include "model/tcp/cc.h"
#include "model/tcp/rtxq.h"
#include "model/tcp/sndbuf.h"
#include "model/types.h"

struct mp_host;
struct mp_tcp_stack;
struct mp_tcp_conn;

/* RFC 9293 3.3.2. */
enum mp_tcp_state {
    MP_TCP_CLOSED,
    MP_TCP_LISTEN,
    MP_TCP_SYN_SENT,
    MP_TCP_SYN_RECEIVED,
    MP_TCP_ESTABLISHED,
    MP_TCP_FIN_WAIT_1,
    MP_TCP_FIN_WAIT_2,
    MP_TCP_CLOSE_WAIT,
    MP_TCP_CLOSING,
    MP_TCP_LAST_ACK,
    MP_TCP_TIME_WAIT,
};

/* "ESTABLISHED", "SYN-SENT", ... as RFC 9293 spells them. */
const char *mp_tcp_state_name(enum mp_tcp_state s);

/*
 * Buffers, as Linux sizes them (sk_rcvbuf, sk_sndbuf).
 *
 * |rcvbuf| is memory: Linux charges a segment's truesize (payload plus
 * overhead) to it, and with its default scaling ratio (tcp_adv_win_scale 1,
 * 50%) the window it offers is half the buffer. afmp keeps only payload, so
 * it offers rcvbuf / 2 less the bytes waiting to be read. |sndbuf| bounds the
 * payload queued for sending (Linux with TSO: truesize ~ payload).
 *
 * Autotuning (net.ipv4.tcp_moderate_rcvbuf = 1). Unless locked, a
 * connection starts with rcvbuf = rmem[1] and sndbuf = wmem[1] and moves
 * them within [rmem[0], rmem[2]] and [wmem[0], wmem[2]]: the receive buffer
 * grows each receiver RTT with what the application read in it (Linux
 * tcp_rcv_space_adjust), the send buffer with cwnd (tcp_sndbuf_expand). A
 * locked direction (SO_RCVBUF / SO_SNDBUF, Linux SOCK_RCVBUF_LOCK and
 * SOCK_SNDBUF_LOCK) keeps rcvbuf / sndbuf as set; like Linux, the socket
 * layer stores twice the value the application passed.
 */
struct mp_tcp_opts {
    size_t sndbuf;          /* send buffer, bytes: the start (wmem[1]) or the fixed size */
    size_t rcvbuf;          /* receive buffer, bytes of memory: the window is half */
    size_t rmem[3];         /* net.ipv4.tcp_rmem: min, default, max (4096 131072 6291456) */
    size_t wmem[3];         /* net.ipv4.tcp_wmem: min, default, max (4096 16384 4194304) */
    bool rcvbuf_lock;       /* rcvbuf was set (SO_RCVBUF): no receive autotuning */
    bool sndbuf_lock;       /* sndbuf was set (SO_SNDBUF): no send autotuning */
    bool pacing;            /* pace data at the pacing rate (Linux internal pacing / fq) */
    /* net.ipv4.tcp_challenge_ack_limit: RFC 5961 challenge ACKs per second
     * for the whole host (read from the host's defaults); 0: no host-wide
     * limit, as Linux since 6.0 (INT_MAX). The per-connection limit (one
     * per 500 ms, tcp_invalid_ratelimit) always applies. */
    uint32_t challenge_ack_limit;
    uint32_t mss;           /* 0: from the route's MTU */
    bool sack;              /* RFC 2018 (net.ipv4.tcp_sack = 1) */
    bool timestamps;        /* RFC 7323 (tcp_timestamps = 1) */
    bool wscale;            /* RFC 7323 window scaling (tcp_window_scaling = 1) */
    bool nagle;             /* RFC 9293 3.7.4 (on unless TCP_NODELAY) */
    const char *cc;         /* congestion control by name: "cubic" */
    mp_time_t time_wait;    /* TIME_WAIT length: 60 s (Linux TCP_TIMEWAIT_LEN) */
    mp_time_t delack_min;   /* delayed-ACK timeout: 40 ms (TCP_ATO_MIN) */
    uint32_t syn_retries;   /* tcp_syn_retries: 6 */
    uint32_t synack_retries; /* tcp_synack_retries: 5 */
    uint32_t retries2;      /* tcp_retries2: 15 RTO expiries, then ETIMEDOUT */
    bool keepalive;         /* SO_KEEPALIVE */
    mp_time_t keepalive_time;  /* idle before the first probe: 7200 s */
    mp_time_t keepalive_intvl; /* between probes: 75 s */
    uint32_t keepalive_probes; /* unanswered probes before ETIMEDOUT: 9 */
    uint32_t sndlowat;      /* writable when this much space is free (0: sndbuf / 2) */
};

/* Linux's defaults: autotuned buffers within tcp_rmem / tcp_wmem, pacing
 * off, no host-wide challenge-ACK limit. */
void mp_tcp_opts_default(struct mp_tcp_opts *o);

/*
 * The owner's callbacks (the socket layer). Each is optional. |closed|
 * reports the end of the connection with 0 (orderly close) or the error
 * Linux would report: -ECONNREFUSED, -ECONNRESET, -ETIMEDOUT, -EPIPE.
 */
struct mp_tcp_cbs {
    void (*connected)(void *arg, struct mp_tcp_conn *c, mp_time_t now);
    void (*accept_ready)(void *arg, struct mp_tcp_conn *listener, mp_time_t now);
    void (*readable)(void *arg, struct mp_tcp_conn *c, mp_time_t now); /* data or EOF */
    void (*writable)(void *arg, struct mp_tcp_conn *c, mp_time_t now); /* space >= low-water */
    void (*closed)(void *arg, struct mp_tcp_conn *c, int err, mp_time_t now);
    void (*state_change)(void *arg, struct mp_tcp_conn *c, enum mp_tcp_state from,
                         enum mp_tcp_state to, mp_time_t now);
    void *arg;
};

/* Flags for mp_tcp_ext.opt_space / write_opts: what the segment is. */
enum mp_tcp_seg_flags {
    MP_TCP_SEG_SYN = 1u << 0,
    MP_TCP_SEG_SYNACK = 1u << 1,
    MP_TCP_SEG_DATA = 1u << 2,
    MP_TCP_SEG_FIN = 1u << 3,
    MP_TCP_SEG_RST = 1u << 4,
    MP_TCP_SEG_RETRANS = 1u << 5,
};

/* A segment under construction, for the extension's write_opts. */
struct mp_tcp_seg_info {
    uint32_t flags;                  /* enum mp_tcp_seg_flags */
    uint32_t seq, len;               /* data sequence range (len 0: none) */
    const union mp_rtx_meta *meta;   /* the data's metadata, or NULL */
};

/*
 * The extension table: callbacks and an opaque pointer set on a connection
 * with mp_tcp_set_ext(). Every callback is optional.
 *
 * opt_space   bytes of option space the extension claims on a segment of
 *             kind |flags|, before SACK and timestamps are added (RFC 8684's
 *             options come first: "40 bytes go fast"); rounded up to 4.
 * write_opts  writes the claimed options (at most |len| bytes) at |buf|;
 *             returns the bytes written (the rest is padded with NOPs).
 * pull        transmission is pulled: when the window opens TCP asks for
 *             the next chunk, at most |max| bytes written to |buf|, and its
 *             per-segment metadata |meta| (kept in the retransmission
 *             queue, handed back on retransmission). Returns the bytes, 0
 *             when there is nothing to send. Without pull TCP sends from its
 *             own send buffer (mp_tcp_send).
 * rcv_wnd     the receive window to advertise, bytes (the connection-level
 *             window); without it TCP's own buffer decides.
 * deliver     in-order bytes at |seq| with the options area of the segment
 *             that carried them (|opts|, |olen|, raw); with deliver set TCP
 *             does not buffer received data.
 * input_opts  every accepted segment's raw options area (MPTCP signalling
 *             on pure ACKs too), an acceptable RST's included (|tcp_flags|
 *             has MP_TCP_RST; the connection ends right after). Called
 *             for segments without options too (|olen| 0).
 * state_change, loss (a segment of |len| bytes at |seq| declared lost).
 * syn_request on a *listener*: a SYN made |child| (SYN_RECEIVED, nothing
 *             sent yet) with the SYN's raw options. The callback may set the
 *             child's extension (its SYN-ACK options then come from it) and
 *             may mp_tcp_claim() it. Returning a negative value refuses the
 *             SYN: the child answers with a RST (<SEQ=0><ACK=SEG.SEQ+1>,
 *             options from the child's extension when it has one) and goes
 *             away.
 *
 * For a segment that completes the passive handshake, input_opts runs
 * before the connection becomes ESTABLISHED, so the extension may check the
 * third ACK's options (and abort the child) first.
 */
struct mp_tcp_ext {
    uint32_t (*opt_space)(void *arg, struct mp_tcp_conn *c, uint32_t flags);
    size_t (*write_opts)(void *arg, struct mp_tcp_conn *c, const struct mp_tcp_seg_info *seg,
                         uint8_t *buf, size_t len);
    size_t (*pull)(void *arg, struct mp_tcp_conn *c, uint8_t *buf, size_t max,
                   union mp_rtx_meta *meta, mp_time_t now);
    uint32_t (*rcv_wnd)(void *arg, struct mp_tcp_conn *c);
    void (*deliver)(void *arg, struct mp_tcp_conn *c, uint32_t seq, const uint8_t *data, size_t len,
                    const uint8_t *opts, size_t olen, mp_time_t now);
    void (*input_opts)(void *arg, struct mp_tcp_conn *c, uint16_t tcp_flags, const uint8_t *opts,
                       size_t olen, mp_time_t now);
    void (*state_change)(void *arg, struct mp_tcp_conn *c, enum mp_tcp_state from,
                         enum mp_tcp_state to, mp_time_t now);
    void (*loss)(void *arg, struct mp_tcp_conn *c, uint32_t seq, uint32_t len,
                 const union mp_rtx_meta *meta, mp_time_t now);
    int (*syn_request)(void *arg, struct mp_tcp_conn *listener, struct mp_tcp_conn *child,
                       const uint8_t *opts, size_t olen, mp_time_t now);
};

/* A snapshot for results and tests. */
struct mp_tcp_info {
    enum mp_tcp_state state;
    uint32_t mss;            /* send MSS (payload of a full segment, options excluded) */
    uint32_t cwnd, ssthresh; /* segments */
    mp_time_t srtt, rttvar, rto;
    uint32_t in_flight;      /* bytes */
    uint32_t snd_wnd, rcv_wnd;
    uint32_t snd_una, snd_nxt, rcv_nxt;
    uint32_t iss, irs;
    uint8_t snd_wscale, rcv_wscale;
    bool sack_ok, ts_ok;
    uint64_t bytes_acked, bytes_received;
    uint64_t retrans_segs;
    uint32_t backoff;
    size_t rcvbuf, sndbuf;   /* current buffers (autotuned or locked), as SO_RCVBUF reads */
    uint64_t pacing_rate;    /* bytes/s (Linux sk_pacing_rate), computed even unpaced; 0: no RTT yet */
    mp_time_t ato;           /* delayed-ACK timeout now (Linux icsk_ack.ato) */
    mp_time_t rcv_rtt;       /* the receiver's RTT estimate (Linux rcv_rtt_est), 0: none */
};

/*
 * mp_tcp_attach registers TCP (protocol 6) on host |h| with |defaults| (NULL:
 * mp_tcp_opts_default()) for new connections, and returns the host's TCP.
 * ISNs and timestamp offsets come from stream "host/<name>/tcp/isn".
 */
struct mp_tcp_stack *mp_tcp_attach(struct mp_host *h, const struct mp_tcp_opts *defaults);
/* The TCP attached to |h|, or NULL. */
struct mp_tcp_stack *mp_tcp_stack_of(struct mp_host *h);
/* The options connections of |st| get unless told otherwise. */
const struct mp_tcp_opts *mp_tcp_stack_defaults(const struct mp_tcp_stack *st);
/* Unregisters and frees every connection silently (end of simulation). */
void mp_tcp_detach(struct mp_tcp_stack *st);

/*
 * mp_tcp_connect opens a connection to |remote| from |local| (NULL, or an
 * unspecified address: the route's source; port 0: an ephemeral port) with
 * options |o| (NULL: the stack's defaults) and callbacks |cbs| (copied; may
 * be NULL). Sends the SYN now. Stores the connection in |*out|.
 * Returns 0, or -EINVAL (bad family), -EADDRINUSE (the 4-tuple exists or
 * no ephemeral port is free), the routing errors of mp_host_route()
 * (-ENETUNREACH, -EHOSTUNREACH, -EADDRNOTAVAIL), -ENOENT (unknown cc).
 */
int mp_tcp_connect(struct mp_tcp_stack *st, const struct mp_endpoint *local,
                   const struct mp_endpoint *remote, const struct mp_tcp_opts *o,
                   const struct mp_tcp_cbs *cbs, struct mp_tcp_conn **out, mp_time_t now);

/* mp_tcp_connect with the extension table |ext| (and its |ext_arg|) set
 * before the SYN is built, so the SYN carries the extension's options. */
int mp_tcp_connect_ext(struct mp_tcp_stack *st, const struct mp_endpoint *local,
                       const struct mp_endpoint *remote, const struct mp_tcp_opts *o,
                       const struct mp_tcp_cbs *cbs, const struct mp_tcp_ext *ext,
                       void *ext_arg, struct mp_tcp_conn **out, mp_time_t now);

/*
 * mp_tcp_listen makes a listening connection on |local| (an unspecified
 * address of family 4 or 6 listens on all addresses of that family; v 0:
 * both) with at most |backlog| connections being set up or waiting in the
 * accept queue (SYNs beyond are dropped, as Linux does without cookies).
 * Children inherit |o| and |cbs|. Returns 0, -EADDRINUSE, -EINVAL.
 */
int mp_tcp_listen(struct mp_tcp_stack *st, const struct mp_endpoint *local, int backlog,
                  const struct mp_tcp_opts *o, const struct mp_tcp_cbs *cbs,
                  struct mp_tcp_conn **out);

/* Takes the oldest established connection from |listener|'s accept queue
 * (its owner is now the caller), or NULL when the queue is empty. */
struct mp_tcp_conn *mp_tcp_accept(struct mp_tcp_conn *listener);

/* Replaces the callbacks. */
void mp_tcp_set_cbs(struct mp_tcp_conn *c, const struct mp_tcp_cbs *cbs);

/*
 * mp_tcp_send appends up to |len| bytes to the send buffer and sends what
 * the windows allow. Returns the bytes taken (0: the buffer is full; wait
 * for writable), or -ENOTCONN (not yet or no longer connected: LISTEN,
 * CLOSED before connecting), -EPIPE (shut down for writing, or reset).
 * In SYN_SENT the bytes wait for the handshake, as Linux queues them.
 */
ssize_t mp_tcp_send(struct mp_tcp_conn *c, const void *data, size_t len, mp_time_t now);

/*
 * mp_tcp_send_fill is mp_tcp_send of |len| bytes that |fill| generates,
 * without a copy: the send buffer holds them as virtual bytes (its pattern
 * mode, sndbuf.h) and |fill| writes them into each segment that carries
 * them, at their stream offset (0: the first byte sent). So |fill| must be
 * a pure function of the offset, and |arg| must live as long as the
 * connection. A connection takes one fill function for its life: -EINVAL
 * for another.
 */
ssize_t mp_tcp_send_fill(struct mp_tcp_conn *c, size_t len, mp_sndbuf_pattern_fn fill, void *arg,
                         mp_time_t now);

/*
 * mp_tcp_recv takes up to |len| in-order bytes. Returns the bytes, 0 at the
 * end of the stream (FIN received and everything read), -EAGAIN (nothing
 * yet), -ENOTCONN (listener), or the connection's error (-ECONNRESET, ...).
 */
ssize_t mp_tcp_recv(struct mp_tcp_conn *c, void *buf, size_t len, mp_time_t now);

/* Bytes waiting to be read. */
size_t mp_tcp_readable(const struct mp_tcp_conn *c);
/* True once the peer's FIN arrived in order (the end of the stream). */
bool mp_tcp_fin_rcvd(const struct mp_tcp_conn *c);
/* Bytes that mp_tcp_send would take now. */
size_t mp_tcp_writable(const struct mp_tcp_conn *c);
/* Established connections waiting in |listener|'s accept queue. */
size_t mp_tcp_accept_pending(const struct mp_tcp_conn *listener);
/* The pending error (negative errno, 0: none), left in place. */
int mp_tcp_peek_error(const struct mp_tcp_conn *c);
/* Asks for the writable callback once the send buffer has room again,
 * without sending anything (a poller waiting for POLLOUT). */
void mp_tcp_want_writable(struct mp_tcp_conn *c);
/* Nagle's algorithm on or off on a live connection (TCP_NODELAY). */
void mp_tcp_set_nagle(struct mp_tcp_conn *c, bool on);
/* True when a connection of |st| holds local |port|; with |orphans|, only
 * one no owner holds any more (FIN_WAIT, TIME_WAIT). */
bool mp_tcp_port_held(const struct mp_tcp_stack *st, uint16_t port, bool orphans);

/* Shuts down the sending direction: a FIN follows the queued data.
 * Returns 0 or -ENOTCONN. */
int mp_tcp_shutdown_wr(struct mp_tcp_conn *c, mp_time_t now);

/* Releases the connection: a FIN after the queued data (or a RST when
 * unread data is discarded, RFC 9293 3.10.4 / Linux), and the stack frees it
 * when done. A listener's queued children are reset. */
void mp_tcp_close(struct mp_tcp_conn *c, mp_time_t now);

/* Resets the connection (RST when synchronized) and releases it. */
void mp_tcp_abort(struct mp_tcp_conn *c, mp_time_t now);

enum mp_tcp_state mp_tcp_conn_state(const struct mp_tcp_conn *c);
void mp_tcp_get_info(const struct mp_tcp_conn *c, struct mp_tcp_info *out);
void mp_tcp_endpoints(const struct mp_tcp_conn *c, struct mp_endpoint *local,
                      struct mp_endpoint *remote);
/* A stable number of the connection within its host, for traces. */
uint64_t mp_tcp_conn_id(const struct mp_tcp_conn *c);
/* The pending error (0 if none), as SO_ERROR reports it; cleared. */
int mp_tcp_take_error(struct mp_tcp_conn *c);

/* Sets (or, with |ext| NULL, clears) the extension table; |ext| must
 * outlive the connection. Set it before connecting for SYN options. */
void mp_tcp_set_ext(struct mp_tcp_conn *c, const struct mp_tcp_ext *ext, void *arg);
/* The extension's opaque pointer. */
void *mp_tcp_ext_arg(const struct mp_tcp_conn *c);
/* Switches to plain TCP in place (MPTCP fallback): the table is dropped;
 * data already in the send buffer stays and new data comes from mp_tcp_send. */
void mp_tcp_fallback(struct mp_tcp_conn *c);

/* Takes a child that its listener has not handed out yet (SYN_RECEIVED or
 * in the accept queue) away from the listener: it no longer counts against
 * the backlog nor appears in mp_tcp_accept(); the caller owns it (MPTCP's
 * MP_JOIN subflows belong to their connection, not to the accept queue). */
void mp_tcp_claim(struct mp_tcp_conn *child);

/* Sends an ACK now (with the extension's options: a DATA_ACK, the fourth
 * ACK of MP_JOIN), even if nothing new arrived. */
void mp_tcp_ack_now(struct mp_tcp_conn *c, mp_time_t now);
/* Sends a segment without data now, whatever waits to be sent (Linux's
 * tcp_send_ack): for options that need a pure ACK, as MPTCP's ADD_ADDR. */
void mp_tcp_send_pure_ack(struct mp_tcp_conn *c, mp_time_t now);
/* When the last segment arrived (Linux rcv_tstamp; 0: none yet). */
mp_time_t mp_tcp_last_rcv(const struct mp_tcp_conn *c);
/* Halves the congestion window, ssthresh at the new window (at least 2):
 * MPTCP's penalisation of a subflow that holds the connection back
 * (Raiciu et al., NSDI 2012; the v0.9x kernels' mptcp_rcv_buf_optimization). */
void mp_tcp_penalise(struct mp_tcp_conn *c);
/* Sends what the windows allow now: the extension has new data to pull, or
 * its receive window opened (a window update is sent when it grew by two
 * segments or half the buffer, as Linux's tcp_cleanup_rbuf). */
void mp_tcp_push(struct mp_tcp_conn *c, mp_time_t now);
/* The peer's last advertised window, bytes (scaled). */
uint32_t mp_tcp_snd_wnd(const struct mp_tcp_conn *c);
/* Cheap reads for the MPTCP scheduler, which asks on every segment (a full
 * mp_tcp_get_info() there would copy the whole snapshot): bytes in flight
 * (Linux tcp_packets_in_flight, in bytes), RTO backoffs since the last
 * progress, the next sequence number to send, and the pacing rate in
 * bytes/s (Linux sk_pacing_rate; 0 before the first RTT sample). */
uint32_t mp_tcp_in_flight(const struct mp_tcp_conn *c);
uint32_t mp_tcp_backoff(const struct mp_tcp_conn *c);
uint32_t mp_tcp_snd_nxt(const struct mp_tcp_conn *c);
uint64_t mp_tcp_pacing_rate(const struct mp_tcp_conn *c);
/* The retransmission timeout now, backoff included. */
mp_time_t mp_tcp_rto(const struct mp_tcp_conn *c);
/* The smoothed RTT (Linux srtt), 0 before the first sample. */
mp_time_t mp_tcp_srtt(const struct mp_tcp_conn *c);
/* Unacknowledged bytes (sequence space from snd_una to snd_nxt). */
uint32_t mp_tcp_unacked(const struct mp_tcp_conn *c);
/* True when new data would be sent now if there were some: established
 * (or CLOSE_WAIT), not shut down for writing, and room in the congestion
 * and peer windows for at least one byte. */
bool mp_tcp_can_send(const struct mp_tcp_conn *c);
/* True when output would ask the extension for a segment of new data now:
 * mp_tcp_can_send, no lost segment waiting to be sent again, and room in
 * the congestion window for a whole segment (the MSS less this segment's
 * options; mp_tcp_can_send asks for one byte). Pacing is not considered. */
bool mp_tcp_can_send_segment(struct mp_tcp_conn *c);

/* The congestion state (cwnd, ssthresh, mss, the algorithm), or NULL
 * before the handshake set it up (mp_tcp_init_transfer). Read-only. */
const struct mp_cc_state *mp_tcp_cc_state(const struct mp_tcp_conn *c);
/*
 * mp_tcp_set_cc switches |c| to algorithm |ops| with coupling object
 * |group| (cc.h; NULL for an uncoupled algorithm), as Linux's
 * tcp_set_congestion_control: the old algorithm is released and the new
 * one initialised; cwnd, ssthresh, the clamp, the state and the MSS are
 * kept. For MPTCP's congestion controls, on a subflow that just came up.
 * Returns 0, -EINVAL (|ops| lacks a required callback) or -ENOTCONN (no
 * congestion state yet).
 */
int mp_tcp_set_cc(struct mp_tcp_conn *c, const struct mp_cc_ops *ops, struct mp_cc_group *group,
                  mp_time_t now);

/* Direct access to the retransmission queue (tests, the extension). */
struct mp_rtxq *mp_tcp_rtxq(struct mp_tcp_conn *c);

#endif
