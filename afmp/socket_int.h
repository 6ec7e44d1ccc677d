/*
 * afmp: the socket layer's private parts, shared by its files: the core
 * (socket.c: descriptors per process, the calls' entry points, datagram
 * sockets, poll, time), stream sockets over TCP or MPTCP (socket_stream.c)
 * and AF_MULTIPATH with RFC 6897's options (socket_mp.c).
 */
#ifndef AFMP_SOCKET_INT_H
#define AFMP_SOCKET_INT_H

#include <glib.h>
#include <netinet/tcp.h>

#include "afmp/afmp.h"
#include "afmp/stack.h"
#include "model/mptcp/mptcp.h"
#include "model/net/icmp.h"
#include "model/net/udp.h"
#include "model/tcp/tcp.h"
#include "sim/proc/proc.h"

enum kind { K_UDP, K_PING, K_TCP };

/* Addresses per AF_MULTIPATH socket and side (MPTCP's MP_MPTCP_MAX_ADDRS). */
#define AFMP_SOCK_MAX_ADDRS 8

/* A stream socket. */
struct tsock {
    struct mp_host *h;
    struct mp_tcp_stack *stack;
    struct mp_tcp_conn *conn;  /* NULL until connect() or listen() */
    bool mptcp;                /* IPPROTO_MPTCP: the connection is an msk */
    struct mp_mptcp_sock *msk; /* when mptcp: NULL until connect() or listen() */
    struct mp_tcp_opts o;      /* for the connection(s) it will make */
    struct mp_endpoint bound;  /* valid when is_bound */
    bool is_bound;
    bool user_bound; /* by bind(), not picked at connect() */
    bool listening;
    bool connecting; /* Linux SS_CONNECTING */
    bool connected;  /* Linux SS_CONNECTED */
    bool rd_shut, wr_shut;
    bool reuseaddr;
    /* SO_LINGER: l_onoff, l_linger (seconds). With l_linger 0 close()
     * resets the connection (TCP: RST; MPTCP: MP_FASTCLOSE), as Linux; a
     * positive time is kept but close() does not block. */
    bool linger_on;
    int linger_s;
    /* AF_MULTIPATH: the local addresses bind() gave (bound is the first) */
    bool multipath;
    int backlog; /* of the listener */
    struct mp_endpoint locals[AFMP_SOCK_MAX_ADDRS];
    size_t nlocals;
    uint64_t sent; /* bytes the stack took from send() and send_fill() */
};

struct poller {
    struct mp_waitq wq;
};

struct file {
    enum kind kind;
    int domain, type, protocol;
    union {
        struct mp_udp_sock *udp;
        struct mp_ping_sock *ping;
        struct tsock *tcp;
    };
    struct mp_waitq wq;
    GPtrArray *pollers; /* struct poller *, processes in afmp_poll on us */
    bool nonblock;
    mp_time_t rcvtimeo, sndtimeo; /* 0: none */
    int refs;
};

struct pstate {
    uint32_t pid;
    GPtrArray *fds; /* struct file *, index = fd; NULL: free */
    /* While the process is blocked: the files its call holds a reference
     * on, and its poller (on its own stack). A process killed while blocked
     * never returns from the call, so its exit releases them. */
    GPtrArray *held;
    struct poller *poller;
    GPtrArray *results; /* struct afmp_result *, each its own allocation (its
                           value is where afmp_result_cell() points) */
    guint result_next; /* where afmp_result() looks first: applications
                          publish their results in the same order each time */
    GHashTable *result_index; /* key (the entry's own) -> position + 1 */
    GString *log;
    /* Every address an AF_MULTIPATH getsockname()/getpeername() returned
     * (struct mp_ip, first seen first), for the scenario's addrs checks. */
    GArray *seen[2];
};

struct afmp_stack {
    struct mp_host *h;
    void *resolver;   /* afmp/resolver.c's */
    GPtrArray *procs; /* struct pstate *, by pid order of first use */
    GPtrArray *tcp;   /* struct file *: the host's stream sockets (ports) */
    bool teardown;    /* afmp_stack_detach: the world is going away */
    struct afmp_stack_conf conf;
};

/* ---- the calling process ---- */

struct ctx {
    struct mp_proc *p;
    struct mp_host *h;
    struct afmp_stack *st;
    struct pstate *ps;
};

