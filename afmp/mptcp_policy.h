/*
 * afmp: loadable MPTCP policies, the ABI (version 1).
 *
 * A researcher writes a packet scheduler, a path manager or a congestion
 * control in C as a shared object; a scenario names it in place of a
 * built-in one:
 *
 *     [host client]
 *     mptcp.scheduler = plugin:@build/afmp/examples/sched-example.so
 *     mptcp.pm        = plugin:my-pm.so        (relative: the scenario's folder)
 *     mptcp.cc        = plugin:/abs/path/cc.so
 *
 * The object exports one symbol, a constant descriptor:
 *
 *     #include "afmp/mptcp_policy.h"
 *     static const struct afmp_sched_ops ops = {.pick = my_pick};
 *     AFMP_POLICY_EXPORT const struct afmp_policy afmp_policy_v1 = {
 *         .abi_version = AFMP_POLICY_ABI_VERSION,
 *         .kind = AFMP_POLICY_SCHEDULER,
 *         .name = "my-sched",
 *         .sched = &ops,
 *     };
 *
 * and is built as a plain shared object against this header only (cc
 * -shared -fPIC -I<afmp source>): no other afmp header, no library. The
 * functions declared below (afmp_conn_*, afmp_subflow_*, ...) are
 * implemented by the simulator and resolved when the object is loaded.
 * The simulator checks at load time, naming the scenario's file, line,
 * group and key: that the file loads, that it exports afmp_policy_v1, that
 * abi_version is AFMP_POLICY_ABI_VERSION, that kind is the one the key asks
 * for, and that the callbacks marked required are there.
 *
 * Rules.
 * - Handles (struct afmp_conn, struct afmp_subflow) are opaque and valid
 *   only during the callback that received them: keep indices or ids
 *   (afmp_subflow_id), not pointers, across calls.
 * - Time is |now|, nanoseconds of simulated time, passed to every
 *   callback. Read no clock, draw no random number from the C library: a
 *   scenario and its seed must give the same bytes on every run.
 * - State lives in the areas the simulator keeps per connection and per
 *   subflow (afmp_conn_data, afmp_subflow_data: AFMP_POLICY_DATA_SIZE
 *   bytes each, zero at first, one area per policy kind), not in globals:
 *   the object is loaded once per run and shared by every host and
 *   connection using it, and `afmp-sim check --jobs N` runs several
 *   scenarios in threads of one process. Constant tables are fine.
 * - Integers only where a decision is made (no floating point), as in the
 *   rest of the model.
 * - A callback must not block, and must not call back into the connection
 *   from a congestion-control hook (those run inside TCP's ACK
 *   processing); afmp_conn_open_subflow and afmp_conn_announce are for
 *   path managers.
 *
 * The version: a change that breaks objects built against this header
 * bumps AFMP_POLICY_ABI_VERSION and the symbol's name (afmp_policy_v2);
 * the simulator refuses an object of another version with a message
 * saying which version it has and which one is spoken.
 */
#ifndef AFMP_MPTCP_POLICY_H
#define AFMP_MPTCP_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AFMP_POLICY_ABI_VERSION 1u
/* The descriptor's symbol (the version is in its name, too). */
#define AFMP_POLICY_SYMBOL "afmp_policy_v1"
#define AFMP_POLICY_EXPORT __attribute__((visibility("default")))
/* Bytes of the per-connection and per-subflow areas of each policy. */
#define AFMP_POLICY_DATA_SIZE 64u

enum afmp_policy_kind {
    AFMP_POLICY_SCHEDULER = 1,    /* mptcp.scheduler: .sched */
    AFMP_POLICY_PATH_MANAGER = 2, /* mptcp.pm: .pm */
    AFMP_POLICY_CC = 3,           /* mptcp.cc: .cc */
};

struct afmp_conn;    /* an MPTCP connection (opaque) */
struct afmp_subflow; /* one of its subflows (opaque) */

/* An address: IPv4 (family 4, bytes[0..3]) or IPv6 (family 6, 16 bytes),
 * network order; port in host order, 0 where none applies. */
struct afmp_addr {
    uint8_t family; /* 4, 6; 0: none */
    uint8_t pad;
    uint16_t port;
    uint8_t bytes[16];
};

