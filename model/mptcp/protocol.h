/*
 * afmp: MPTCP internals shared by protocol.c (the connection), subflow.c
 * (the TCP extension), the path managers and the schedulers.
 *
 * Names follow Linux's net/mptcp: |msk| a connection, |sf| a subflow, |ssk|
 * its TCP connection.
 */
#ifndef MP_MPTCP_PROTOCOL_H
#define MP_MPTCP_PROTOCOL_H

#include <glib.h>

#include "model/env.h"
#include "model/mptcp/mptcp.h"
#include "model/mptcp/options.h"
#include "model/mptcp/token.h"
#include "model/net/host.h"
#include "model/tcp/reass.h"
#include "model/tcp/sndbuf.h"
#include "model/tcp/tcp.h"

/* Linux MPTCP_SEND_BURST_SIZE: the scheduler keeps a subflow this long. */
#define MP_MPTCP_SEND_BURST (64u * 1024u)
/* RFC 8684 3.3.1: a mapping may cover at most 64 KiB - 1 bytes. */
#define MP_MPTCP_MAX_MAP 65535u
/* Mappings a subflow remembers for data still in reassembly: one per
 * segment at most, so enough for a receive window of segments (8192 x
 * 1424 bytes is 11 MiB); the store grows as needed. */
#define MP_MPTCP_MAX_MAPS 8192u
#define MP_MPTCP_MAX_ADDRS 8u
/* RFC 8305 5: the Connection Attempt Delay before racing the next address
 * (recommended 250 ms). */
#define MP_MPTCP_RACE_DELAY MP_MS(250)
/* Per connection and per subflow: the areas of loaded policies
 * (policy_loaded.c), one per kind, AFMP_POLICY_DATA_SIZE bytes each. */
#define MP_MPTCP_POLICY_KINDS 3u
#define MP_MPTCP_POLICY_DATA 64u

struct mp_mptcp_pm_ops;
struct mp_mptcp_sched_ops;
struct mp_mptcp_cc_ops;

struct mp_mptcp_stack {
    struct mp_host *h;
    const struct mp_env *env;
    struct mp_mptcp_config o;
    const struct mp_mptcp_pm_ops *pm;
    const struct mp_mptcp_sched_ops *sched;
    const struct mp_mptcp_cc_ops *cc;
    struct mp_rng rng;           /* keys and nonces */
    struct mp_mptcp_tokens *tokens;
    GPtrArray *all;              /* every live msk, creation order */
    uint64_t next_id;
};

/* A received mapping: data-level [dsn, dsn + len) is subflow [seq, seq + len). */
struct mp_mptcp_map {
    uint64_t dsn;
    uint32_t seq;    /* absolute subflow sequence number */
    uint32_t len;
    bool data_fin;   /* the mapping ends with the DATA_FIN (counts 1) */
    bool csum;
    uint16_t csum_val;
};

/* What the retransmission queue keeps per segment (union mp_rtx_meta). */
struct mp_mptcp_meta {
    uint64_t dsn;     /* data sequence number of the segment's first byte */
    uint32_t ssn;     /* relative subflow sequence number of that byte */
    uint16_t len;     /* bytes of the mapping */
    uint16_t csum;    /* its DSS checksum, when checksums are on */
    uint8_t flags;    /* MP_META_* */
    uint8_t pad[15];
};

enum {
    MP_META_VALID = 1u << 0,
    MP_META_REINJECT = 1u << 1,
    /* The segment carries the infinite mapping (RFC 8684 3.7): a DSS with
     * the segment's DSN and SSN, length 0, checksum 0. */
    MP_META_INFINITE = 1u << 2,
};

enum mp_sf_kind { MP_SF_MPC, MP_SF_JOIN };

