/*
 * afmp: MPTCP v1 (RFC 8684), the public API (issue 7).
 *
 * An MPTCP connection (Linux's "msk", struct mp_mptcp_sock) owns subflows,
 * each a TCP connection of model/tcp with the extension table filled in
 * (subflow.c); TCP knows nothing of MPTCP. The calls mirror model/tcp's
 * (mp_tcp_connect, mp_tcp_send, ...) so the socket layer drives either the
 * same way: sans-IO, |now| last, errors as negative errno values.
 *
 * Policies are ops tables chosen by name per host (struct mp_mptcp_config):
 * the path manager (pm.h: "fullmesh"), the packet scheduler (sched.h:
 * "default", as upstream Linux's; "minrtt", "roundrobin", "redundant", as
 * the out-of-tree v0.9x kernels') and the congestion control of the
 * subflows ("uncoupled": each subflow runs its own TCP algorithm).
 *
 * Fallback (RFC 8684 3.1, 3.7): a peer without MPTCP, or one that breaks
 * the handshake, gives a connection that runs as plain TCP on its first
 * subflow, transparently to the owner; mp_mptcp_info() tells.
 */
#ifndef MP_MPTCP_MPTCP_H
#define MP_MPTCP_MPTCP_H

#include <glib.h>
#include <sys/types.h>

#include "model/tcp/tcp.h"
#include "model/types.h"

struct mp_host;
struct mp_mptcp_stack;
struct mp_mptcp_sock;

/* One endpoint of the "kernel" path manager, as `ip mptcp endpoint add
 * ADDR [id ID] [signal] [subflow] [backup] [fullmesh]`. */
enum {
    MP_MPTCP_EP_SIGNAL = 1u << 0,   /* announce it with ADD_ADDR */
    MP_MPTCP_EP_SUBFLOW = 1u << 1,  /* open a subflow from it (active side) */
    MP_MPTCP_EP_BACKUP = 1u << 2,   /* ... as a backup subflow (MP_JOIN B) */
    MP_MPTCP_EP_FULLMESH = 1u << 3, /* ... to every known remote address */
};
#define MP_MPTCP_MAX_ENDPOINTS 8u

struct mp_mptcp_endpoint {
    struct mp_ip addr;
    uint8_t id;     /* address ID, 1..255 (0: the next free one, as Linux) */
    uint32_t flags; /* MP_MPTCP_EP_* */
};

/* Per-host settings (Linux: net.mptcp.* sysctls and `ip mptcp limits`). */
struct mp_mptcp_config {
    bool enabled;             /* net.mptcp.enabled */
    const char *pm;           /* path manager by name: "fullmesh" */
    const char *scheduler;    /* "default", "minrtt", "roundrobin", "redundant" */
    const char *cc;           /* "uncoupled" */
    uint32_t subflows;        /* limit of additional subflows per connection: 2 */
    uint32_t add_addr_accepted; /* limit of remote addresses taken from ADD_ADDR: 0 */
    bool checksum;            /* net.mptcp.checksum_enabled: ask for DSS checksums */
    bool allow_join_initial_addr_port; /* net.mptcp.allow_join_initial_addr_port: 1 (C flag clear) */
    size_t rcvbuf, sndbuf;    /* connection-level buffers: 0 = the subflows' TCP settings */
    /* the "kernel" path manager's endpoints (`ip mptcp endpoint`) */
    struct mp_mptcp_endpoint endpoints[MP_MPTCP_MAX_ENDPOINTS];
    size_t n_endpoints;
    uint32_t ndiffports;      /* "ndiffports": subflows over the first address pair, all told: 2 */
    mp_time_t add_addr_timeout; /* net.mptcp.add_addr_timeout: 120 s between ADD_ADDR retransmissions */
    uint32_t stale_loss_cnt;  /* net.mptcp.stale_loss_cnt: 4 retransmission intervals without progress */
    bool opportunistic;       /* opportunistic retransmission when the receive window blocks (off) */
    bool penalise;            /* ... and halve the window of the subflow that holds it back (off) */
};

/*
 * mp_mptcp_parse_endpoints reads the endpoints of `mptcp.endpoints`:
 * entries separated by commas, each an address followed by words, as
 * `ip mptcp endpoint add` takes them: "10.0.2.2 subflow backup, 10.0.3.2
 * signal id 5". At least one of signal or subflow; fullmesh needs subflow
 * (as Linux); IDs 1..255, unique, given ones kept and the others numbered
 * from 1 up in order. Stores at most |max| in |out| and their number in
 * *n. Returns true, or false with *why (g_free) saying what is wrong.
 */
