/*
 * afmp: what the built-in applications share (private to sim/apps): option
 * parsing with the conventions of apps.h, address parsing (the one place a
 * resolver will plug in), the CBR datagram format, and integer arithmetic
 * for figures.
 *
 * Everything here runs inside a simulated process and reports problems
 * through afmp_log(); nothing keeps state.
 */
#ifndef MP_SIM_APPS_UTIL_H
#define MP_SIM_APPS_UTIL_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "afmp/sockaddr_mp.h"
#include "model/types.h"

/* ---- options ---- */

enum mp_app_opts_result {
    MP_APP_OPTS_OK,    /* parsed; go on */
    MP_APP_OPTS_HELP,  /* --help was given: usage logged, exit 0 */
    MP_APP_OPTS_ERROR, /* bad option: "PROG: message" logged, exit 2 */
};

/*
 * mp_app_parse_options parses |*argc|/|*argv| (left holding argv[0] and the
 * arguments that are not options) with a GOptionContext made of |entries|
 * and |summary|, the help text shown by --help / -h. With |params| "" the
 * program takes no positional arguments: one left over is logged as
 * "PROG: unexpected argument 'X'" and is an error. GLib's own help is
 * disabled: it would print to the simulator's stdout and exit the whole
 * simulator.
 */
enum mp_app_opts_result mp_app_parse_options(const char *prog, const char *params,
                                             const char *summary, const GOptionEntry *entries,
                                             int *argc, char ***argv);

/* Each parses the value of option |opt| in the scenario unit syntax
 * (sim/units.h) and returns true, or logs "PROG: OPT: expected ..., got
 * 'S' (reason)" and returns false. With |bare_seconds|, mp_app_opt_time
 * also takes a number without unit as seconds ("0.2", as iputils' ping reads
 * -i and -W); elsewhere the unit is required, as in scenario files. */
bool mp_app_opt_time(const char *prog, const char *opt, const char *s, bool bare_seconds,
                     mp_time_t *out);
bool mp_app_opt_rate(const char *prog, const char *opt, const char *s, uint64_t *out);
/* A size: "1000B", "1KiB", or a bare byte count. */
bool mp_app_opt_size(const char *prog, const char *opt, const char *s, uint64_t *out);
bool mp_app_opt_uint(const char *prog, const char *opt, const char *s, uint64_t max,
                     uint64_t *out);

/* ---- addresses ---- */

/*
 * mp_app_resolve turns |host| into a socket address with |port| in |*ss|
 * and its length in |*len|, and returns true; or logs why not and returns
 * false. Numeric IPv4 and IPv6 only for now (an IPv6 address may be written
 * in brackets); names are refused with a message until the resolver comes,
 * which will be plugged in here and nowhere else.
 */
bool mp_app_resolve(const char *prog, const char *host, uint16_t port,
                    struct sockaddr_storage *ss, socklen_t *len);

/*
 * mp_app_split_hostport splits "HOST:PORT" or "[V6ADDR]:PORT" into a newly
 * allocated host (g_free it) and a port 1..65535. Returns false (and logs)
 * on anything else.
 */
bool mp_app_split_hostport(const char *prog, const char *opt, const char *s, char **host,
                           uint16_t *port);

/*
 * mp_app_parse_list parses |s|, numeric addresses separated by commas
 * (IPv6 in brackets: "10.0.0.1,[2001:db8::1]:80"), into the AF_MULTIPATH
 * container |mp| (*len: its length). Entries without a port get |port|;
 * with |port| 0 every entry must have its own. Returns false (and logs
 * "PROG: OPT: ...") on anything else.
 */
bool mp_app_parse_list(const char *prog, const char *opt, const char *s, uint16_t port,
                       struct sockaddr_mp_storage *mp, socklen_t *len);

/*
 * An AF_MULTIPATH socket's address lists as last seen: mp_app_lists_watch
 * asks getsockname() and getpeername() and, when either list differs from
 * the last one, logs "PROG: [fd] local LIST peer LIST" and counts a change;
 * it keeps the largest and the current number of entries. Nothing is
 * logged while the socket is not connected.
 */