struct mp_mptcp_subflow {
    struct mp_mptcp_sock *msk;
    struct mp_tcp_conn *ssk;
    uint64_t id;             /* within its connection, creation order */
    enum mp_sf_kind kind;
    bool passive;
    bool established;        /* TCP established */
    bool fully_established;  /* MPC: the peer has our key; JOIN: the fourth ACK came */
    bool closed;             /* TCP gone */
    bool backup, peer_backup;
    bool mpc_ack_pending;    /* repeat MP_CAPABLE's keys until fully established */
    bool join_ack_pending;   /* passive JOIN: send the fourth ACK */
    bool refuse;             /* the peer's handshake failed: reset once connected */
    bool send_rst_reason;    /* the next RST carries MP_TCPRST */
    uint8_t rst_reason;
    bool send_fastclose;     /* the next RST carries MP_FASTCLOSE (the peer's key) */
    bool send_fail;          /* MP_FAIL with fail_dsn: on the next pure ACK, or on the RST */
    uint64_t fail_dsn;
    bool prio_pending;       /* MP_PRIO with |backup| on the next pure ACK */
    bool fail_sent;          /* we reported a checksum failure here (MP_FAIL) */
    bool reset_due;          /* reset with rst_reason from the connection's timer */
    bool opts_missing;       /* the last segment came without any MPTCP option */
    bool lost_race;          /* an initial-subflow attempt another one beat */
    uint8_t local_id, remote_id;
    struct mp_endpoint remote_ep; /* where an active subflow was sent */
    struct mp_ip local_ip;   /* the local address asked for (v 0: the route's) */
    uint32_t local_nonce, remote_nonce;
    uint64_t thmac;          /* the HMAC we expect in the peer's SYN/ACK */
    uint32_t irs;            /* the subflow's initial receive sequence (for SSNs) */
    uint32_t iss;
    /* receive mappings, oldest first */
    struct mp_mptcp_map *maps;  /* oldest first; g_malloc'd, |cap| entries */
    uint32_t nmaps, maps_cap;
    uint64_t bytes_sent, bytes_received;
    /* With a redundant scheduler (ops->also): the DSN after the last byte
     * this subflow carried; it has carried every byte from the DATA_ACK
     * up to here. */
    uint64_t dsn_nxt;
    bool stale;              /* Linux's stale: stale_loss_cnt retransmission intervals without a segment */
    uint8_t stale_count;     /* such intervals so far */
    mp_time_t stale_rx;      /* the subflow's last receive time when they began */
    bool stale_reinjected;   /* its in-flight data was sent again elsewhere */
    mp_time_t penal_next;    /* penalised again no sooner than this */
    uint32_t rto_seen;       /* TCP's backoff when its loss was last reported */
    GByteArray *cbuf;        /* with checksums: the mapping being received */
    uint32_t cmap_seq;       /* its subflow sequence number */
    /* loaded policies' state (afmp_subflow_data), zero at first */
    uint64_t policy_data[MP_MPTCP_POLICY_KINDS][MP_MPTCP_POLICY_DATA / 8];
};

struct mp_mptcp_remote {
    struct mp_endpoint ep;
    uint8_t id;
};

/* An ADD_ADDR this side sends (pm.c): an announcement of one of its
 * addresses, sent again every add_addr_timeout until the peer echoes it (at
 * most MP_MPTCP_ADD_ADDR_RETRANS times, as Linux), or the echo of one the
 * peer announced. */
struct mp_mptcp_signal {
    struct mp_mptcp_add_addr aa; /* without the HMAC: added when written */
    bool pending;                /* to go out on the next pure ACK */
    bool echoed;                 /* an announcement the peer echoed */
    uint8_t retrans;
    mp_time_t resend_at;         /* MP_TIME_NEVER: no more */
};
#define MP_MPTCP_ADD_ADDR_RETRANS 3u

struct mp_mptcp_sock {
    struct mp_mptcp_stack *st;
    uint64_t id;
    enum mp_tcp_state state;
    struct mp_mptcp_cbs cbs;
    struct mp_tcp_opts topts;    /* TCP settings of the subflows */
    bool has_topts;              /* else the TCP stack's defaults */
    bool owned, dead;
    int busy;
    int err;
    /* listener */
    bool is_listener;
    struct mp_tcp_conn *lssk;
    struct mp_tcp_conn *lssk_more[MP_MPTCP_MAX_ADDRS - 1]; /* on more addresses */
    uint32_t nlssk_more;
    GQueue acceptq;
    struct mp_mptcp_sock *parent; /* listener while not accepted */
    bool accept_queued;