bool mp_mptcp_parse_endpoints(const char *s, struct mp_mptcp_endpoint *out, size_t max, size_t *n,
                              char **why);

/*
 * `ip mptcp endpoint add|del|change` at run time, on the host's stack
 * (scenario events). add: |ep| joins the endpoints (ID 0: the next free
 * one) and every established connection of the "kernel" path manager acts
 * on it as at its establishment (announce, open subflows). del: the
 * endpoint goes and every connection withdraws its address (REMOVE_ADDR
 * with its ID, its subflows closed: MPTcpExtRmSubflow), whatever the path
 * manager. change: the subflows from the address become backup or not,
 * and the peer is told with MP_PRIO (MPTcpExtMPPrioTx). Return 0,
 * -EEXIST (add: the address or ID is taken), -ENOSPC, -ENOENT (del,
 * change: no endpoint with that address).
 */
int mp_mptcp_endpoint_add(struct mp_mptcp_stack *st, const struct mp_mptcp_endpoint *ep,
                          mp_time_t now);
int mp_mptcp_endpoint_del(struct mp_mptcp_stack *st, const struct mp_ip *a, mp_time_t now);
int mp_mptcp_endpoint_change(struct mp_mptcp_stack *st, const struct mp_ip *a, bool backup,
                             mp_time_t now);

/*
 * Policies loaded from shared objects (afmp/mptcp_policy.h, the ABI).
 * mp_mptcp_policy_load opens |path| (once per path: loading it again takes
 * another reference), checks the descriptor (the symbol, the ABI version,
 * that its kind is |kind|, the required callbacks) and registers its ops
 * table under the name it returns, "plugin:" followed by |path|, which
 * struct mp_mptcp_config's pm, scheduler or cc then names. Returns that
 * name (valid until the last unload), or NULL with *err saying what is
 * wrong. mp_mptcp_policy_unload drops a reference; the last one closes the
 * object. Thread-safe (afmp-sim check --jobs). A stack that uses a policy
 * must be detached before the last unload.
 */
enum mp_mptcp_policy_kind {
    MP_MPTCP_POLICY_SCHED = 1, /* = AFMP_POLICY_SCHEDULER */
    MP_MPTCP_POLICY_PM = 2,    /* = AFMP_POLICY_PATH_MANAGER */
    MP_MPTCP_POLICY_CC = 3,    /* = AFMP_POLICY_CC */
};
#define MP_MPTCP_POLICY_PREFIX "plugin:"
GQuark mp_mptcp_policy_error_quark(void);
#define MP_MPTCP_POLICY_ERROR (mp_mptcp_policy_error_quark())
const char *mp_mptcp_policy_load(const char *path, enum mp_mptcp_policy_kind kind, GError **err);
void mp_mptcp_policy_unload(const char *name);
/* "scheduler", "path manager", "congestion control". */
const char *mp_mptcp_policy_kind_name(enum mp_mptcp_policy_kind kind);

/* Linux's defaults. */
void mp_mptcp_config_default(struct mp_mptcp_config *o);

/* The owner's callbacks, as struct mp_tcp_cbs for a connection. */
struct mp_mptcp_cbs {
    void (*connected)(void *arg, struct mp_mptcp_sock *msk, mp_time_t now);
    void (*accept_ready)(void *arg, struct mp_mptcp_sock *listener, mp_time_t now);
    void (*readable)(void *arg, struct mp_mptcp_sock *msk, mp_time_t now);
    void (*writable)(void *arg, struct mp_mptcp_sock *msk, mp_time_t now);
    void (*closed)(void *arg, struct mp_mptcp_sock *msk, int err, mp_time_t now);
    void *arg;
};

/* A snapshot for results, traces and MPTCP_INFO. */
struct mp_mptcp_info {
    enum mp_tcp_state state;  /* the connection's (Linux msk sk_state) */
    bool fallback;            /* running as plain TCP */
    bool fully_established;
    bool csum;                /* DSS checksums in use */
    uint32_t subflows;        /* established subflows now (the initial one included) */
    uint32_t subflows_total;  /* every subflow ever established (a join: once the peer took it) */
    uint32_t local_token, remote_token;
    uint64_t local_key, remote_key;
    uint64_t snd_una, snd_nxt, write_seq; /* data sequence numbers */
    uint64_t rcv_nxt;
    uint64_t bytes_sent, bytes_acked, bytes_received, bytes_retrans;
    uint32_t rcv_wnd;
    uint32_t retransmits;     /* data-level timeouts since the last progress */
};

