/*
 * afmp: echo, a TCP echo server (RFC 862 over TCP) for any number of
 * connections at once (scenarios/FORMAT.md, "Applications").
 *
 * Each connection's bytes go back unchanged and in order. A connection is
 * read only once what it sent before has been written back, so a client
 * that does not read its echoes is slowed down by TCP flow control, not by
 * memory here. When a client ends its stream, the rest is written back and
 * the connection closed.
 *
 * Figures: connections (accepted), echoed_bytes, echo_errors (connections
 * that ended with a socket error).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>

#include "afmp/afmp.h"
#include "sim/apps/apps.h"
#include "sim/apps/util.h"
#include "sim/units.h"

#define PROG "echo"
#define BUF (64u * 1024u)
#define BACKLOG 128

struct conn {
    int fd;
    uint8_t buf[BUF];
    size_t len, pos; /* pending bytes buf[pos..len) */
    bool eof;
};

struct echo {
    uint64_t connections, bytes, errors, over;
};

static void publish(const struct echo *e)
{
    afmp_result("connections", (int64_t)e->connections);
    afmp_result("echoed_bytes", (int64_t)e->bytes);
    afmp_result("echo_errors", (int64_t)e->errors);
}

static bool again(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

/* Moves data for |c|; returns false when the connection is over. */
static bool serve(struct echo *e, struct conn *c)
{
    for (;;) {
        if (c->pos < c->len) {
            ssize_t k = afmp_send(c->fd, c->buf + c->pos, c->len - c->pos,
                                  MSG_DONTWAIT | MSG_NOSIGNAL);
            if (k < 0 && again())
                return true;
            if (k < 0) {
                afmp_log("%s: [%3d] send: %s", PROG, c->fd, g_strerror(errno));
                e->errors++;
                return false;
            }
            c->pos += (size_t)k;
            e->bytes += (uint64_t)k;
            continue;
        }
        if (c->eof)
            return false;
        ssize_t k = afmp_recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
        if (k < 0 && again())
            return true;
        if (k < 0) {
            afmp_log("%s: [%3d] recv: %s", PROG, c->fd, g_strerror(errno));
            e->errors++;
            return false;
        }
        if (k == 0)
            c->eof = true;
        c->len = (size_t)k;
        c->pos = 0;
    }
}

/* What run() allocates, freed at its end or when the process is killed. */
struct echo_mem {
    GPtrArray *conns; /* struct conn *, owned */
    GArray *pfd;
};

static void echo_mem_free(void *arg)
{
    struct echo_mem *m = arg;
    g_ptr_array_free(m->conns, TRUE);
    g_array_free(m->pfd, TRUE);
}

static int run(uint16_t port, const struct sockaddr_storage *bind, socklen_t blen,
               uint64_t count)
{
    struct echo e = {0};
    int lfd[2];
    unsigned nl = 0;

    if (bind) {
        int fd = mp_app_tcp_listen(PROG, bind->ss_family, false, bind, blen, port, BACKLOG);
        if (fd >= 0)
            lfd[nl++] = fd;
    } else {
        static const int fams[2] = {AF_INET, AF_INET6};
        for (int i = 0; i < 2; i++) {
            int fd = mp_app_tcp_listen(PROG, fams[i], false, NULL, 0, port, BACKLOG);
            if (fd >= 0)
                lfd[nl++] = fd;
        }
    }
    if (!nl)
        return MP_APP_EXIT_FAIL;
    for (unsigned i = 0; i < nl; i++) {
        int fl = afmp_fcntl(lfd[i], F_GETFL, 0);
        if (fl >= 0)
            afmp_fcntl(lfd[i], F_SETFL, fl | O_NONBLOCK);
    }
    publish(&e);
    struct echo_mem mem = {g_ptr_array_new_with_free_func(g_free),
                           g_array_new(FALSE, FALSE, sizeof(struct pollfd))};
    afmp_cleanup_push(echo_mem_free, &mem);
    GPtrArray *conns = mem.conns;
    GArray *pfd = mem.pfd;
    int rc = MP_APP_EXIT_OK;
    while (!count || e.over < count) {
        g_array_set_size(pfd, 0);
        bool accepting = !count || e.connections < count;
        for (unsigned i = 0; i < nl; i++) {
            struct pollfd p = {.fd = lfd[i], .events = accepting ? POLLIN : 0};
            g_array_append_val(pfd, p);
        }
        for (guint i = 0; i < conns->len; i++) {
            struct conn *c = g_ptr_array_index(conns, i);
            struct pollfd p = {.fd = c->fd, .events = c->pos < c->len ? POLLOUT : POLLIN};
            g_array_append_val(pfd, p);
        }
        if (afmp_ppoll((struct pollfd *)pfd->data, pfd->len, NULL, NULL) < 0) {
            afmp_log("%s: poll: %s", PROG, g_strerror(errno));
            rc = MP_APP_EXIT_FAIL;
            break;
        }
        /* Connections first, by their place in the array that was polled;
         * removals go backwards so indices stay valid. */
        for (guint i = conns->len; i-- > 0;) {
            struct conn *c = g_ptr_array_index(conns, i);
            if (!g_array_index(pfd, struct pollfd, nl + i).revents)
                continue;
            if (!serve(&e, c)) {
                afmp_close(c->fd);
                g_ptr_array_remove_index(conns, i);
                e.over++;
            }
        }
        for (unsigned i = 0; i < nl; i++) {
            if (!g_array_index(pfd, struct pollfd, i).revents)
                continue;
            while (!count || e.connections < count) {
                int fd = afmp_accept(lfd[i], NULL, NULL);
                if (fd < 0) {
                    if (!again())
                        afmp_log("%s: accept: %s", PROG, g_strerror(errno));
                    break;
                }
                struct conn *c = g_new0(struct conn, 1);
                c->fd = fd;
                g_ptr_array_add(conns, c);
                e.connections++;
            }
        }
        publish(&e);
    }
    afmp_log("%s: %" G_GUINT64_FORMAT " connections, %" G_GUINT64_FORMAT
             " bytes echoed, %" G_GUINT64_FORMAT " errors",
             PROG, e.connections, e.bytes, e.errors);
    for (guint i = 0; i < conns->len; i++)
        afmp_close(((struct conn *)g_ptr_array_index(conns, i))->fd);
    for (unsigned i = 0; i < nl; i++)
        afmp_close(lfd[i]);
    afmp_cleanup_pop(1);
    return rc;
}

int mp_app_echo_main(int argc, char **argv)
{
    gint port = 0;
    char *bind = NULL, *count = NULL;
    const GOptionEntry entries[] = {
        {"port", 0, 0, G_OPTION_ARG_INT, &port, "TCP port to listen on", "P"},
        {"bind", 0, 0, G_OPTION_ARG_STRING, &bind, "local address (default: any, both families)",
         "ADDR"},
        {"count", 0, 0, G_OPTION_ARG_STRING, &count,
         "end after N connections are over (default: until stopped)", "N"},
        {NULL},
    };
    struct sockaddr_storage ss;
    socklen_t slen = 0;
    uint64_t n = 0;
    int rc = MP_APP_EXIT_USAGE;
    bool help = false;

    switch (mp_app_parse_options(PROG, "", "Sends TCP streams back as they come.", entries, &argc,
                                 &argv)) {
    case MP_APP_OPTS_HELP:
        help = true;
        rc = MP_APP_EXIT_OK;
        break;
    case MP_APP_OPTS_ERROR:
        break;
    default:
        if (port <= 0 || port > 65535)
            afmp_log("%s: --port 1..65535 is required", PROG);
        else if (bind && !mp_app_resolve(PROG, bind, (uint16_t)port, &ss, &slen))
            ;
        else if (count && !mp_app_opt_uint(PROG, "--count", count, UINT32_MAX, &n))
            ;
        else
            rc = MP_APP_EXIT_OK;
    }
    bool has_bind = bind != NULL;
    g_free(bind);
    g_free(count);
    return rc == MP_APP_EXIT_OK && !help ? run((uint16_t)port, has_bind ? &ss : NULL, slen, n)
                                         : rc;
}