    /* handshake */
    bool fallback;
    bool fully_established;
    bool csum;
    bool peer_key_known;
    uint64_t local_key, remote_key;
    uint32_t local_token, remote_token;
    uint64_t local_idsn, remote_idsn;
    bool token_hashed;

    GPtrArray *subflows;         /* struct mp_mptcp_subflow *, creation order */
    struct mp_mptcp_subflow *first;
    uint64_t next_sf_id;
    uint32_t subflows_total;
    uint32_t joins_opened;       /* additional subflows we started */
    uint32_t joins_accepted;     /* additional subflows the peer started */

    /* path manager */
    const struct mp_mptcp_pm_ops *pm; /* the host's, or the socket's ("api") */
    struct mp_mptcp_remote remotes[MP_MPTCP_MAX_ADDRS]; /* the peer's known addresses */
    uint32_t nremotes;
    struct mp_ip bound[MP_MPTCP_MAX_ADDRS]; /* local addresses the owner bound */
    uint32_t nbound;
    struct mp_ip removed[MP_MPTCP_MAX_ADDRS]; /* local addresses the owner took away */
    uint32_t nremoved;
    uint16_t lport;
    /* the initial subflow, raced over the remote addresses (RFC 8305) */
    uint32_t race_next;          /* the next remote to try */
    mp_time_t race_at;           /* when to try it */
    mp_time_t race_start;
    uint32_t attempts;
    uint8_t next_local_id;
    struct {
        struct mp_ip addr;
        uint8_t id;
    } local_ids[MP_MPTCP_MAX_ADDRS];
    uint32_t nlocal_ids;
    bool pm_done;                /* the PM had its say after full establishment */
    struct mp_mptcp_signal signals[MP_MPTCP_MAX_ADDRS]; /* ADD_ADDRs out, pm.c */
    uint32_t nsignals;
    mp_time_t signal_at;         /* the next ADD_ADDR retransmission */
    uint32_t add_addr_accepted;  /* remote addresses taken from ADD_ADDR */
    uint32_t pm_eps_used;        /* "kernel": bit i, endpoint i opened its subflows */
    struct mp_mptcp_remove_addr rm_out; /* REMOVE_ADDR to send (n 0: none) */
    bool signal_kick_due;        /* more signals wait: another pure ACK soon */

    /* failures (RFC 8684 3.7) */
    bool allow_inf_fallback;     /* one subflow ever, no data-level retransmission:
                                  * a failure may end in fallback (Linux's
                                  * allow_infinite_fallback) */
    bool infinite_pending;       /* MP_FAIL came: the next data carries the infinite mapping */
    bool infinite_sent;          /* ... it did: no more mappings, fallback follows */
    bool fallback_due;           /* go on as TCP once out of the output path */

    /* send side: data sequence space */
    uint64_t snd_una;            /* oldest unacknowledged DSN */
    uint64_t snd_nxt;            /* next new DSN to give a subflow */
    uint64_t write_seq;          /* next DSN the owner writes */
    uint64_t wnd_end;            /* peer's window right edge (RFC 8684 3.3.4) */
    struct mp_sndbuf sb;         /* bytes [snd_una, write_seq), by the DSN's low 32 bits */
    bool sb_ok;
    size_t sndbuf_max;
    bool push_due;               /* a subflow other than the puller should send */
    mp_time_t orphan_at;         /* closed by the owner: give up then */
    bool wr_shut;
    bool fallback_fin;           /* in fallback: TCP was told to shut down */
    bool data_fin_sent;          /* DATA_FIN was signalled at least once */
    bool data_fin_acked;
    uint64_t data_fin_seq;       /* DSN of our DATA_FIN (write_seq when queued) */
    bool writable_armed;
    /* retransmissions at the data level: ranges to send again */
    GArray *reinject;            /* struct { uint64_t dsn; uint32_t len; } */
    struct mp_mptcp_subflow *sched_last;
    uint32_t sched_burst;
    bool use_64bit_ack;
    uint64_t opp_dsn;            /* the head last retransmitted opportunistically (+1; 0: none) */
    uint64_t opp_kick;           /* the head the others were last asked to send (+1) */
    bool in_push;
    mp_time_t rtx_at;            /* data-level retransmission timer */
    uint32_t rtx_backoff;
    struct mp_deadline dl;