/* Per-subflow snapshot. */
struct mp_mptcp_subflow_info {
    struct mp_endpoint local, remote;
    uint8_t local_id, remote_id;
    bool backup, join, established;
    uint64_t bytes_sent;      /* data-level bytes scheduled on it */
    uint64_t bytes_received;  /* data-level bytes it delivered */
    struct mp_tcp_info tcp;
};

/*
 * mp_mptcp_attach enables MPTCP on host |h|, whose TCP must be attached, with
 * settings |o| (NULL: the defaults). Keys, nonces and tokens come from the
 * stream "host/<name>/mptcp/keys". Returns the host's MPTCP, or NULL when an
 * ops table named in |o| does not exist.
 */
struct mp_mptcp_stack *mp_mptcp_attach(struct mp_host *h, const struct mp_mptcp_config *o);
/* The MPTCP of |h|, or NULL. */
struct mp_mptcp_stack *mp_mptcp_stack_of(struct mp_host *h);
/* Frees every connection silently (end of simulation); before mp_tcp_detach. */
void mp_mptcp_detach(struct mp_mptcp_stack *st);
const struct mp_mptcp_config *mp_mptcp_stack_config(const struct mp_mptcp_stack *st);

/*
 * mp_mptcp_connect opens an MPTCP connection to |remote| from |local| (as
 * mp_tcp_connect) with TCP options |o| for its subflows. The SYN carries
 * MP_CAPABLE. Returns 0 or mp_tcp_connect's errors.
 */
int mp_mptcp_connect(struct mp_mptcp_stack *st, const struct mp_endpoint *local,
                     const struct mp_endpoint *remote, const struct mp_tcp_opts *o,
                     const struct mp_mptcp_cbs *cbs, struct mp_mptcp_sock **out, mp_time_t now);

/*
 * mp_mptcp_connect_multi opens a connection to one of |n| remote addresses
 * (at most 8), tried in the given order and raced as RFC 8305 does: the
 * next attempt starts 250 ms after the previous one or at once when it
 * fails; the first SYN-ACK wins and the other attempts are reset. Which
 * address won, and when, is in the trace records ("mptcp.race"). The
 * others are the peer's known addresses, for the path manager |pm| (NULL:
 * the host's; "api": subflows to every one of them, from the |nlocal|
 * addresses in |locals| when the owner bound some). |lport| 0: ephemeral.
 * Returns 0, -EINVAL (no address), -ENOENT (unknown |pm|), or the last
 * attempt's mp_tcp_connect error when none could start.
 */
int mp_mptcp_connect_multi(struct mp_mptcp_stack *st, const struct mp_ip *locals, size_t nlocal,
                           uint16_t lport, const struct mp_endpoint *remotes, size_t n,
                           const struct mp_tcp_opts *o, const char *pm,
                           const struct mp_mptcp_cbs *cbs, struct mp_mptcp_sock **out,
                           mp_time_t now);

/* Listens as mp_tcp_listen; a SYN without MP_CAPABLE gives a connection in
 * fallback, as Linux's MPTCP listener does. */
int mp_mptcp_listen(struct mp_mptcp_stack *st, const struct mp_endpoint *local, int backlog,
                    const struct mp_tcp_opts *o, const struct mp_mptcp_cbs *cbs,
                    struct mp_mptcp_sock **out);

/* Makes |listener| listen on |local| too (an AF_MULTIPATH socket bound to
 * several addresses). Returns 0, -EINVAL, -ENOSPC (MP_MPTCP_MAX_ADDRS), or
 * mp_tcp_listen's errors. */
int mp_mptcp_listen_more(struct mp_mptcp_sock *listener, const struct mp_endpoint *local,
                         int backlog);

/* The oldest established connection of |listener|, or NULL. */
struct mp_mptcp_sock *mp_mptcp_accept(struct mp_mptcp_sock *listener);
size_t mp_mptcp_accept_pending(const struct mp_mptcp_sock *listener);

void mp_mptcp_set_cbs(struct mp_mptcp_sock *msk, const struct mp_mptcp_cbs *cbs);