struct mp_app_lists {
    char *local, *peer; /* last text seen (g_free'd by mp_app_lists_clear) */
    int nlocal, npeer;  /* entries now */
    int local_max, peer_max;
    int changes;
};
void mp_app_lists_watch(const char *prog, int fd, struct mp_app_lists *l);
void mp_app_lists_clear(struct mp_app_lists *l);

/*
 * mp_app_subflows asks for Linux's per-subflow MPTCP option |name|
 * (AFMP_MPTCP_TCPINFO or AFMP_MPTCP_SUBFLOW_ADDRS) into |buf| (|cap| bytes:
 * a struct afmp_mptcp_subflow_data, then elements of |elem| bytes). Returns
 * the number of live subflows (those beyond what fits are not copied), or
 * -1 with errno.
 */
int mp_app_subflows(int fd, int name, void *buf, socklen_t cap, size_t elem);

/* Formats the address (without the port) of |sa| into |buf| (at least
 * INET6_ADDRSTRLEN bytes) and returns |buf|. */
const char *mp_app_addr_str(const struct sockaddr *sa, char *buf, size_t len);

/* A UDP socket of |family| bound to |bind| (|blen| bytes; NULL: the
 * wildcard address of the family) and |port|; failures are logged as
 * "PROG: socket/bind ...". Returns the descriptor or -1. */
int mp_app_udp_open(const char *prog, int family, const struct sockaddr_storage *bind,
                    socklen_t blen, uint16_t port);

/* ---- the CBR datagram ----
 *
 * What udp-cbr sends and udp-sink checks (all big-endian):
 *   0  magic   "afmp" (0x61 0x66 0x6d 0x70)
 *   4  seq     u64, 0, 1, 2, ... per sender
 *  12  sent    u64, the virtual time the datagram was sent, in ns
 *  20  pattern byte i (from the start of the payload) =
 *      byte (i % 8) of K (least significant first) XOR (i mod 256),
 *      where K = mix(seq XOR mix(sent)) and mix is the splitmix64 finalizer.
 * mix is a bijection, so any change to the sequence number or the stamp
 * changes K and with it one of every 8 pattern bytes: a damaged or
 * misdelivered datagram fails the check whatever byte is hit (given 8
 * pattern bytes, that is --size 28B or more). */
#define MP_APP_CBR_HDR 20u

struct mp_app_cbr_hdr {
    uint64_t seq;
    uint64_t sent_ns;
};

/* Writes a datagram of exactly |len| bytes (|len| >= MP_APP_CBR_HDR) into
 * |p|. Returns |len|, or -1 if |len| is too short (nothing written). */
long mp_app_cbr_emit(uint8_t *p, size_t len, const struct mp_app_cbr_hdr *h);

/* Parses a datagram: 0 with |*out| filled when the magic and every pattern
 * byte are right; -1 if shorter than the header; -2 bad magic; -3 a
 * pattern byte is wrong (|*out| is still filled, it may be damaged too). */
int mp_app_cbr_parse(const uint8_t *p, size_t len, struct mp_app_cbr_hdr *out);

/* ---- the stream pattern ----
 *
 * What bulk-send, reqresp and sink --respond write and sink and reqresp
 * check: byte i of a stream (i counted from 0 at the first byte the
 * connection carries in that direction) is byte (i % 8) of mix(i / 8),
 * least significant first, with mix the splitmix64 finalizer of the CBR
 * pattern above. Every 8-byte block has its own key, so a byte delivered
 * at the wrong offset (a misordered or duplicated segment, a stale
 * retransmission) fails the check as surely as a flipped bit, whatever the
 * offset. echo sends a stream back unchanged, so its answers follow the
 * same rule at the same offsets. */

/* Fills |p| with the |len| pattern bytes that start at stream offset
 * |off|. */
void mp_app_stream_fill(uint8_t *p, size_t len, uint64_t off);

/* Checks |len| bytes received at stream offset |off|. Returns |len| when
 * all are right, else the index in |p| of the first wrong byte. */
