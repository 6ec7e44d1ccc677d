/*
 * afmp: evaluating a scenario's [expect] entries against a finished run.
 * Each verdict says what was measured against what was expected, in the
 * units of the expectation.
 */
#ifndef MP_SIM_EXPECT_H
#define MP_SIM_EXPECT_H

#include "sim/build.h"

struct mp_verdict {
    char *name;     /* the expectation's label */
    char *text;     /* as written */
    bool ok;
    char *measured; /* "12.5Mbit", "exited 0 at 3.2s", "not reported by the app" */
    char *expected; /* ">= 10Mbit", "done by 18s" */
};

/* Evaluates every expectation of b->scn; returns a GArray of struct
 * mp_verdict in file order (free with mp_verdicts_free). */
GArray *mp_expect_evaluate(struct mp_build *b);
void mp_verdicts_free(GArray *v);
size_t mp_verdicts_failed(const GArray *v);

/* The result |key| that application |app| (scenario index) reported. */
bool mp_expect_app_result(struct mp_build *b, size_t app, const char *key, int64_t *out);

#endif