    /* receive side */
    uint64_t rcv_nxt;            /* next DSN expected (the DATA_ACK) */
    GByteArray *rcvq;
    size_t rcvq_off;
    struct mp_reass ofo;         /* data-level reassembly, low 32 bits of the DSN */
    size_t rcvbuf;
    bool data_fin_rcvd;          /* in order: EOF */
    bool data_fin_pending;
    uint64_t data_fin_rcv_seq;

    uint64_t bytes_sent, bytes_acked, bytes_received, bytes_retrans;
    struct mp_tcp_info first_info; /* the first subflow's, when it was released */
    bool first_info_ok;
    /* loaded policies' state (afmp_conn_data), zero at first */
    uint64_t policy_data[MP_MPTCP_POLICY_KINDS][MP_MPTCP_POLICY_DATA / 8];
};

/* ---- path managers (pm.c, pm_<name>.c) ---- */

struct mp_mptcp_pm_ops {
    const char *name;
    /* The connection is fully established: open subflows. */
    void (*established)(struct mp_mptcp_sock *msk, mp_time_t now);
    /* A remote address became known (mp_mptcp_add_remote, ADD_ADDR). */
    void (*remote_added)(struct mp_mptcp_sock *msk, const struct mp_mptcp_remote *r,
                         mp_time_t now);
    /* A subflow ended with |err|. */
    void (*subflow_closed)(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, int err,
                           mp_time_t now);
    /* May the peer open one more subflow? (the listener's limit) */
    bool (*allow_join)(struct mp_mptcp_sock *msk);
    /* The owner added a local address (bind() again). */
    void (*local_added)(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now);
    /* The peer announced |r| with ADD_ADDR and it was accepted (within
     * add_addr_accepted); NULL: remote_added is called instead. */
    void (*add_addr_received)(struct mp_mptcp_sock *msk, const struct mp_mptcp_remote *r,
                              mp_time_t now);
    /* One of our announcements was echoed, or given up. */
    void (*signal_done)(struct mp_mptcp_sock *msk, mp_time_t now);
    /* The host has a new address (SLAAC, DHCP, `ip addr add`); the
     * connection is fully established. (An address that goes is
     * withdrawn by pm.c for every policy: REMOVE_ADDR, its subflows
     * closed.) */
    void (*host_addr_added)(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now);
};

const struct mp_mptcp_pm_ops *mp_mptcp_pm_find(const char *name);
extern const struct mp_mptcp_pm_ops mp_mptcp_pm_fullmesh;
extern const struct mp_mptcp_pm_ops mp_mptcp_pm_api;
extern const struct mp_mptcp_pm_ops mp_mptcp_pm_kernel;
extern const struct mp_mptcp_pm_ops mp_mptcp_pm_ndiffports;

/* pm.c helpers for the policies. */
/* The ID of local address |a| on |msk| (0 for the first subflow's),
 * allocating one. */
uint8_t mp_mptcp_pm_local_id(struct mp_mptcp_sock *msk, const struct mp_ip *a);
/* True when a subflow between |l| and |r| exists (open or opening). */
bool mp_mptcp_pm_has_subflow(const struct mp_mptcp_sock *msk, const struct mp_ip *l,
                             const struct mp_endpoint *r);
/* Opens an MP_JOIN subflow from |l| (unspecified, or family 0: the route's
 * source) to |r|, a backup subflow (the B flag) when |backup|. Returns 0 or
 * a negative errno. */