size_t mp_app_stream_check(const uint8_t *p, size_t len, uint64_t off);

/* ---- TCP ---- */

/* A listening TCP socket (MPTCP with |mptcp|) of |family| bound to |bind|
 * (|blen| bytes; NULL: the wildcard address of the family) and |port|, with
 * |backlog|; failures are logged as "PROG: socket/bind/listen ...". Returns
 * the descriptor or -1. */
int mp_app_tcp_listen(const char *prog, int family, bool mptcp, const struct sockaddr_storage *bind,
                      socklen_t blen, uint16_t port, int backlog);

/*
 * mp_app_fmt_interval formats one iperf3-style report line into |buf|:
 * "[  5]   1.00-2.00   sec  11.9 MBytes   100 Mbits/sec" for |bytes| moved
 * by stream |id| between |from| and |to| (ns since the transfer's start).
 * Sizes are 1024-based (KBytes, MBytes, GBytes) and rates 1000-based
 * (Kbits, Mbits, Gbits) as iperf3 prints them, with three significant
 * digits, computed in integers. Returns |buf|.
 */
const char *mp_app_fmt_interval(char *buf, size_t len, int id, uint64_t from, uint64_t to,
                                uint64_t bytes);

/*
 * Interval reports: a meter logs one mp_app_fmt_interval line (prefixed
 * "PROG: ") for every |interval| that has passed since |start|. The caller
 * calls mp_app_meter_tick with the running byte total whenever it wakes
 * (waking at mp_app_meter_next() at the latest), before counting bytes that
 * arrived after the boundary; mp_app_meter_finish logs the last, partial
 * interval (if any time passed in it) and the total line.
 */
struct mp_app_meter {
    const char *prog;
    int id;
    uint64_t start, interval; /* ns; interval 0: no interval lines */
    uint64_t k;               /* intervals reported so far */
    uint64_t reported;        /* byte total at the last boundary */
};

void mp_app_meter_init(struct mp_app_meter *m, const char *prog, int id, uint64_t start,
                       uint64_t interval);
/* The virtual time of the next boundary, or MP_TIME_NEVER. */
uint64_t mp_app_meter_next(const struct mp_app_meter *m);
void mp_app_meter_tick(struct mp_app_meter *m, uint64_t now, uint64_t total);
/* |what| ends the total line ("sender", "receiver"). */
void mp_app_meter_finish(struct mp_app_meter *m, uint64_t now, uint64_t total, const char *what);

/* The time left from |now| to |t| as a timespec for afmp_ppoll (NULL when
 * |t| is MP_TIME_NEVER); |ts| is the storage. */
struct timespec *mp_app_timeout(struct timespec *ts, uint64_t now, uint64_t t);

/* ---- integers ---- */

/* floor(a * b / c) without overflow of the product; saturates at
 * UINT64_MAX; c = 0 gives 0. */
uint64_t mp_app_muldiv(uint64_t a, uint64_t b, uint64_t c);

/* Formats |ns| as milliseconds with three decimals, truncated ("20.123"),
 * as ping prints times. Returns |buf|. */
const char *mp_app_fmt_ms(uint64_t ns, char *buf, size_t len);

/* Formats a ppm ratio as a percentage without trailing zeros ("0", "33.3333",
 * "100"). Returns |buf|. */
const char *mp_app_fmt_ppm(uint32_t ppm, char *buf, size_t len);

/* Running sum, sum of squares, min and max of a series of non-negative ns
 * values, for mean and (population) standard deviation in integers. */
struct mp_app_stat {
    uint64_t n, min, max;
    uint64_t sum;
    uint64_t sumsq_hi, sumsq_lo; /* 128-bit sum of squares */
};

void mp_app_stat_add(struct mp_app_stat *s, uint64_t v);
uint64_t mp_app_stat_mean(const struct mp_app_stat *s);
/* sqrt(mean of squares - square of mean), floor; 0 with fewer than 2. */
uint64_t mp_app_stat_mdev(const struct mp_app_stat *s);

#endif
