/*
 * afmp: the socket API that programs running inside the simulation use.
 *
 * The calls are the POSIX ones with an afmp_ prefix and the same
 * semantics: they take Linux's struct sockaddr_in / sockaddr_in6, return -1
 * and set errno as Linux does, and block by parking the calling process
 * (a fiber) until the event that satisfies them. Time is virtual:
 * afmp_sleep() and afmp_clock_gettime() see the simulation clock.
 * afmp/compat.h maps the standard names onto these, so an unmodified source
 * file builds for the simulator.
 *
 * Every call must come from a simulated process (sim/proc); outside one
 * they fail with EPERM. File descriptors are per process, from 3 up.
 *
 * Supported now: SOCK_DGRAM sockets for UDP (AF_INET, AF_INET6), ping
 * sockets (SOCK_DGRAM with IPPROTO_ICMP / IPPROTO_ICMPV6, as Linux's) and
 * SOCK_STREAM sockets for TCP (AF_INET, AF_INET6; model/tcp).
 *
 * Stream sockets behave as Linux's: connect() blocks until the handshake
 * ends (ECONNREFUSED, ETIMEDOUT after the SYN retries, ENETUNREACH, ...;
 * non-blocking: EINPROGRESS, then poll for POLLOUT and read SO_ERROR;
 * EALREADY, EISCONN); a blocking send() returns once every byte is queued,
 * and writers wake when half the send buffer is free (the low-water mark),
 * not on every ACK; recv() returns 0 at the end of the stream; a send to a
 * closed connection fails with EPIPE (no SIGPIPE: simulated processes get
 * no signals); close() and the end of the process send a FIN after the
 * queued data, or a RST when unread data is discarded (MPTCP: RST with
 * MP_FASTCLOSE on every subflow); SO_LINGER with l_linger 0 makes close()
 * reset the connection that way (a positive l_linger is kept but close()
 * never blocks). No MSG_PEEK or MSG_OOB yet; SO_RCVBUF / SO_SNDBUF apply
 * to the connection made next.
 */
#ifndef AFMP_H
#define AFMP_H

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "afmp/sockaddr_mp.h"

struct mp_host;

/* Linux's IPPROTO_MPTCP: socket(AF_INET or AF_INET6, SOCK_STREAM,
 * AFMP_IPPROTO_MPTCP) opens an MPTCP connection (ENOPROTOOPT when the host
 * has MPTCP disabled), which falls back to TCP transparently when the peer
 * lacks it. */
#define AFMP_IPPROTO_MPTCP 262

int afmp_socket(int domain, int type, int protocol);
int afmp_bind(int fd, const struct sockaddr *addr, socklen_t len);
int afmp_connect(int fd, const struct sockaddr *addr, socklen_t len);
/* Stream sockets: listen (a socket that is not bound gets an ephemeral
 * port; the backlog is clamped to 4096 as net.core.somaxconn), accept and
 * accept4 (SOCK_NONBLOCK; the new socket inherits the listener's options
 * but not O_NONBLOCK), shutdown (SHUT_RD, SHUT_WR, SHUT_RDWR; ENOTCONN on a
 * datagram socket). */
int afmp_listen(int fd, int backlog);
int afmp_accept(int fd, struct sockaddr *addr, socklen_t *len);
int afmp_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int afmp_shutdown(int fd, int how);
ssize_t afmp_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
                    socklen_t tolen);
ssize_t afmp_send(int fd, const void *buf, size_t len, int flags);
ssize_t afmp_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                      socklen_t *fromlen);
ssize_t afmp_recv(int fd, void *buf, size_t len, int flags);
/* On sockets, recv and send without flags. */
ssize_t afmp_read(int fd, void *buf, size_t len);
ssize_t afmp_write(int fd, const void *buf, size_t len);
int afmp_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
int afmp_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
/* SOL_SOCKET: SO_RCVBUF, SO_SNDBUF, SO_RCVTIMEO, SO_SNDTIMEO, SO_REUSEADDR,
 * SO_KEEPALIVE, SO_ERROR (get), SO_TYPE (get), SO_DOMAIN (get), SO_PROTOCOL
 * (get), SO_ACCEPTCONN (get). IPPROTO_TCP: TCP_NODELAY, TCP_MAXSEG,
 * TCP_INFO (get; a struct tcp_info of <netinet/tcp.h> or the longer struct
 * afmp_tcp_info below, truncated to the length given, as Linux does:
 * state, rto, rtt, rttvar, cwnd, ssthresh, mss, options, total_retrans,
 * and in the longer form pacing_rate, bytes_acked, bytes_received,
 * bytes_retrans, snd_wnd). */
int afmp_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int afmp_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