int mp_mptcp_pm_open(struct mp_mptcp_sock *msk, const struct mp_ip *l,
                     const struct mp_mptcp_remote *r, bool backup, mp_time_t now);
/* A usable local address for a subflow: not loopback, not IPv6 link-local. */
bool mp_mptcp_pm_usable_local(const struct mp_ip *a);
/* The local and remote addresses of the first subflow. */
bool mp_mptcp_pm_first_addrs(const struct mp_mptcp_sock *msk, struct mp_endpoint *l,
                             struct mp_endpoint *r);

/* ADD_ADDR (pm.c). Queues the announcement of local address |a| under
 * address ID |id| and sends it on a pure ACK. Returns 0, -EEXIST (already
 * announced) or -ENOSPC. */
int mp_mptcp_pm_announce(struct mp_mptcp_sock *msk, uint8_t id, const struct mp_ip *a,
                         mp_time_t now);
/* Another pure ACK soon, from the connection's timer: signals wait that
 * did not fit on the last one. */
void mp_mptcp_signal_again(struct mp_mptcp_sock *msk);
/* Sends the pending signals: a pure ACK on each subflow with MP_PRIO or
 * MP_FAIL due, one on the first subflow up for ADD_ADDR / REMOVE_ADDR. */
void mp_mptcp_pm_signal_kick(struct mp_mptcp_sock *msk, mp_time_t now);
/* Local address |a| is no more (the host lost it, its endpoint was
 * deleted, the owner removed it): announcements of it stop, its subflows
 * close (MPTcpExtRmSubflow) and the peer gets REMOVE_ADDR with its ID
 * (0 for the initial subflow's). Returns whether the connection used it. */
bool mp_mptcp_pm_withdraw(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now);
/* subflow.c: REMOVE_ADDR arrived: the peer's addresses with these IDs are
 * forgotten and their subflows closed (MPTcpExtRmAddr each). */
void mp_mptcp_pm_rm_addr_input(struct mp_mptcp_sock *msk, const struct mp_mptcp_remove_addr *rm,
                               mp_time_t now);
/* Marks the subflows from local address |a| backup or not and tells the
 * peer with MP_PRIO. Returns how many changed. */
int mp_mptcp_pm_set_backup(struct mp_mptcp_sock *msk, const struct mp_ip *a, bool backup,
                           mp_time_t now);
/* subflow.c: MP_PRIO arrived on |sf| (MPTcpExtMPPrioRx). */
void mp_mptcp_pm_prio_input(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                            const struct mp_mptcp_prio *p, mp_time_t now);
/* Calls |fn| for every live connection (not listeners) of |st|; they may
 * die in it. */
void mp_mptcp_pm_each(struct mp_mptcp_stack *st,
                      void (*fn)(struct mp_mptcp_sock *, const void *, mp_time_t), const void *arg,
                      mp_time_t now);
/* The host's listener (protocol.c registers it): addresses that go are
 * withdrawn, new ones go to the path manager. */
void mp_mptcp_pm_host_event(void *arg, struct mp_host *h, const struct mp_host_event *ev);
/* subflow.c: the option space a pure ACK needs for the next ADD_ADDR (0:
 * nothing pending), and writing it there (marks it sent). */
size_t mp_mptcp_pm_signal_space(const struct mp_mptcp_sock *msk);
size_t mp_mptcp_pm_signal_write(struct mp_mptcp_sock *msk, uint8_t *buf, size_t len);
/* subflow.c: an ADD_ADDR arrived on |sf|: checked (HMAC), echoed, and
 * handed to the path manager within add_addr_accepted; an echo settles our
 * announcement. */
void mp_mptcp_pm_add_addr_input(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                                const struct mp_mptcp_add_addr *aa, mp_time_t now);
/* protocol.c's timer: retransmits announcements not echoed in time.
 * Returns when it wants to run again. */
mp_time_t mp_mptcp_pm_signal_timer(struct mp_mptcp_sock *msk, mp_time_t now);

/* ---- schedulers (sched.c, sched_<name>.c) ---- */