/* ---- schedulers (mptcp.scheduler) ----
 *
 * Transmission is pulled: whenever some subflow's windows open, the
 * connection asks pick which subflow gets the next new data, and asks
 * again after each segment it handed out. Data-level retransmissions
 * (reinjections after a subflow failed) and the DATA_FIN are the
 * connection's business, not the scheduler's.
 */
struct afmp_sched_ops {
    /* Required. The subflow to give the next new data to now, or NULL for
     * none (the data waits). It should be one for which
     * afmp_subflow_usable() holds; any other answer counts as NULL. */
    struct afmp_subflow *(*pick)(struct afmp_conn *c, uint64_t now);
    /* Optional. |sf| asks for new data although pick did not choose it
     * (its TCP found room pick could not see, e.g. a tail loss probe).
     * Return whether it may have some. NULL: yes. */
    bool (*unpicked_ok)(struct afmp_conn *c, struct afmp_subflow *sf, uint64_t now);
    /* Optional. |len| bytes of new data went on |sf| (after pick, or
     * after unpicked_ok said yes). */
    void (*sent)(struct afmp_conn *c, struct afmp_subflow *sf, size_t len, uint64_t now);
};

/* ---- path managers (mptcp.pm) ----
 *
 * Called on both sides of a connection (afmp_conn_is_passive tells which);
 * usually only the active side opens subflows. AF_MULTIPATH sockets keep
 * the `api` path manager whatever the host's is.
 */
struct afmp_pm_ops {
    /* Optional. The connection is fully established: open subflows. */
    void (*established)(struct afmp_conn *c, uint64_t now);
    /* Optional. Remote address |remote| (an index for afmp_conn_remote)
     * became known: from the application (|announced| false) or from the
     * peer's ADD_ADDR, within mptcp.add-addr-accepted (true). */
    void (*remote_added)(struct afmp_conn *c, size_t remote, bool announced, uint64_t now);
    /* Optional. The application added local address |a| (bind() again). */
    void (*local_added)(struct afmp_conn *c, const struct afmp_addr *a, uint64_t now);
    /* Optional. Subflow |sf| ended with |err| (0 or a negative errno). */
    void (*subflow_closed)(struct afmp_conn *c, struct afmp_subflow *sf, int err, uint64_t now);
    /* Optional. May the peer open one more subflow (an MP_JOIN arrived;
     * false refuses it with MP_TCPRST)? NULL: while afmp_conn_joins_accepted
     * is below afmp_conn_subflow_limit. */
    bool (*allow_join)(struct afmp_conn *c);
    /* Optional. One of our ADD_ADDR announcements was echoed or given up. */
    void (*signal_done)(struct afmp_conn *c, uint64_t now);
};

/* ---- congestion control (mptcp.cc) ----
 *
 * What a loaded congestion control can do, exactly. Each subflow is a TCP
 * connection that runs one of the simulator's TCP algorithms (`base`:
 * "reno" or "cubic"; NULL: the one the subflow already has, from tcp.cc).
 * The policy wraps it on every subflow, from the moment the subflow is
 * established:
 * - cong_avoid sees every ACK that delivered data while the subflow is
 *   not reducing its window (CWR or fast recovery), and may set the
 *   window itself (a coupled increase such as RFC 6356's LIA), or leave
 *   the ACK to the base algorithm;
 * - ssthresh may choose the slow-start threshold after a loss (a coupled
 *   decrease), else the base algorithm does;
 * - congestion is told of each loss event (entering fast recovery, a
 *   window reduction on an ECN echo, a retransmission timeout).
 * Not possible: changing the window during fast recovery (PRR sets it,
 * RFC 6937), after a timeout (RFC 5681's loss window of one segment),
 * pacing, RTO or loss detection, the receiver side, or the handshake's
 * initial window; nor calling into the connection from these hooks.
 * Windows count segments of |mss| bytes, as Linux's do. Subflows that
 * end, or a connection that falls back to TCP, go back to the base
 * algorithm alone.
 */
