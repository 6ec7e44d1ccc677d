/* Placeholder until the plotting module is merged (this session). */
#include "tools/trace/plot.h"

int at_plot_run(const struct at_plot_input *in, unsigned conn, double bin_s, const char *out_dir,
                GError **err)
{
    (void)in; (void)conn; (void)bin_s; (void)out_dir;
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOSYS, "plots are not built in");
    return -1;
}

int at_plot_compare(const struct at_plot_input *a, const struct at_plot_input *b, double bin_s,
                    const char *out_dir, GError **err)
{
    (void)a; (void)b; (void)bin_s; (void)out_dir;
    g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOSYS, "plots are not built in");
    return -1;
}
