/*
 * afmp: the table of built-in applications and the plug-in loader
 * (apps.h).
 */
#include "sim/apps/apps.h"

#include <string.h>

G_DEFINE_QUARK(mp-apps-error-quark, mp_apps_error)

/* One list, two constant tables (definitions and names), so the names the
 * scenario loader accepts cannot drift from what exists. Keep it sorted by
 * name: that is the order of mp_apps_list(). */
#define MP_APPS_TABLE(X)                                                                       \
    X("bulk-send", mp_app_bulk_send_main, "a TCP bulk transfer of a checked pattern, like iperf3 -c") \
    X("dns-server", mp_app_dns_server_main, "answers A and AAAA queries over UDP from a zone")    \
    X("echo", mp_app_echo_main, "sends every TCP stream back as it comes")                      \
    X("ping", mp_app_ping_main, "ICMP echo with ping sockets, like iputils' ping")            \
    X("reqresp", mp_app_reqresp_main, "request/response transactions over TCP, with latencies") \
    X("sink", mp_app_sink_main, "receives TCP streams, checks every byte, goodput and stalls")  \
    X("udp-cbr", mp_app_udp_cbr_main, "constant bit rate UDP datagrams, sequenced and stamped") \
    X("udp-echo", mp_app_udp_echo_main, "sends every UDP datagram back to where it came from")  \
    X("udp-sink", mp_app_udp_sink_main, "receives udp-cbr datagrams: loss, delay, jitter, goodput")

#define DEF(name, fn, summary) {name, fn, summary},
#define NAME(name, fn, summary) name,

static const struct mp_app_def apps[] = {MP_APPS_TABLE(DEF)};
static const char *const names[] = {MP_APPS_TABLE(NAME) NULL};

const struct mp_app_def *mp_apps_list(size_t *n)
{
    *n = G_N_ELEMENTS(apps);
    return apps;
}

const char *const *mp_apps_names(void)
{
    return names;
}

const struct mp_app_def *mp_apps_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(apps); i++)
        if (!strcmp(apps[i].name, name))
            return &apps[i];
    return NULL;
}

GModule *mp_apps_plugin_open(const char *path, const char *symbol, mp_app_main_fn *main_out,
                             GError **err)
{
    gpointer sym = NULL;

    if (!symbol)
        symbol = MP_APPS_PLUGIN_SYMBOL;
    /* Local binding: two plug-ins that both export afmp_main (the default)
     * must not see each other's symbols. */
    GModule *m = g_module_open(path, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);
    if (!m) {
        g_set_error(err, MP_APPS_ERROR, MP_APPS_ERROR_OPEN, "%s: cannot load the plug-in: %s",
                    path, g_module_error());
        return NULL;
    }
    if (!g_module_symbol(m, symbol, &sym) || !sym) {
        g_set_error(err, MP_APPS_ERROR, MP_APPS_ERROR_SYMBOL,
                    "%s: the plug-in has no symbol '%s' (expected int %s(int argc, char **argv))",
                    path, symbol, symbol);
        g_module_close(m);
        return NULL;
    }
    *main_out = (mp_app_main_fn)sym;
    return m;
}
