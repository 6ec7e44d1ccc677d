/*
 * afmp: results.json, the deterministic outcome of a run: per node its
 * non-zero counters and interface statistics, per link and direction its
 * packet statistics, per application its state, exit status, times and
 * reported results, and the verdict of every expectation. Nothing in it
 * depends on the machine or the wall clock: the same scenario and seed give
 * the same bytes. (Wall-clock facts go to run.json.)
 */
#ifndef MP_SIM_RESULTS_H
#define MP_SIM_RESULTS_H

#include "sim/expect.h"

/* Returns results.json's text (free with g_free). */
char *mp_results_json(struct mp_build *b, const GArray *verdicts);

#endif