struct mp_mptcp_sched_ops {
    const char *name;
    /* The subflow that should get the next new data now, among those that
     * can send (mp_tcp_can_send); NULL for none. */
    struct mp_mptcp_subflow *(*pick)(struct mp_mptcp_sock *msk, mp_time_t now);
    /* Optional: may |sf|, which asks for new data, take it when pick has
     * no subflow (NULL)? Without it: yes (its TCP found room, which pick's
     * mp_tcp_can_send may not see, as for a tail loss probe). */
    bool (*unpicked_ok)(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf);
    /* Optional: |len| bytes of new data went on |sf| (after pick). */
    void (*sent)(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, size_t len,
                 mp_time_t now);
    /* Optional, for redundant schedulers: should |sf| also carry the data
     * other subflows took? When true, |sf| is given first what it has not
     * carried yet from the DATA_ACK on (sf->dsn_nxt), then new data without
     * asking pick; the connection pushes every such subflow that lags. */
    bool (*also)(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, mp_time_t now);
};

const struct mp_mptcp_sched_ops *mp_mptcp_sched_find(const char *name);
extern const struct mp_mptcp_sched_ops mp_mptcp_sched_default;
extern const struct mp_mptcp_sched_ops mp_mptcp_sched_minrtt;
extern const struct mp_mptcp_sched_ops mp_mptcp_sched_roundrobin;
extern const struct mp_mptcp_sched_ops mp_mptcp_sched_redundant;
/* minrtt's choice (sched_minrtt.c), which redundant also uses for the
 * order in which subflows take new data. */
struct mp_mptcp_subflow *mp_mptcp_sched_minrtt_pick(struct mp_mptcp_sock *msk, mp_time_t now);
/* A subflow that could carry data were its windows open: established,
 * MPTCP (not being refused), a join fully established, not closed. */
bool mp_mptcp_subflow_active(const struct mp_mptcp_subflow *sf);
/* A subflow that may carry data: active, and with room in its windows. */
bool mp_mptcp_subflow_usable(const struct mp_mptcp_subflow *sf);
/* Active, and its TCP would send a whole segment of new data now
 * (mp_tcp_can_send_segment). Usable asks for one byte of window: with the
 * DSS option a subflow's segments are shorter than its MSS, so a
 * congestion window full of them still has a few bytes of room, and a
 * scheduler that picked such a subflow would keep the others waiting. */
bool mp_mptcp_subflow_ready(const struct mp_mptcp_subflow *sf);
/* Either end marked the subflow backup (MP_JOIN B flag, MP_PRIO). */
static inline bool mp_mptcp_subflow_is_backup(const struct mp_mptcp_subflow *sf)
{
    return sf->backup || sf->peer_backup;
}
/* A subflow that is stale, or whose TCP is backing off after a
 * retransmission timeout (Linux would soon call it stale): its path may be
 * dead. Schedulers use such subflows only when nothing else can send. */
static inline bool mp_mptcp_subflow_backing_off(const struct mp_mptcp_subflow *sf)
{
    return sf->stale || mp_tcp_backoff(sf->ssk) > 0;
}
/* protocol.c: one retransmission interval of the stale check (Linux's
 * mptcp_pm_subflow_chk_stale). */
void mp_mptcp_check_stale(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, mp_time_t now);
/* protocol.c: a segment arrived on a stale subflow: it recovers. */
void mp_mptcp_subflow_recover(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                              mp_time_t now);
/* The backup rule of minrtt, roundrobin and redundant (sched.c): backup
 * subflows may carry data only when no non-backup subflow is active and
 * not backing off. A non-backup subflow whose windows are merely full
 * still counts: the data waits for it (Linux v0.9x: a temporarily
 * unavailable active subflow keeps the backups out). */
bool mp_mptcp_sched_backups_ok(const struct mp_mptcp_sock *msk);
/* The backup rule for |sf| (an unpicked_ok for the schedulers that keep
 * it). */
bool mp_mptcp_sched_backup_rule(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf);

/* ---- congestion control (cc.c) ---- */