/*
 * The calls below work as the afmp_* calls they serve and return 0 (or a
 * count, or a descriptor) or a negative errno value, which the entry point
 * in socket.c turns into -1 and errno. |c| is the calling process.
 */

/* ---- socket.c ---- */
/* Writes |ep| as a sockaddr_in/_in6 with getsockname()-style truncation. */
void afmp_sock_to_sockaddr(const struct mp_endpoint *ep, struct sockaddr *sa, socklen_t *len);
void afmp_sock_file_free(struct file *f);
void afmp_sock_wake(void *arg);
int afmp_sock_fd_alloc(struct pstate *ps, struct file *f);
struct tsock *afmp_sock_tsock_new(struct afmp_stack *st, struct mp_tcp_stack *ts);

/* ---- socket_stream.c: stream sockets, TCP or MPTCP underneath ---- */
void afmp_stream_msk_cbs(struct file *f, struct mp_mptcp_cbs *cbs);
bool afmp_stream_open(const struct tsock *t);
enum mp_tcp_state afmp_stream_state(const struct tsock *t);
int afmp_stream_take_error(struct tsock *t);
void afmp_stream_endpoints(const struct tsock *t, struct mp_endpoint *l, struct mp_endpoint *r);
void afmp_stream_free(struct file *f);
void afmp_stream_local(const struct file *f, struct mp_endpoint *ep);
bool afmp_stream_conflict(struct afmp_stack *st, const struct file *f,
                          const struct mp_endpoint *ep);
int afmp_stream_bind(struct ctx *c, struct file *f, const struct mp_endpoint *in, bool user);
int afmp_stream_connect(struct ctx *c, struct file *f, const struct mp_endpoint *remote);
int afmp_stream_connect_started(struct ctx *c, struct file *f, int rc);
int afmp_stream_connect_wait(struct ctx *c, struct file *f);
int afmp_stream_listen(struct ctx *c, struct file *f, int backlog);
int afmp_stream_accept(struct ctx *c, struct file *f, struct sockaddr *addr, socklen_t *len,
                       int flags);
ssize_t afmp_stream_send(struct ctx *c, struct file *f, const void *buf, size_t len, int flags);
/* afmp_send_fill() on a stream. */
ssize_t afmp_stream_send_fill(struct ctx *c, struct file *f, size_t len, int flags,
                              afmp_fill_fn fill, void *arg);
ssize_t afmp_stream_recv(struct ctx *c, struct file *f, void *buf, size_t len, int flags);
int afmp_stream_shutdown(struct file *f, int how);
short afmp_stream_poll_mask(struct file *f, bool arm);
int afmp_stream_setsockopt(struct file *f, int name, int v);
int afmp_stream_getsockopt(struct file *f, int name, void *val, socklen_t *len);

/* ---- socket_mp.c: AF_MULTIPATH (draft-sarolahti-mptcp-af-multipath) ---- */
bool afmp_mpsock_mptcp_on(struct mp_host *h);
int afmp_mpsock_socket(struct ctx *c, int type, int protocol, int flags);
int afmp_mpsock_connect(struct ctx *c, struct file *f, const struct sockaddr *sa, socklen_t len);
int afmp_mpsock_bind(struct ctx *c, struct file *f, const struct sockaddr *sa, socklen_t len);
int afmp_mpsock_names(struct ctx *c, struct file *f, bool peer, struct sockaddr *sa,
                      socklen_t *len);
int afmp_mpsock_setsockopt_addrs(struct ctx *c, struct file *f, int name, const void *val,
                                 socklen_t len);
int afmp_mpsock_setsockopt_enable(struct ctx *c, struct file *f, int v);
int afmp_mpsock_getsockopt_tcp(struct file *f, int name, void *val, socklen_t *len);
int afmp_mpsock_getsockopt_info(struct file *f, void *val, socklen_t *len);

/* socket_mp.c: MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS. */
int afmp_mpsock_getsockopt_subflows(struct file *f, int name, void *val, socklen_t *len);
/* socket_stream.c: Linux's struct tcp_info from afmp's TCP figures. */
void afmp_sock_tcp_info(const struct mp_tcp_info *in, struct afmp_tcp_info *out);

#endif
