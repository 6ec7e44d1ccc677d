/* afmp: `afmp-sim sweep` (tools/sweep.c). */
#ifndef MP_TOOLS_SWEEP_H
#define MP_TOOLS_SWEEP_H

#include <stdbool.h>

struct mp_engine;

/* Called with each run's engine when it starts and ends (the signal
 * handler's list), as mp_run_opts.engine_hook. */
typedef void (*sweep_hook_fn)(struct mp_engine *eng, bool start, void *arg);

/* afmp-sim sweep ARGS: |argv[0]| is "sweep"; |self| the afmp-sim binary
 * (for the commands --print writes). Returns the exit status. */
int afmp_sweep(int argc, char **argv, const char *self, const char *cmdline, sweep_hook_fn hook);

#endif