struct afmp_cc_window {
    uint32_t cwnd;       /* segments: the policy may change it (1..cwnd_clamp) */
    uint32_t cwnd_cnt;   /* congestion-avoidance credit (Linux snd_cwnd_cnt): may change it */
    uint32_t ssthresh;   /* segments (0x7fffffff: not set yet); read-only */
    uint32_t cwnd_clamp; /* read-only */
    uint32_t mss;        /* bytes per segment; read-only */
};

struct afmp_cc_ack {
    uint32_t acked;     /* segments newly delivered by this ACK */
    uint32_t in_flight; /* segments in flight before it */
    int64_t rtt;        /* its RTT sample in ns; negative: none */
    bool cwnd_limited;  /* the sender was limited by cwnd (grow only then) */
    bool slow_start;    /* cwnd < ssthresh */
};

enum afmp_cc_signal {
    AFMP_CC_RECOVERY = 1, /* fast retransmit: entering fast recovery */
    AFMP_CC_CWR = 2,      /* an ECN echo: window reduction */
    AFMP_CC_TIMEOUT = 3,  /* a retransmission timeout */
};

/* cong_avoid's answer. */
enum { AFMP_CC_BASE = 0, AFMP_CC_DONE = 1 };

struct afmp_cc_ops {
    /* The TCP algorithm to build on: "reno", "cubic"; NULL: the subflow's. */
    const char *base;
    /* Optional. |sf| is established and now runs this policy. */
    void (*subflow_init)(struct afmp_conn *c, struct afmp_subflow *sf, uint64_t now);
    /* Optional. An ACK outside a window reduction: return AFMP_CC_DONE
     * after setting w->cwnd / w->cwnd_cnt, or AFMP_CC_BASE to let the base
     * algorithm grow the window (its changes to w are then ignored). */
    int (*cong_avoid)(struct afmp_conn *c, struct afmp_subflow *sf, const struct afmp_cc_ack *ack,
                      struct afmp_cc_window *w, uint64_t now);
    /* Optional. The slow-start threshold after a loss, in segments (>= 2);
     * 0: the base algorithm's. */
    uint32_t (*ssthresh)(struct afmp_conn *c, struct afmp_subflow *sf,
                         const struct afmp_cc_window *w, uint64_t now);
    /* Optional. A loss event on |sf| (after ssthresh was chosen). */
    void (*congestion)(struct afmp_conn *c, struct afmp_subflow *sf, enum afmp_cc_signal sig,
                       uint64_t now);
};

/* ---- the descriptor ---- */

struct afmp_policy {
    uint32_t abi_version;  /* AFMP_POLICY_ABI_VERSION */
    uint32_t kind;         /* enum afmp_policy_kind */
    const char *name;      /* for traces and messages: letters, digits, '-', '_' */
    const char *description; /* one line, or NULL */
    /* The table of |kind|; the others NULL. */
    const struct afmp_sched_ops *sched;
    const struct afmp_pm_ops *pm;
    const struct afmp_cc_ops *cc;
};

/* ---- what the simulator offers: connections ---- */

/* A stable number of the connection within its host. */
uint64_t afmp_conn_id(const struct afmp_conn *c);
/* True on the side that accepted the connection (the server). */
bool afmp_conn_is_passive(const struct afmp_conn *c);
/* The policy's own AFMP_POLICY_DATA_SIZE bytes for this connection, zero
 * when it was created; |kind| is the calling policy's kind. */
void *afmp_conn_data(struct afmp_conn *c, enum afmp_policy_kind kind);
/* Subflows ever opened on the connection (live or not), creation order;
 * subflow 0 is the initial one. */
size_t afmp_conn_subflows(const struct afmp_conn *c);
/* Subflow |i|, or NULL past the end. */
struct afmp_subflow *afmp_conn_subflow(struct afmp_conn *c, size_t i);
/* The backup rule of the v0.9x schedulers: true when backup subflows may
 * carry data (no non-backup subflow is active and not backing off). */
bool afmp_conn_backups_allowed(const struct afmp_conn *c);

/* ---- subflows ---- */

/* Its index in afmp_conn_subflow order, and a number stable for the
 * connection's life. */