/*
 * RFC 6897 5.3's MPTCP socket options, level IPPROTO_TCP, on stream
 * sockets. The RFC names them but gives no numbers; afmp's are 200..204,
 * above every TCP option Linux defines (which end in the forties), so they
 * never mean something else on a real stack (there: ENOPROTOOPT).
 *
 *   TCP_MULTIPATH_ENABLE    int, get and set. Set before connect() or
 *                           listen() (EISCONN after): non-zero makes the
 *                           connection MPTCP, 0 plain TCP. Get: 1 when the
 *                           connection uses MPTCP (0 before it exists on a
 *                           socket not asked for MPTCP, and in fallback).
 *   TCP_MULTIPATH_ADD       set: local addresses to add, as a container
 *                           (or one sockaddr_in/_in6): bind() again on an
 *                           AF_MULTIPATH socket. On an MPTCP connection of
 *                           any family, the path manager opens subflows
 *                           from them. EINVAL, EADDRNOTAVAIL, ENOBUFS.
 *   TCP_MULTIPATH_REMOVE    set: local addresses to take away, as a
 *                           container: their subflows close (their data
 *                           moves to the others) and none opens from them
 *                           again. EADDRNOTAVAIL (not in use), EINVAL (the
 *                           last live subflow's address).
 *   TCP_MULTIPATH_SUBFLOWS  get: the live subflows as a container of pairs:
 *                           entries 2i and 2i+1 are subflow i's local and
 *                           remote address, the first subflow first;
 *                           getsockname()-style truncation. ENOTCONN.
 *   TCP_MULTIPATH_CONNID    get: uint32_t, the connection's local token
 *                           (RFC 8684: what names it to the peer's joins).
 *                           ENOTCONN before the handshake, in fallback.
 * On a plain TCP connection they fail with EOPNOTSUPP.
 */
#define TCP_MULTIPATH_ENABLE 200
#define TCP_MULTIPATH_ADD 201
#define TCP_MULTIPATH_REMOVE 202
#define TCP_MULTIPATH_SUBFLOWS 203
#define TCP_MULTIPATH_CONNID 204

/*
 * Linux's MPTCP_INFO: getsockopt(fd, SOL_MPTCP, AFMP_MPTCP_INFO, &info,
 * &len) on an MPTCP socket fills struct afmp_mptcp_info, laid out as
 * Linux's struct mptcp_info (uapi linux/mptcp.h, up to
 * mptcpi_subflows_total), truncated to |len| as Linux does. A plain TCP
 * socket and one in fallback answer EOPNOTSUPP, as Linux's do (the option
 * goes to TCP there).
 */
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif
#define AFMP_MPTCP_INFO 1
#define AFMP_MPTCP_INFO_FLAG_FALLBACK 0x1u
#define AFMP_MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED 0x2u

struct afmp_mptcp_info {
    uint8_t mptcpi_subflows;           /* additional subflows now (not the first) */
    uint8_t mptcpi_add_addr_signal;    /* ADD_ADDR sent (none yet) */
    uint8_t mptcpi_add_addr_accepted;  /* ADD_ADDR taken (none yet) */
    uint8_t mptcpi_subflows_max;       /* the host's mptcp.subflows */
    uint8_t mptcpi_add_addr_signal_max;
    uint8_t mptcpi_add_addr_accepted_max; /* the host's mptcp.add-addr-accepted */
    uint32_t mptcpi_flags;             /* AFMP_MPTCP_INFO_FLAG_* */
    uint32_t mptcpi_token;             /* the local token */
    uint64_t mptcpi_write_seq;         /* data sequence numbers */
    uint64_t mptcpi_snd_una;
    uint64_t mptcpi_rcv_nxt;
    uint8_t mptcpi_local_addr_used;    /* local addresses of additional subflows */
    uint8_t mptcpi_local_addr_max;     /* local addresses the owner gave */
    uint8_t mptcpi_csum_enabled;
    uint32_t mptcpi_retransmits;       /* data-level retransmission timeouts */
    uint64_t mptcpi_bytes_retrans;
    uint64_t mptcpi_bytes_sent;
    uint64_t mptcpi_bytes_received;
    uint64_t mptcpi_bytes_acked;
    uint8_t mptcpi_subflows_total;     /* every subflow established so far */
    uint8_t reserved[3];
};
/*
 * Linux's whole struct tcp_info (uapi linux/tcp.h, up to tcpi_snd_wnd):
 * glibc's <netinet/tcp.h> declares only its first 104 bytes. TCP_INFO and
 * MPTCP_TCPINFO fill what afmp's TCP knows (see afmp_getsockopt); the rest
 * is 0.
 */
