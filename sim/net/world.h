/*
 * afmp: the embedded engine's world: nodes (hosts and routers, each a
 * model/net host on its own seam), the links between their interfaces,
 * capture taps, processes, and the routes computed from the topology.
 *
 * The world is the composition root that the scenario builder, the CLI and
 * the tests use. It owns the engine, the packet pool and the trace sink; a
 * world has no global state, so several can live in one process.
 *
 * Captures: with an output folder, every captured node writes one pcap per
 * interface (<node>-<iface>.pcap, both directions) and one pcapng holding
 * all its interfaces (<node>.pcapng, with direction flags and scenario
 * events as packet comments). Hosts are captured by default, routers when
 * asked. A tap finalizes lazy checksums before writing, so every captured
 * packet shows correct checksums.
 */
#ifndef MP_SIM_WORLD_H
#define MP_SIM_WORLD_H

#include <glib.h>
#include <stdio.h>

#include "model/net/host.h"
#include "sim/env.h"
#include "sim/net/link.h"
#include "sim/proc/proc.h"

struct mp_world;
struct mp_node;

struct mp_world_conf {
    uint64_t seed;
    const char *outdir;   /* captures go here; NULL: no captures */
    bool pcap;            /* one pcap per interface */
    bool pcapng;          /* one pcapng per node */
    uint32_t snaplen;     /* 0: 256 */
    FILE *trace;          /* trace records (JSON lines); NULL: none */
    uint32_t trace_mask;  /* enum mp_trace_cat bits */
    const char *version;  /* written into pcapng headers */
    bool compact_routes;  /* mp_world_compute_routes: a default route per table
                             and the exceptions (see world.c, install_compact) */
};

#define MP_WORLD_ERROR (mp_world_error_quark())
GQuark mp_world_error_quark(void);
enum { MP_WORLD_ERROR_FAILED };

struct mp_world *mp_world_new(const struct mp_world_conf *conf);
/* Ends every process, flushes and closes the captures (errors are
 * reported by mp_world_close_captures beforehand if the caller cares). */
void mp_world_free(struct mp_world *w);

struct mp_engine *mp_world_engine(struct mp_world *w);
struct mp_pkt_pool *mp_world_pool(struct mp_world *w);
struct mp_trace_sink *mp_world_trace_sink(struct mp_world *w);

/* Adds a node. Routers are hosts with opts->forward set. |capture| taps its
 * interfaces when captures are on. Names must be unique (not checked here:
 * the scenario loader does). */
struct mp_node *mp_world_add_node(struct mp_world *w, const char *name,
                                  const struct mp_host_opts *opts, bool capture);
struct mp_node *mp_world_node(struct mp_world *w, const char *name);
/* Nodes in the order added: index 0 .. n-1. */
size_t mp_world_node_count(const struct mp_world *w);
struct mp_node *mp_world_node_at(struct mp_world *w, size_t i);

struct mp_host *mp_node_host(struct mp_node *n);
const char *mp_node_name(const struct mp_node *n);
const struct mp_env *mp_node_env(struct mp_node *n);
struct mp_proc_table *mp_node_procs(struct mp_node *n);

/*
 * Sets the TCP defaults of |n|'s host (NULL: Linux's, mp_tcp_opts_default)
 * for every connection made from now on; the strings are copied. Every node
 * gets TCP with Linux's defaults when added; call this before any TCP
 * connection or stream socket exists on the node (the stack is replaced).
 */
struct mp_tcp_opts;
void mp_node_set_tcp_opts(struct mp_node *n, const struct mp_tcp_opts *o);
struct mp_mptcp_config;
/* Replaces the node's MPTCP settings (model/mptcp/mptcp.h; NULL: Linux's
 * defaults). Returns 0, or -ENOENT when a policy it names does not exist
 * (the node then has no MPTCP). */
int mp_node_set_mptcp(struct mp_node *n, const struct mp_mptcp_config *c);

/* Adds interface |name| to a node; returns its ifindex. */
uint32_t mp_node_add_iface(struct mp_node *n, const char *name, uint32_t mtu);

/*
 * Connects interface |ia| of |a| to interface |ib| of |b| with a new link
 * configured by |conf| (its engine, seed and trace fields are filled here);
 * both interfaces get carrier. Returns the link (owned by the world) or
 * NULL with |err| set (bad queue discipline, interface already connected).
 */
struct mp_link *mp_world_connect(struct mp_world *w, struct mp_node *a, uint32_t ia,
                                 struct mp_node *b, uint32_t ib, const struct mp_link_conf *conf,
                                 GError **err);
struct mp_link *mp_world_link(struct mp_world *w, const char *name);

/*
 * Installs routes computed from the topology on every node: for each
 * prefix assigned to some interface, a route via the first hop of a
 * shortest path (hop count; ties to the lower ifindex, then to the node
 * added first), per address family over links whose both ends have an
 * address of that family. Connected prefixes are left alone. With
 * |per_iface_tables|, nodes with several interfaces also get one table per
 * interface (100 + ifindex) holding the routes through that interface and
 * a rule "from <address> lookup <table>" for each of its addresses, so the
 * source address decides the way out (Linux multihoming practice).
 */
void mp_world_compute_routes(struct mp_world *w);
void mp_node_set_per_iface_tables(struct mp_node *n, bool on);
/* Whether mp_world_compute_routes() installs routes on |n| (default: yes;
 * nodes with routes written by hand say no). */
void mp_node_set_auto_routes(struct mp_node *n, bool on);

/* Opens the capture files (when conf->outdir is set). Call after the
 * topology is built; interfaces added later are added to the pcapng. */
bool mp_world_open_captures(struct mp_world *w, GError **err);
/* Flushes and closes them; the first error is reported. */
bool mp_world_close_captures(struct mp_world *w, GError **err);
/* Records a scenario event: a pcapng comment on every captured node and a
 * trace record. */
void mp_world_note(struct mp_world *w, const char *text);

/* Runs until |stop| (MP_TIME_NEVER: until nothing is left) or an
 * interruption. */
enum mp_run_result mp_world_run(struct mp_world *w, mp_time_t stop);

#endif
