/*
 * mp-server: the server that goes with mp-client.
 *
 *   mp-server [-p PORT] [-b ADDR[,ADDR...]] [-c COUNT] [-i MS]
 *
 * Opens an AF_MULTIPATH stream socket, binds it to the addresses given with
 * -b (numeric, comma-separated; default: every address of both families),
 * all on PORT (default 5001), listens, and serves COUNT connections
 * (default 1) one after the other: reads each to its end, checking every
 * byte against the stream pattern that mp-client and afmp's bulk-send
 * write, then closes it. While reading it prints the connection's address
 * lists (getsockname() and getpeername()) whenever they change: on an
 * MPTCP connection they grow as the client's subflows join.
 *
 * Without AF_MULTIPATH (socket() fails with EAFNOSUPPORT, EPROTONOSUPPORT
 * or ENOPROTOOPT) it listens with a plain socket on the first -b address,
 * or on the IPv6 wildcard (which takes IPv4 clients too on Linux), or the
 * IPv4 one.
 *
 * Plain POSIX: built normally it runs on Linux; built with -include
 * afmp/compat.h it runs inside the simulator and reports afmp_result()
 * figures: multipath, connections, bytes, intact (1 if every byte matched
 * and every connection ended cleanly), changes, local_max, peer_max.
 *
 * Exit status: 0 when every connection was read intact, 1 otherwise, 2 for
 * bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mp-lists.h"

#define MAX_ADDRS 32

struct addr {
    struct sockaddr_storage sa;
    socklen_t len;
};

static struct addr binds[MAX_ADDRS];
static int n_binds;
static uint16_t port = 5001;
static int period_ms = 100;
static struct lists lists;

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [-p PORT] [-b ADDR[,ADDR...]] [-c COUNT] [-i MS]\n", prog);
}

/* Parses one numeric address into binds[]; 0 if it is not one. */
static int add_bind(const char *s)
{
    struct addr *a = &binds[n_binds];
    if (n_binds == MAX_ADDRS)
        return 0;
    memset(a, 0, sizeof(*a));
    struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
    if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        a->len = sizeof(*s4);
    } else if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        a->len = sizeof(*s6);
    } else {
        return 0;
    }
    n_binds++;
    return 1;
}

/* The listening socket; *multipath says which kind. */
static int open_listener(int *multipath)
{
    const int one = 1;
    *multipath = 0;
#ifdef AF_MULTIPATH
    int fd = socket(AF_MULTIPATH, SOCK_STREAM, 0);
    if (fd >= 0) {
        struct sockaddr_mp_storage mp;
        socklen_t len = 0;
        if (n_binds == 0) {
            add_bind("0.0.0.0");
            add_bind("::");
        }
        for (int i = 0; i < n_binds; i++)
            if (afmp_mp_append_sockaddr((struct sockaddr *)&mp, sizeof(mp), &len,
                                        (const struct sockaddr *)&binds[i].sa,
                                        binds[i].len) < 0) {
                fprintf(stderr, "cannot build the container\n");
                close(fd);
                return -1;
            }
        if (bind(fd, (struct sockaddr *)&mp, len) < 0 || listen(fd, 16) < 0) {
            fprintf(stderr, "bind/listen (AF_MULTIPATH): %s\n", strerror(errno));
            close(fd);
            return -1;
        }
        *multipath = 1;
        return fd;
    }
    if (errno != EAFNOSUPPORT && errno != EPROTONOSUPPORT && errno != ENOPROTOOPT) {
        fprintf(stderr, "socket(AF_MULTIPATH): %s\n", strerror(errno));
        return -1;
    }
    printf("socket(AF_MULTIPATH): %s: listening with a plain socket\n", strerror(errno));
#endif
    if (n_binds == 0 && !add_bind("::"))
        return -1;
    for (int tries = 0; tries < 2; tries++) {
        const struct sockaddr *sa = (const struct sockaddr *)&binds[0].sa;
        int s = socket(sa->sa_family, SOCK_STREAM, 0);
        if (s >= 0) {
            setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(s, sa, binds[0].len) == 0 && listen(s, 16) == 0)
                return s;
            close(s);
        }
        fprintf(stderr, "listen: %s\n", strerror(errno));
        /* The IPv6 wildcard failed: try IPv4's. */
        if (n_binds != 1 || sa->sa_family != AF_INET6)
            break;
        n_binds = 0;
        add_bind("0.0.0.0");
    }
    return -1;
}