struct mp_mptcp_cc_ops {
    const char *name;
    /* A subflow was set up (both sides, before data flows); NULL: the
     * subflow keeps the host's TCP algorithm, uncoupled. */
    void (*subflow_init)(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf);
};

const struct mp_mptcp_cc_ops *mp_mptcp_cc_find(const char *name);
extern const struct mp_mptcp_cc_ops mp_mptcp_cc_uncoupled;
/* cc_coupled.c */
extern const struct mp_mptcp_cc_ops mp_mptcp_cc_lia;
extern const struct mp_mptcp_cc_ops mp_mptcp_cc_olia;
extern const struct mp_mptcp_cc_ops mp_mptcp_cc_balia;

/* The coupling object a subflow's congestion control reaches through TCP
 * (struct mp_cc_state.group, model/tcp/cc.h): its connection and subflow.
 * The coupled algorithms (cc_coupled.c) and the loaded ones
 * (policy_loaded.c) use it; the algorithm's release frees it. */
struct mp_cc_group {
    struct mp_mptcp_sock *msk;
    struct mp_mptcp_subflow *sf;
    struct mp_tcp_conn *ssk;      /* the subflow's TCP when it was set up */
    const struct mp_cc_ops *base; /* loaded policies: the algorithm they wrap */
    const void *loaded;           /* loaded policies: their entry */
};

/* ---- loaded policies (policy_loaded.c) ----
 * The ops tables of the policies loaded from shared objects
 * (mp_mptcp_policy_load), by the name the configuration uses
 * ("plugin:PATH"); NULL when none is loaded under |name| or it is of
 * another kind. pm.c, sched.c and cc.c ask here for names they lack. */
const struct mp_mptcp_pm_ops *mp_mptcp_policy_pm(const char *name);
const struct mp_mptcp_sched_ops *mp_mptcp_policy_sched(const char *name);
const struct mp_mptcp_cc_ops *mp_mptcp_policy_cc(const char *name);

/* ---- protocol.c ---- */
void mp_mptcp_enter(struct mp_mptcp_sock *msk);
void mp_mptcp_leave(struct mp_mptcp_sock *msk);
struct mp_mptcp_sock *mp_mptcp_sock_new(struct mp_mptcp_stack *st, const struct mp_tcp_opts *o);
/* Draws the local key and reserves its token. */
int mp_mptcp_new_key(struct mp_mptcp_sock *msk);
void mp_mptcp_set_remote_key(struct mp_mptcp_sock *msk, uint64_t key);
/* Hands out new data for |sf| (its TCP pulls): at most |max| bytes. */
size_t mp_mptcp_pull(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint8_t *buf,
                     size_t max, struct mp_mptcp_meta *meta, mp_time_t now);
/* Data-level bytes [dsn, dsn + len) arrived on |sf|. */
void mp_mptcp_data_recv(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint64_t dsn,
                        const uint8_t *data, size_t len, mp_time_t now);
void mp_mptcp_data_fin_recv(struct mp_mptcp_sock *msk, uint64_t dsn, mp_time_t now);
/* A DATA_ACK |ack| (64-bit, expanded) arrived on |sf|. */
void mp_mptcp_data_ack(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint64_t ack,
                       mp_time_t now);
uint32_t mp_mptcp_rcv_wnd(const struct mp_mptcp_sock *msk);
/* Schedules new data on the subflows. */
void mp_mptcp_push(struct mp_mptcp_sock *msk, mp_time_t now);
void mp_mptcp_fully_established(struct mp_mptcp_sock *msk, mp_time_t now);
/* Subflow |sf|'s TCP is established: counts it, lets the congestion
 * control take it, traces it. */
void mp_mptcp_subflow_up(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, mp_time_t now);
/* The connection's first subflow is up (both sides). */
void mp_mptcp_first_established(struct mp_mptcp_sock *msk, mp_time_t now);
/* |sf|, an initial-subflow attempt, got its SYN-ACK first: it becomes the
 * first subflow and the other attempts are reset (RFC 8305 6). */
