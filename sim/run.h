/*
 * afmp: one run of a scenario, as `afmp-sim run` and `afmp-sim check` do
 * it: load (with overrides), build, run, evaluate the expectations, and
 * write the output folder.
 *
 * Output folder (default traces/<scenario name>/):
 *   <node>-<iface>.pcap   one per captured interface, both directions
 *   <node>.pcapng         all interfaces of a captured node, with events
 *   trace.jsonl           trace records (JSON lines)
 *   logs/<app>.log        what each application wrote with afmp_log
 *   results.json          the outcome (deterministic: same scenario and
 *                         seed, same bytes)
 *   run.json              version, git revision, command line, wall time,
 *                         events per second, the resolved scenario
 * results.json, trace.jsonl, the logs and run.json are written under
 * temporary names and renamed when the run has finished, so a failed or
 * interrupted run leaves no half-written results (captures are valid up to
 * the interruption). Files of an earlier run in the folder are removed
 * first.
 */
#ifndef MP_SIM_RUN_H
#define MP_SIM_RUN_H

#include "sim/expect.h"

struct mp_run_opts {
    const char *file;
    const char *const *sets; /* "group.key=value" overrides, NULL-terminated; may be NULL */
    const char *outdir;      /* NULL: traces/<scenario name> */
    bool has_seed;
    uint64_t seed;
    mp_time_t stop;          /* MP_TIME_NEVER: the scenario's duration */
    bool no_pcap;
    bool no_trace;           /* no trace records (no trace.jsonl) */
    uint32_t snaplen;        /* 0: the scenario's */
    bool progress;           /* progress lines on stderr */
    const char *command_line;
    /* Called with the engine when the run starts (start = true) and ends,
     * so that a signal handler can interrupt it. */
    void (*engine_hook)(struct mp_engine *eng, bool start, void *arg);
    void *hook_arg;
};

struct mp_run_report {
    char *name;
    char *outdir;
    GArray *verdicts; /* struct mp_verdict; NULL when the run did not finish */
    bool interrupted;
    uint64_t events;
    double wall_s;
    GString *summary; /* the human summary */
};

#define MP_RUN_ERROR (mp_run_error_quark())
GQuark mp_run_error_quark(void);
enum { MP_RUN_ERROR_FAILED };

/* Runs |o->file|. Returns false with |err| set when the scenario is bad or
 * an output cannot be written (the caller exits 2); true otherwise, with
 * |rep| filled (free with mp_run_report_clear). */
bool mp_run(const struct mp_run_opts *o, struct mp_run_report *rep, GError **err);
void mp_run_report_clear(struct mp_run_report *rep);

#endif