int main(int argc, char **argv)
{
    char *bind_list = NULL;
    long long v, count = 1;
    int c;

    while ((c = getopt(argc, argv, "p:b:c:i:h")) != -1) {
        switch (c) {
        case 'p':
            if (!parse_num(optarg, 1, 65535, &v))
                goto bad;
            port = (uint16_t)v;
            break;
        case 'b':
            bind_list = optarg;
            break;
        case 'c':
            if (!parse_num(optarg, 1, 1000000, &count))
                goto bad;
            break;
        case 'i':
            if (!parse_num(optarg, 1, 3600000, &v))
                goto bad;
            period_ms = (int)v;
            break;
        case 'h':
            usage(argv[0]);
            return 0;
        default:
            usage(argv[0]);
            return 2;
        }
    }
    if (optind != argc) {
        usage(argv[0]);
        return 2;
    }
    if (bind_list) {
        /* The addresses are parsed after the port is known. */
        char *copy = strdup(bind_list), *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
            if (!add_bind(tok)) {
                fprintf(stderr, "%s: -b: '%s' is not a numeric address\n", argv[0], tok);
                free(copy);
                return 2;
            }
        free(copy);
    }

    lists.t0 = now_ns();
    int multipath, intact = 1, conns = 0;
    uint64_t bytes = 0;
    int l = open_listener(&multipath);
    if (l < 0)
        return 1;
    char self[MP_LIST_LEN];
    list_str(l, 0, self, sizeof(self));
    printf("listening (%s) on %s\n", multipath ? "AF_MULTIPATH" : "plain", self);

    uint8_t buf[16384];
    while (conns < count) {
        int fd = accept(l, NULL, NULL);
        if (fd < 0) {
            fprintf(stderr, "accept: %s\n", strerror(errno));
            intact = 0;
            break;
        }
        conns++;
        lists.local[0] = lists.peer[0] = '\0';
        watch_lists(&lists, fd, conns);
        uint64_t off = 0;
        int ok = 1;
        for (;;) {
            struct pollfd p = {.fd = fd, .events = POLLIN};
            int r = poll(&p, 1, period_ms);
            watch_lists(&lists, fd, conns);
            if (r < 0) {
                fprintf(stderr, "poll: %s\n", strerror(errno));
                ok = 0;
                break;
            }
            if (r == 0)
                continue;
            ssize_t k = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (k < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (k < 0) {
                fprintf(stderr, "[%d] recv after %llu bytes: %s\n", conns,
                        (unsigned long long)off, strerror(errno));
                ok = 0;
                break;
            }
            if (k == 0)
                break;
            for (ssize_t i = 0; i < k && ok; i++)
                if (buf[i] != pattern(off + (uint64_t)i)) {
                    fprintf(stderr, "[%d] byte %llu is wrong\n", conns,
                            (unsigned long long)(off + (uint64_t)i));
                    ok = 0;
                }
            off += (uint64_t)k;
        }
        printf("[%d] %llu bytes, %s\n", conns, (unsigned long long)off,
               ok ? "intact" : "NOT intact");
        bytes += off;
        intact = intact && ok;
        close(fd);
    }
    close(l);
#ifdef AFMP_COMPAT_H
    afmp_result("multipath", multipath);
    afmp_result("connections", conns);
    afmp_result("bytes", (int64_t)bytes);
    afmp_result("intact", intact);
    afmp_result("changes", lists.changes);
    afmp_result("local_max", lists.local_max);
    afmp_result("peer_max", lists.peer_max);
#endif
    return intact ? 0 : 1;
bad:
    fprintf(stderr, "%s: bad value '%s' for -%c\n", argv[0], optarg, c);
    return 2;
}