void mp_mptcp_race_won(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, mp_time_t now);
/* Adds |remote| to the peer's known addresses (port 0: the first
 * remote's) with address ID |id|, or the next free one when |id| < 0.
 * Returns 0 and the entry in *out, -EEXIST or -ENOSPC. */
int mp_mptcp_remote_insert(struct mp_mptcp_sock *msk, const struct mp_endpoint *remote, int id,
                           struct mp_mptcp_remote **out);
/* Removes |ep| from the peer's known addresses (a join there failed: the
 * address belongs to another host, or nothing answers), counted as
 * AfmpMPTcpAddrIgnored. */
void mp_mptcp_drop_remote(struct mp_mptcp_sock *msk, const struct mp_endpoint *ep,
                          const char *why, mp_time_t now);
/* True when the owner took local address |a| away. */
bool mp_mptcp_local_removed(const struct mp_mptcp_sock *msk, const struct mp_ip *a);
/* The connection ends with |err| (0: orderly): the owner learns it. */
void mp_mptcp_done(struct mp_mptcp_sock *msk, int err, mp_time_t now);
void mp_mptcp_trace_msk(struct mp_mptcp_sock *msk, const char *ev, mp_time_t now);
/* Subflows pull again soon, from the connection's timer (not from inside
 * a subflow's input or output). */
void mp_mptcp_push_soon(struct mp_mptcp_sock *msk, mp_time_t now);
/* RST + MP_FASTCLOSE (+ MP_TCPRST) on every subflow (RFC 8684 3.5). */
void mp_mptcp_fastclose(struct mp_mptcp_sock *msk, mp_time_t now);
/* Resets |sf| with MP_TCPRST |reason| (and MP_FAIL when one is due); the
 * connection learns it is gone and its data goes to the others. Not from
 * inside the subflow's own TCP callbacks: set sf->reset_due (with
 * rst_reason) and mp_mptcp_signal_again() there. */
void mp_mptcp_subflow_reset(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf,
                            uint8_t reason, mp_time_t now);
/* Goes on as plain TCP on the first subflow (RFC 8684 3.7); |why| is
 * counted (MP_CTR__COUNT: nothing). */
void mp_mptcp_do_fallback(struct mp_mptcp_sock *msk, enum mp_ctr why, mp_time_t now);
/* In fallback: hands TCP the bytes MPTCP never sent, then the shutdown
 * the owner asked for. Returns false while some still wait for room. */
bool mp_mptcp_fallback_drain(struct mp_mptcp_sock *msk, mp_time_t now);
/* A subflow's TCP ended with |err|. */
void mp_mptcp_subflow_gone(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, int err,
                           mp_time_t now);
/* Data of a subflow was declared lost: retransmit it elsewhere if needed. */
void mp_mptcp_reinject(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, uint64_t dsn,
                       uint32_t len, const char *why, mp_time_t now);
/* Expands a 32-bit data sequence number near |ref| (RFC 8684 3.3.1). */
uint64_t mp_mptcp_expand_seq(uint64_t ref, uint32_t v);
void mp_mptcp_trace_sf(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, const char *ev,
                       mp_time_t now);

/* ---- subflow.c ---- */
extern const struct mp_tcp_ext mp_mptcp_subflow_ext;
extern const struct mp_tcp_ext mp_mptcp_listener_ext;
/* An empty table: plain TCP, but the subflow stays findable. */
extern const struct mp_tcp_ext mp_mptcp_fallback_ext;
struct mp_mptcp_subflow *mp_mptcp_subflow_new(struct mp_mptcp_sock *msk, struct mp_tcp_conn *ssk,
                                              enum mp_sf_kind kind, bool passive);
/* Callbacks of a subflow's TCP (the msk owns it). */
void mp_mptcp_subflow_cbs(struct mp_mptcp_subflow *sf, struct mp_tcp_cbs *cbs);

#define MP_MPTCP_CTR(msk, id) mp_ctr_inc(&(msk)->st->h->ctr, MP_CTR_##id)

#endif
