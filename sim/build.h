/*
 * afmp: building a world from a resolved scenario (sim/scenario.h): nodes
 * with their options, interfaces, addresses, routes and rules (or routes
 * computed from the topology), links with their queues and faults,
 * applications as processes, and the timeline of events.
 */
#ifndef MP_SIM_BUILD_H
#define MP_SIM_BUILD_H

#include "sim/net/world.h"
#include "sim/scenario.h"

struct mp_build_app {
    struct mp_node *node;
    struct mp_proc *proc;
};

struct mp_build {
    const struct mp_scenario *scn;
    struct mp_world *w;
    struct mp_node **nodes; /* by scenario node index */
    struct mp_link **links; /* by scenario link index */
    struct mp_build_app *apps;
    struct mp_build_faults {
        struct mp_fault *loss, *corrupt, *dup, *reorder;
    } (*faults)[2];
    uint64_t events_applied;
    struct ev_ctx *ev_ctxs;
    GPtrArray *modules; /* plug-ins (GModule *), closed last */
    struct mp_node *ns_node; /* [nameserver]: where dns-server runs */
    struct mp_proc *ns_proc;
};

#define MP_BUILD_ERROR (mp_build_error_quark())
GQuark mp_build_error_quark(void);
enum { MP_BUILD_ERROR_FAILED };

/*
 * Builds the world for |scn| (which must outlive the build) with the
 * capture and trace settings of |wc| (its seed is replaced by the
 * scenario's). Errors name the scenario file, line and what is wrong
 * (an application that does not exist, a plug-in that does not load, an
 * event the model cannot apply at run time, an unknown counter).
 */
struct mp_build *mp_build_new(const struct mp_scenario *scn, const struct mp_world_conf *wc,
                              GError **err);
void mp_build_free(struct mp_build *b);

#endif