struct afmp_tcp_info {
    struct tcp_info tcpi;          /* glibc's part */
    uint64_t tcpi_pacing_rate;     /* bytes/s */
    uint64_t tcpi_max_pacing_rate;
    uint64_t tcpi_bytes_acked;
    uint64_t tcpi_bytes_received;
    uint32_t tcpi_segs_out, tcpi_segs_in;
    uint32_t tcpi_notsent_bytes, tcpi_min_rtt;
    uint32_t tcpi_data_segs_in, tcpi_data_segs_out;
    uint64_t tcpi_delivery_rate;
    uint64_t tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited;
    uint32_t tcpi_delivered, tcpi_delivered_ce;
    uint64_t tcpi_bytes_sent, tcpi_bytes_retrans;
    uint32_t tcpi_dsack_dups, tcpi_reord_seen;
    uint32_t tcpi_rcv_ooopack;
    uint32_t tcpi_snd_wnd;
};
_Static_assert(sizeof(struct tcp_info) == 104, "glibc's struct tcp_info changed");
_Static_assert(offsetof(struct afmp_tcp_info, tcpi_bytes_acked) == 120 &&
                   sizeof(struct afmp_tcp_info) == 232,
               "struct afmp_tcp_info must have Linux's layout");

/*
 * Linux's per-subflow MPTCP options (uapi linux/mptcp.h):
 * getsockopt(fd, SOL_MPTCP, AFMP_MPTCP_TCPINFO or AFMP_MPTCP_SUBFLOW_ADDRS,
 * buf, &len) with |buf| starting with a struct afmp_mptcp_subflow_data whose
 * size_subflow_data is its own size and size_user the size of one element
 * the caller wants (num_subflows and size_kernel 0). The stack fills
 * num_subflows (the live subflows, first one first) and size_kernel, and
 * copies min(size_user, size_kernel) bytes per subflow after the header,
 * as many as |len| holds; *len says how much was written. Elements:
 * struct afmp_tcp_info (TCPINFO) or struct afmp_mptcp_subflow_addrs.
 * EOPNOTSUPP on plain TCP and fallback, EINVAL on a malformed header.
 */
#define AFMP_MPTCP_TCPINFO 2
#define AFMP_MPTCP_SUBFLOW_ADDRS 3

struct afmp_mptcp_subflow_data {
    uint32_t size_subflow_data;
    uint32_t num_subflows;
    uint32_t size_kernel;
    uint32_t size_user;
} __attribute__((aligned(8)));

struct afmp_mptcp_subflow_addrs {
    union {
        sa_family_t sa_family;
        struct sockaddr sa_local;
        struct sockaddr_in sin_local;
        struct sockaddr_in6 sin6_local;
        struct sockaddr_storage ss_local;
    };
    union {
        struct sockaddr sa_remote;
        struct sockaddr_in sin_remote;
        struct sockaddr_in6 sin6_remote;
        struct sockaddr_storage ss_remote;
    };
};

/* F_GETFL / F_SETFL with O_NONBLOCK. */
int afmp_fcntl(int fd, int cmd, int arg);
int afmp_poll(struct pollfd *fds, nfds_t n, int timeout_ms);
/* poll with a timeout to the nanosecond (NULL: none), as Linux's ppoll;
 * the signal mask is ignored (simulated processes get no signals). */
int afmp_ppoll(struct pollfd *fds, nfds_t n, const struct timespec *tmo, const void *sigmask);
int afmp_close(int fd);

/* Virtual time. CLOCK_REALTIME starts at the Unix epoch when the
 * simulation starts; CLOCK_MONOTONIC likewise. */
int afmp_clock_gettime(clockid_t clk, struct timespec *ts);
unsigned int afmp_sleep(unsigned int seconds);
int afmp_usleep(useconds_t us);
int afmp_nanosleep(const struct timespec *req, struct timespec *rem);
/* Nanoseconds of simulated time. */
uint64_t afmp_now_ns(void);
/* Ends the calling process (alone) with |status|. */
_Noreturn void afmp_exit(int status);

/* The host the calling process runs on, or NULL outside a process. */
struct mp_host *afmp_host(void);
/* The host's name (like gethostname). */
int afmp_gethostname(char *name, size_t len);

/* Cleanup handlers of the calling process (pthread_cleanup_push/pop for a
 * process that may be killed: by a scenario's `stop`, or at the end of the
 * run). Those still pushed when the process ends run, last pushed first,
 * outside the process: they may free memory, not call afmp. Pop runs the
 * last one when |execute| is not 0. Push returns 0, or -1 with errno EPERM
 * outside a process. */
int afmp_cleanup_push(void (*fn)(void *), void *arg);
void afmp_cleanup_pop(int execute);

/* Records a named result of the calling process (a counter or a figure an
 * application measured), reported per application in results.json and
 * usable in [expect]. Setting the same key again replaces the value. */
void afmp_result(const char *key, int64_t value);
/* The result |key| itself, for an application that publishes often (a
 * sink, after every wake-up): sets it to 0 if new (in the same order as
 * afmp_result() would) and returns where its value is kept, so that a store
 * there sets it without a lookup. Valid until the process ends; NULL, with
 * errno EPERM, outside a process. */
int64_t *afmp_result_cell(const char *key);
/* Writes a line to the process's log (stdout of the simulated process),
 * kept in the run's output folder; printf-like. */
void afmp_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
