/*
 * afmp: the socket layer's per-host state, for the code that builds hosts
 * (the world) and reads what applications reported.
 */
#ifndef AFMP_STACK_H
#define AFMP_STACK_H

#include <glib.h>

#include "model/net/host.h"
#include "sim/proc/proc.h"

struct afmp_result {
    char *key;
    int64_t value;
};

/* What a host's socket layer offers (the scenario's `stack` and
 * `mptcp.mptcpize` options). */
struct afmp_stack_conf {
    bool multipath; /* AF_MULTIPATH sockets and lookups (default); false: a
                     * stack without them (EAFNOSUPPORT, EAI_FAMILY) */
    bool mptcpize;  /* AF_INET/AF_INET6 stream sockets are MPTCP, as
                     * Linux's mptcpize makes them (when MPTCP is on) */
};

/* Gives |h| a socket layer (h->sock), with AF_MULTIPATH. */
void afmp_stack_attach(struct mp_host *h);
void afmp_stack_configure(struct mp_host *h, const struct afmp_stack_conf *conf);
bool afmp_stack_has_multipath(const struct mp_host *h);
/* Frees it; call after every process of the host has ended or been freed. */
void afmp_stack_detach(struct mp_host *h);
/* The exit hook of a host's process table: closes the process's files. */
void afmp_stack_proc_exit(struct mp_proc *p, void *arg);

/* What process |pid| of |h| reported with afmp_result(), in the order first
 * set (struct afmp_result *), or NULL if it reported nothing. */
const GPtrArray *afmp_stack_results(struct mp_host *h, uint32_t pid);
/* The value process |pid| of |h| reported for |key|: false if none. */
bool afmp_stack_result(struct mp_host *h, uint32_t pid, const char *key, int64_t *out);
/* The resolver's per-host state (afmp/resolver.c keeps the name server, its
 * options and each process's h_errno there), or NULL when |h| has no socket
 * layer. Freed with the socket layer. */
void **afmp_stack_resolver_slot(struct mp_host *h);

/* Every address process |pid| saw in the containers its AF_MULTIPATH
 * getsockname() (|peer| false) or getpeername() (true) calls returned,
 * first seen first (struct mp_ip), or NULL. */
const GArray *afmp_stack_seen_addrs(struct mp_host *h, uint32_t pid, bool peer);

/* What it wrote with afmp_log(), or NULL. */
const char *afmp_stack_log(struct mp_host *h, uint32_t pid);

#endif