/*
 * mp_mptcp_add_remote tells the path manager of another address of the
 * peer (the per-app option of the built-in apps, later AF_MULTIPATH's
 * connect()); with |port| 0 the initial subflow's port. Returns 0, -EEXIST,
 * -ENOSPC (RFC 8684 address IDs are 8 bits), -ENOTCONN (listener).
 */
int mp_mptcp_add_remote(struct mp_mptcp_sock *msk, const struct mp_endpoint *remote,
                        mp_time_t now);

/* Adds a local address for the path manager (bind() again on an
 * AF_MULTIPATH socket). Returns 0, -EEXIST, -ENOSPC, -ENOTCONN. */
int mp_mptcp_add_local(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now);

/* Takes local address |a| away (RFC 6897 TCP_MULTIPATH_REMOVE): the
 * subflows that use it close, their data goes to the others, and the path
 * manager opens no new one from it. Returns 0, -EADDRNOTAVAIL (not in use
 * nor bound), -EINVAL (it carries every live subflow), -ENOTCONN. */
int mp_mptcp_remove_local(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now);

/* The distinct local and remote addresses of the live subflows, the first
 * subflow's first; at most |n| of each. Returns their numbers through
 * |*nl| and |*nr|. A connection not yet up lists what it was given: the
 * bound local addresses and the remote ones it tries. */
void mp_mptcp_addr_lists(const struct mp_mptcp_sock *msk, struct mp_endpoint *local, size_t *nl,
                         struct mp_endpoint *remote, size_t *nr, size_t n);

ssize_t mp_mptcp_send(struct mp_mptcp_sock *msk, const void *data, size_t len, mp_time_t now);
/* mp_tcp_send_fill's counterpart (the offsets are the data stream's), or
 * -EOPNOTSUPP once fallen back to TCP: the caller then writes the bytes
 * with mp_mptcp_send. */
ssize_t mp_mptcp_send_fill(struct mp_mptcp_sock *msk, size_t len, mp_sndbuf_pattern_fn gen,
                           void *arg, mp_time_t now);
ssize_t mp_mptcp_recv(struct mp_mptcp_sock *msk, void *buf, size_t len, mp_time_t now);
size_t mp_mptcp_readable(const struct mp_mptcp_sock *msk);
size_t mp_mptcp_writable(const struct mp_mptcp_sock *msk);
/* Asks for the writable callback once half the send buffer is free. */
void mp_mptcp_want_writable(struct mp_mptcp_sock *msk);
/* True once the peer's DATA_FIN (or its FIN, in fallback) was received. */
bool mp_mptcp_eof(const struct mp_mptcp_sock *msk);
int mp_mptcp_shutdown_wr(struct mp_mptcp_sock *msk, mp_time_t now);
void mp_mptcp_close(struct mp_mptcp_sock *msk, mp_time_t now);
void mp_mptcp_abort(struct mp_mptcp_sock *msk, mp_time_t now);
enum mp_tcp_state mp_mptcp_state(const struct mp_mptcp_sock *msk);
int mp_mptcp_take_error(struct mp_mptcp_sock *msk);
int mp_mptcp_peek_error(const struct mp_mptcp_sock *msk);
/* The first subflow's endpoints (Linux's getsockname on an MPTCP socket). */
void mp_mptcp_endpoints(const struct mp_mptcp_sock *msk, struct mp_endpoint *local,
                        struct mp_endpoint *remote);
uint64_t mp_mptcp_id(const struct mp_mptcp_sock *msk);
void mp_mptcp_get_info(const struct mp_mptcp_sock *msk, struct mp_mptcp_info *out);
/* Subflows ever opened (established or not), in creation order. */
size_t mp_mptcp_subflow_count(const struct mp_mptcp_sock *msk);
bool mp_mptcp_subflow_get(const struct mp_mptcp_sock *msk, size_t i,
                          struct mp_mptcp_subflow_info *out);
/* The first subflow's TCP connection (socket options, TCP_INFO), or NULL. */
struct mp_tcp_conn *mp_mptcp_first_tcp(const struct mp_mptcp_sock *msk);
/* The first subflow's TCP_INFO, live or as it was when the subflow was
 * released (so a socket reports its figures after the connection ended).
 * Returns false when there was never one. */
bool mp_mptcp_first_tcp_info(const struct mp_mptcp_sock *msk, struct mp_tcp_info *out);

#endif
