/*
 * afmp: udp-echo, sends every UDP datagram back to its sender
 * (scenarios/FORMAT.md, "Applications"). It runs until the scenario stops
 * it, or until it has echoed --count datagrams; its counts are kept current
 * so a stopped echo still reports them.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "afmp/afmp.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"

#define PROG "udp-echo"
#define RECV_MAX 65536u

struct echo_conf {
    uint16_t port;
    bool has_bind, has_count;
    struct sockaddr_storage bind;
    socklen_t blen;
    uint64_t count;
};

static int open_socket(const struct echo_conf *c, int family)
{
    return mp_app_udp_open(PROG, family, c->has_bind ? &c->bind : NULL, c->blen, c->port);
}

static int run(const struct echo_conf *c)
{
    struct pollfd pfd[2];
    nfds_t n = 0;
    uint8_t buf[RECV_MAX];
    uint64_t packets = 0, bytes = 0, errors = 0;

    if (c->has_bind) {
        int fd = open_socket(c, c->bind.ss_family);
        if (fd < 0)
            return MP_APP_EXIT_FAIL;
        pfd[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
    } else {
        static const int fams[2] = {AF_INET, AF_INET6};
        for (int i = 0; i < 2; i++) {
            int fd = open_socket(c, fams[i]);
            if (fd >= 0)
                pfd[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
        }
        if (!n)
            return MP_APP_EXIT_FAIL;
    }
    afmp_log("%s: echoing on port %u", PROG, c->port);
    afmp_result("echoed_packets", 0);
    afmp_result("echoed_bytes", 0);
    afmp_result("echo_errors", 0);
    while (!c->has_count || packets < c->count) {
        if (afmp_poll(pfd, n, -1) < 0) {
            afmp_log("%s: poll: %s", PROG, g_strerror(errno));
            break;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (!(pfd[i].revents & POLLIN))
                continue;
            for (;;) {
                struct sockaddr_storage from;
                socklen_t flen = sizeof(from);
                ssize_t len = afmp_recvfrom(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT,
                                            (struct sockaddr *)&from, &flen);
                if (len < 0)
                    break;
                if (afmp_sendto(pfd[i].fd, buf, (size_t)len, 0, (struct sockaddr *)&from, flen) < 0) {
                    errors++;
                    afmp_result("echo_errors", (int64_t)errors);
                    continue;
                }
                packets++;
                bytes += (uint64_t)len;
                afmp_result("echoed_packets", (int64_t)packets);
                afmp_result("echoed_bytes", (int64_t)bytes);
                if (c->has_count && packets >= c->count)
                    break;
            }
            if (c->has_count && packets >= c->count)
                break;
        }
    }
    afmp_log("%s: echoed %" G_GUINT64_FORMAT " datagrams, %" G_GUINT64_FORMAT
             " bytes, %" G_GUINT64_FORMAT " errors",
             PROG, packets, bytes, errors);
    for (nfds_t i = 0; i < n; i++)
        afmp_close(pfd[i].fd);
    return MP_APP_EXIT_OK;
}

int mp_app_udp_echo_main(int argc, char **argv)
{
    gint port = 0;
    char *bind = NULL, *count = NULL;
    const GOptionEntry entries[] = {
        {"port", 0, 0, G_OPTION_ARG_INT, &port, "UDP port to echo on", "P"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &bind, "local address (default: any, both families)",
         "ADDR"},
        {"count", 0, 0, G_OPTION_ARG_STRING, &count, "end after echoing N datagrams", "N"},
        {NULL},
    };
    struct echo_conf c = {0};
    int rc = MP_APP_EXIT_USAGE;
    bool help = false;

    switch (mp_app_parse_options(PROG, "", "Sends every UDP datagram back to its sender.", entries,
                                 &argc, &argv)) {
    case MP_APP_OPTS_HELP:
        help = true;
        rc = MP_APP_EXIT_OK;
        break;
    case MP_APP_OPTS_ERROR:
        break;
    default:
        if (port <= 0 || port > 65535)
            afmp_log("%s: --port 1..65535 is required", PROG);
        else if (bind && !mp_app_resolve(PROG, bind, (uint16_t)port, &c.bind, &c.blen))
            ;
        else if (count && !mp_app_opt_uint(PROG, "--count", count, UINT64_MAX, &c.count))
            ;
        else
            rc = MP_APP_EXIT_OK;
    }
    c.port = (uint16_t)port;
    c.has_bind = bind != NULL;
    c.has_count = count != NULL;
    g_free(bind);
    g_free(count);
    return rc == MP_APP_EXIT_OK && !help ? run(&c) : rc;
}
