/*
 * afmp tests: an MPTCP world and two applications over model/mptcp, for
 * test-mptcp-sched.c and test-mptcp-policy.c:
 *
 *   client eth0 10.0.1.2 --c0-- r1 --s-- server 10.0.10.2
 *          eth1 10.0.2.2 --c1--
 *          eth2 10.0.3.2 --c2--   (with nifaces = 3)
 *
 * (10 Mbit/s each, one-way delays per test; the server link 1 Gbit/s,
 * 1 ms). The client sends a byte pattern that the server checks; both shut
 * down at the end.
 */
#ifndef AFMP_TESTS_MPTCP_HARNESS_H
#define AFMP_TESTS_MPTCP_HARNESS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "fixture.h"
#include "model/mptcp/mptcp.h"
#include "sim/net/world.h"

#define PORT 5001
#define CHUNK 65536u
#define MIB (1024u * 1024u)

/* The byte pattern (as tests/test-mptcp.c). */
uint8_t pat(uint64_t i);
void pat_fill(uint8_t *b, size_t n, uint64_t off);
bool pat_ok(const uint8_t *b, size_t n, uint64_t off);

struct wconf {
    const char *sched, *pm, *cc; /* the client's (NULL: the defaults) */
    const char *endpoints;       /* the client runs the "kernel" PM with these */
    unsigned nifaces;            /* client interfaces: 2 (0) or 3 */
    mp_time_t delay[3];          /* one way, c0, c1, c2 */
    const char *queue;           /* client links' drop-tail parameters (NULL: 1000 packets) */
    uint32_t subflows;           /* the client's mptcp.subflows (0: 2) */
    size_t rcvbuf;               /* the server's connection-level buffer (0: TCP's) */
};

struct fx {
    struct mp_world *w;
    struct mp_engine *eng;
    struct mp_node *client, *r1, *server;
    struct mp_link *c[3];
};

void fx_build(struct fx *f, const struct wconf *c);
uint64_t ctr(struct mp_node *n, const char *name);
struct mp_endpoint ep(const char *ip, uint16_t port);
struct mp_mptcp_stack *stack(struct mp_node *n);

/* ---- the applications: a sender and a checking receiver ---- */

struct peer {
    struct fx *f;
    struct mp_node *n;
    struct mp_mptcp_sock *msk, *lmsk;
    /* sending: |total| bytes, at most |allowed| so far (paced), then
     * shut down */
    uint64_t total, sent, allowed;
    bool shut;
    /* receiving: the pattern checked; shut down on EOF */
    uint64_t rcvd;
    bool bad, eof, shut_on_eof;
    mp_time_t eof_at;
    bool connected, closed;
    int close_err;
    bool kick_pending;
    /* pacing: |pace_bytes| more every |pace_every| (0: bulk) */
    uint32_t pace_bytes;
    mp_time_t pace_every;
    uint8_t buf[CHUNK];
};

extern const struct mp_mptcp_cbs mcbs_tmpl;

struct run {
    struct fx f;
    struct peer cl, sv;
    int rc;
    bool done;
    /* subflow 1 becomes a backup (on the client) as soon as it exists */
    bool backup_join;
};

/* Builds the world, listens on the server and dials at 1 ms. */
void run_setup(struct run *r, const struct wconf *c, uint64_t total);
/* Runs in steps of 50 ms until both ends closed or |limit|. */
void run_go(struct run *r, mp_time_t limit);
void run_free(struct run *r);
/* Data-level bytes scheduled on the client's subflow |i|. */
uint64_t sf_bytes(const struct run *r, size_t i);
/* Both ends closed cleanly, every byte arrived intact over |nsub| subflows. */
void assert_done_intact(const struct run *r, uint64_t total, size_t nsub);
/* Share of |total| in per mille. */
uint64_t permille(uint64_t part, uint64_t total);

#endif
