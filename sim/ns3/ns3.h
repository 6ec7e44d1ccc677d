/*
 * afmp: the ns-3 engine (scenario `engine = ns3`, `afmp-sim run --engine
 * ns3`). The world is built as always; its links are then carried by ns-3's
 * point-to-point devices and channels, and ns-3's simulator drives the
 * world's events (sim/ns3/ns3.c, ns3.cc).
 *
 * Only programs that link the ns-3 engine have it: afmp-sim, when Meson
 * found Debian's ns-3 (-Dns3=auto). They set mp_ns3_engine at start; a
 * scenario asking for ns-3 elsewhere gets a clear error. (So the core
 * library, and every test program built on it, carries no C++ and no
 * ns-3.)
 *
 * ns-3's simulator is a process-wide singleton: one ns-3 run at a time in a
 * process (runs of `check --jobs N` on ns-3 wait for each other).
 */
#ifndef MP_NS3_H
#define MP_NS3_H

#include <glib.h>

#include "sim/build.h"
#include "sim/engine.h"

struct mp_ns3_engine {
    /* What the ns-3 engine cannot carry, as a scenario error (file, line,
     * group): links with loss, corruption, duplication, reordering,
     * middleboxes, delivery traces, no rate or two delays; link changes at
     * run time other than down and up. */
    bool (*check)(const struct mp_build *b, GError **err);
    /* Runs the built world |b| on ns-3 until |stop|. With |pcap_dir|,
     * ns-3's own capture of each end of every link goes there
     * (ns3-LINK-a.pcap, ns3-LINK-b.pcap, PPP framing). Returns as
     * mp_world_run(); on a refusal MP_RUN_IDLE with |err| set. */
    enum mp_run_result (*run)(struct mp_build *b, mp_time_t stop, const char *pcap_dir,
                              uint64_t *ns3_events, GError **err);
};

/* The ns-3 engine of this program, NULL when it has none (sim/run.c). */
extern const struct mp_ns3_engine *mp_ns3_engine;

/* The implementation (sim/ns3/ns3.c), in programs built with ns-3. */
extern const struct mp_ns3_engine mp_ns3_engine_impl;

#endif
