/*
 * afmp: the built-in applications and their registry, and plug-ins.
 *
 * A built-in application is a main(argc, argv) written only against the
 * afmp socket API (afmp/afmp.h) and GLib, exactly like a user's plug-in; the
 * registry maps the name a scenario writes in argv[0] to that function.
 * The table is constant: there is nothing to register at run time, and
 * several simulations share it safely.
 *
 * Conventions every built-in follows (scenarios/FORMAT.md, "Applications"):
 *  - options are parsed with GOptionContext; a bad option is logged through
 *    afmp_log() and the program returns MP_APP_EXIT_USAGE (2); --help logs
 *    the usage and returns 0 (GLib's own help would exit the simulator);
 *  - quantities use the scenario unit syntax (sim/units.h): 10Mbit, 1.5ms;
 *  - figures are reported with afmp_result() as integers (times in ns,
 *    rates in bit/s, ratios in ppm), and a human summary goes to afmp_log();
 *  - results are kept up to date while the program runs, so a process that
 *    is stopped (killed) by the scenario still leaves its figures behind.
 */
#ifndef MP_SIM_APPS_H
#define MP_SIM_APPS_H

#include <glib.h>
#include <gmodule.h>
#include <stddef.h>

/* Exit statuses shared by the built-ins. */
#define MP_APP_EXIT_OK 0
#define MP_APP_EXIT_FAIL 1  /* a run-time failure (socket error, nothing received) */
#define MP_APP_EXIT_USAGE 2 /* bad options or arguments */

typedef int (*mp_app_main_fn)(int argc, char **argv);

struct mp_app_def {
    const char *name;    /* what argv[0] says in a scenario */
    mp_app_main_fn main; /* runs as a simulated process (sim/proc) */
    const char *summary; /* one line for listings */
};

/* The symbol a plug-in exports when the scenario names none. */
#define MP_APPS_PLUGIN_SYMBOL "afmp_main"

#define MP_APPS_ERROR (mp_apps_error_quark())
GQuark mp_apps_error_quark(void);
enum mp_apps_error {
    MP_APPS_ERROR_OPEN,   /* the shared object could not be loaded */
    MP_APPS_ERROR_SYMBOL, /* it has no such symbol (or it is NULL) */
};

/*
 * mp_apps_lookup returns the built-in named |name| (exact, case-sensitive),
 * or NULL if there is none (or |name| is NULL).
 */
const struct mp_app_def *mp_apps_lookup(const char *name);

/*
 * mp_apps_list returns every built-in in a stable order (alphabetical by
 * name) and stores their number in |*n|. The table is constant and lives as
 * long as the program.
 */
const struct mp_app_def *mp_apps_list(size_t *n);

/*
 * mp_apps_names returns the built-ins' names in the order of mp_apps_list,
 * NULL-terminated (a GStrv-shaped constant; do not free).
 */
const char *const *mp_apps_names(void);

/*
 * mp_apps_plugin_open loads the shared object |path| with GModule (symbols
 * bound lazily and kept local, so two plug-ins may both export afmp_main)
 * and looks up |symbol| (NULL: MP_APPS_PLUGIN_SYMBOL), an
 * int (*)(int argc, char **argv). On success stores the function in
 * |*main_out| and returns the module, which the caller closes with
 * g_module_close() once no process runs its code any more.
 *
 * Returns NULL with |err| set (message naming |path|):
 *   MP_APPS_ERROR_OPEN    the file is missing or is not a loadable object
 *                         (GModule's reason is quoted)
 *   MP_APPS_ERROR_SYMBOL  the object has no |symbol|, or it resolves to NULL
 */
GModule *mp_apps_plugin_open(const char *path, const char *symbol, mp_app_main_fn *main_out,
                             GError **err);

/* The built-ins' entry points (sim/apps/<name>.c), for the registry. */
int mp_app_udp_cbr_main(int argc, char **argv);
int mp_app_udp_sink_main(int argc, char **argv);
int mp_app_udp_echo_main(int argc, char **argv);
int mp_app_ping_main(int argc, char **argv);
int mp_app_dns_server_main(int argc, char **argv);
int mp_app_bulk_send_main(int argc, char **argv);
int mp_app_sink_main(int argc, char **argv);
int mp_app_echo_main(int argc, char **argv);
int mp_app_reqresp_main(int argc, char **argv);

#endif