size_t afmp_subflow_index(const struct afmp_subflow *sf);
uint64_t afmp_subflow_id(const struct afmp_subflow *sf);
void *afmp_subflow_data(struct afmp_subflow *sf, enum afmp_policy_kind kind);
/* Active: established, MPTCP, (a join) fully established, not closed. */
bool afmp_subflow_active(const struct afmp_subflow *sf);
/* Usable: active, with room for at least one byte in its windows. */
bool afmp_subflow_usable(const struct afmp_subflow *sf);
/* Ready: active, and its TCP would send a whole segment of new data now. */
bool afmp_subflow_ready(const struct afmp_subflow *sf);
/* Either end marked it backup (MP_JOIN B flag, MP_PRIO). */
bool afmp_subflow_is_backup(const struct afmp_subflow *sf);
/* Its TCP is backing off after a retransmission timeout. */
bool afmp_subflow_backing_off(const struct afmp_subflow *sf);
/* An MP_JOIN subflow (false for the initial one). */
bool afmp_subflow_is_join(const struct afmp_subflow *sf);
/* Smoothed RTT in ns (0 before the first sample or without TCP). */
uint64_t afmp_subflow_srtt(const struct afmp_subflow *sf);
/* Congestion window in segments and the MSS in bytes (0 without TCP). */
uint32_t afmp_subflow_cwnd(const struct afmp_subflow *sf);
uint32_t afmp_subflow_mss(const struct afmp_subflow *sf);
/* Bytes in flight on it. */
uint32_t afmp_subflow_in_flight(const struct afmp_subflow *sf);
/* Its pacing rate in bytes/s (computed even unpaced; 0 before an RTT). */
uint64_t afmp_subflow_pacing_rate(const struct afmp_subflow *sf);
/* Data-level bytes scheduled on it so far. */
uint64_t afmp_subflow_bytes_sent(const struct afmp_subflow *sf);
/* Its local and remote addresses and ports; false when it has no TCP
 * connection (closed, or not started). Either pointer may be NULL. */
bool afmp_subflow_addrs(const struct afmp_subflow *sf, struct afmp_addr *local,
                        struct afmp_addr *remote);

/* ---- for path managers ---- */

/* The host's usable local addresses (not loopback, not IPv6 link-local),
 * in interface order: stores at most |max|, returns how many there are. */
size_t afmp_conn_local_addrs(const struct afmp_conn *c, struct afmp_addr *out, size_t max);
/* The peer's known addresses: their number, and address |i| (with the
 * port) and its address ID. */
size_t afmp_conn_remotes(const struct afmp_conn *c);
bool afmp_conn_remote(const struct afmp_conn *c, size_t i, struct afmp_addr *out, uint8_t *id);
/* The initial subflow's local and remote addresses; false before it. */
bool afmp_conn_first_addrs(const struct afmp_conn *c, struct afmp_addr *local,
                           struct afmp_addr *remote);
/* True when a subflow from |local| to remote address |remote| exists. */
bool afmp_conn_has_subflow(const struct afmp_conn *c, const struct afmp_addr *local,
                           size_t remote);
/* Opens an MP_JOIN subflow from |local| (NULL: the route's source) to
 * remote address |remote|, a backup one (MP_JOIN B flag) when |backup|.
 * Does not check the limit (afmp_conn_subflow_limit): the policy does.
 * Returns 0 or a negative errno (-EINVAL: no such remote; -EADDRNOTAVAIL:
 * the application took |local| away; the route's errors). */
int afmp_conn_open_subflow(struct afmp_conn *c, const struct afmp_addr *local, size_t remote,
                           bool backup, uint64_t now);
/* Additional subflows this side opened and the peer opened (accepted). */
uint32_t afmp_conn_joins_opened(const struct afmp_conn *c);
uint32_t afmp_conn_joins_accepted(const struct afmp_conn *c);
/* The host's limits: mptcp.subflows, mptcp.add-addr-accepted. */
uint32_t afmp_conn_subflow_limit(const struct afmp_conn *c);
uint32_t afmp_conn_add_addr_limit(const struct afmp_conn *c);
/* Announces local address |a| to the peer with ADD_ADDR (sent again until
 * echoed). Returns 0, -EEXIST (announced already), -ENOSPC, -EINVAL. */
int afmp_conn_announce(struct afmp_conn *c, const struct afmp_addr *a, uint64_t now);

#ifdef __cplusplus
}
#endif

#endif
