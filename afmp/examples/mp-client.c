/*
 * mp-client: the draft's snippet grown into a complete client.
 *
 *   mp-client [-p PORT] [-n BYTES] [-l LEN] [-i MS] [-a ADDR -A MS] NAME...
 *
 * Resolves every NAME (a host name or a numeric address) with one
 * AF_MULTIPATH lookup each (A and AAAA together, one container back) and
 * puts all their addresses in one container, sets PORT (default 5001) in
 * it, opens an AF_MULTIPATH stream socket and connect()s: the stack picks
 * the first address, races the others Happy-Eyeballs style and opens
 * subflows to the rest. It then sends BYTES bytes (default 1 MiB) of the
 * stream pattern that afmp's sink checks, in writes of LEN bytes (default
 * 16 KiB), shuts its side down and waits for the server to close.
 *
 * Every MS milliseconds (default 100) and after every write it asks
 * getsockname() and getpeername() and prints the two lists whenever they
 * changed: they grow as subflows are established and shrink as they die.
 * With -a ADDR -A MS it calls connect() again, MS milliseconds after the
 * connection was established, with the addresses of ADDR (a name or a
 * numeric address): the draft's way to add remote addresses later.
 *
 * Where AF_MULTIPATH is missing it falls back, as the draft suggests: the
 * lookup's EAI_FAMILY makes it ask again with AF_UNSPEC, and socket()'s
 * EAFNOSUPPORT (a stack without the family), EPROTONOSUPPORT or ENOPROTOOPT
 * (a stack without MPTCP) makes it connect a plain AF_INET / AF_INET6
 * socket to each address in turn until one answers.
 *
 * It is a plain POSIX program: built normally it runs on Linux (always the
 * fallback there); built with -include afmp/compat.h it runs inside the
 * simulator, where it also reports afmp_result() figures: multipath (1 if
 * the AF_MULTIPATH socket was used), addresses (in the container), bytes,
 * done, connect_ns, completion_ns, changes (list changes printed),
 * local_max and peer_max (the longest lists seen).
 *
 * Exit status: 0 once the server closed after all bytes, 1 on a failure
 * (nothing resolved, no address answered, a socket error), 2 for bad usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
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

static struct addr addrs[MAX_ADDRS], more[MAX_ADDRS];
static int n_addrs, n_more;
static uint16_t port = 5001;
static uint64_t total = 1024u * 1024u;
static size_t chunk = 16u * 1024u;
static int period_ms = 100;
static int add_after_ms = -1;

static struct lists lists;

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [-p PORT] [-n BYTES] [-l LEN] [-i MS] [-a ADDR -A MS] NAME...\n", prog);
}

static void add_addr(struct addr *set, int *n, const struct sockaddr *sa, socklen_t len)
{
    if (*n == MAX_ADDRS || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
        len > sizeof(set[0].sa))
        return;
    for (int i = 0; i < *n; i++)
        if (set[i].len == len && memcmp(&set[i].sa, sa, len) == 0)
            return;
    struct addr *a = &set[(*n)++];
    memcpy(&a->sa, sa, len);
    a->len = len;
    if (sa->sa_family == AF_INET)
        ((struct sockaddr_in *)&a->sa)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)&a->sa)->sin6_port = htons(port);
}

/* Adds every address of |name| to |set|. Returns how many, or -1. */
static int resolve(const char *name, struct addr *set, int *n)
{
    struct addrinfo hints, *res = NULL;
    int before = *n;
    int rc = EAI_FAMILY;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
#ifdef AF_MULTIPATH
    hints.ai_family = AF_MULTIPATH;
    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc == 0) {
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            struct afmp_mp_iter it;
            struct afmp_mp_entry e;
            if (ai->ai_family != AF_MULTIPATH) {
                add_addr(set, n, ai->ai_addr, ai->ai_addrlen);
                continue;
            }
            if (afmp_mp_iter_init(&it, ai->ai_addr, ai->ai_addrlen) < 0)
                continue;
            while (afmp_mp_iter_next(&it, &e) == 1) {
                struct sockaddr_storage ss;
                socklen_t len = sizeof(ss);
                if (afmp_mp_entry_to_sockaddr(&e, (struct sockaddr *)&ss, &len) == 0)
                    add_addr(set, n, (struct sockaddr *)&ss, len);
            }
        }
        freeaddrinfo(res);
        printf("%s: %d addresses (one AF_MULTIPATH lookup)\n", name, *n - before);
        return *n - before;
    }
#endif
    if (rc == EAI_FAMILY) {
        hints.ai_family = AF_UNSPEC;
        rc = getaddrinfo(name, NULL, &hints, &res);
    }
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", name, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        add_addr(set, n, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(res);
    printf("%s: %d addresses (AF_UNSPEC lookup)\n", name, *n - before);
    return *n - before;
}

#ifdef AF_MULTIPATH
/* A container of the addresses of |set| into |mp|; returns its length, or
 * 0 when none fits. */
static socklen_t container(const struct addr *set, int n, struct sockaddr_mp_storage *mp)
{
    socklen_t len = 0; /* 0: a new container */
    for (int i = 0; i < n; i++)
        if (afmp_mp_append_sockaddr((struct sockaddr *)mp, sizeof(*mp), &len,
                                    (const struct sockaddr *)&set[i].sa, set[i].len) < 0)
            return 0;
    return len;
}
#endif

/* Connects to the addresses: one AF_MULTIPATH socket when the stack has the
 * family, else plain sockets tried in turn. Returns the socket, or -1. */
static int open_connection(int *multipath)
{
    char a[INET6_ADDRSTRLEN + 8];
    *multipath = 0;
#ifdef AF_MULTIPATH
    int fd = socket(AF_MULTIPATH, SOCK_STREAM, 0);
    if (fd >= 0) {
        struct sockaddr_mp_storage mp;
        socklen_t len = container(addrs, n_addrs, &mp);
        if (len == 0) {
            fprintf(stderr, "cannot build the container\n");
            close(fd);
            return -1;
        }
        if (connect(fd, (struct sockaddr *)&mp, len) < 0) {
            fprintf(stderr, "connect (AF_MULTIPATH, %d addresses): %s\n", n_addrs,
                    strerror(errno));
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
    printf("socket(AF_MULTIPATH): %s: falling back to one address at a time\n",
           strerror(errno));
#endif
    for (int i = 0; i < n_addrs; i++) {
        const struct sockaddr *sa = (const struct sockaddr *)&addrs[i].sa;
        int s = socket(sa->sa_family, SOCK_STREAM, 0);
        one_str(sa, a, sizeof(a));
        if (s < 0) {
            printf("%s: socket: %s\n", a, strerror(errno));
            continue;
        }
        if (connect(s, sa, addrs[i].len) == 0)
            return s;
        printf("%s: connect: %s\n", a, strerror(errno));
        close(s);
    }
    fprintf(stderr, "no address answered\n");
    return -1;
}

/* connect() again with the -a addresses (AF_MULTIPATH only). */
static void add_remotes(int fd, int multipath)
{
    if (!multipath) {
        printf("connect again: not an AF_MULTIPATH socket, nothing to add\n");
        return;
    }
#ifdef AF_MULTIPATH
    struct sockaddr_mp_storage mp;
    socklen_t len = container(more, n_more, &mp);
    if (len && connect(fd, (struct sockaddr *)&mp, len) == 0)
        printf("connect again: %d addresses added\n", n_more);
    else
        printf("connect again: %s\n", len ? strerror(errno) : "no container");
#else
    (void)fd;
#endif
}

int main(int argc, char **argv)
{
    const char *add_name = NULL;
    long long v;
    int c;

    while ((c = getopt(argc, argv, "p:n:l:i:a:A:h")) != -1) {
        switch (c) {
        case 'p':
            if (!parse_num(optarg, 1, 65535, &v))
                goto bad;
            port = (uint16_t)v;
            break;
        case 'n':
            if (!parse_num(optarg, 0, INT64_MAX, &v))
                goto bad;
            total = (uint64_t)v;
            break;
        case 'l':
            if (!parse_num(optarg, 1, 1 << 20, &v))
                goto bad;
            chunk = (size_t)v;
            break;
        case 'i':
            if (!parse_num(optarg, 1, 3600000, &v))
                goto bad;
            period_ms = (int)v;
            break;
        case 'a':
            add_name = optarg;
            break;
        case 'A':
            if (!parse_num(optarg, 0, 3600000, &v))
                goto bad;
            add_after_ms = (int)v;
            break;
        case 'h':
            usage(argv[0]);
            return 0;
        default:
            usage(argv[0]);
            return 2;
        }
    }
    if (optind >= argc || (add_name != NULL) != (add_after_ms >= 0)) {
        usage(argv[0]);
        return 2;
    }
    for (int i = optind; i < argc; i++)
        resolve(argv[i], addrs, &n_addrs);
    if (add_name)
        resolve(add_name, more, &n_more);
    if (n_addrs == 0) {
        fprintf(stderr, "nothing to connect to\n");
        return 1;
    }

    int multipath = 0, rc = 1, done = 0;
    uint64_t sent = 0, connect_ns = 0, completion_ns = 0;
    lists.t0 = now_ns();
    int fd = open_connection(&multipath);
    if (fd < 0)
        goto out;
    uint64_t est = now_ns();
    connect_ns = est - lists.t0;
    printf("connected (%s) in %llu ms\n", multipath ? "AF_MULTIPATH" : "plain",
           (unsigned long long)(connect_ns / 1000000u));
    watch_lists(&lists, fd, 0);

    uint8_t *buf = malloc(chunk);
    if (!buf) {
        close(fd);
        goto out;
    }
    uint64_t add_at = add_after_ms >= 0 ? est + (uint64_t)add_after_ms * 1000000u : UINT64_MAX;
    int shut = 0;
    for (;;) {
        if (now_ns() >= add_at) {
            add_at = UINT64_MAX;
            add_remotes(fd, multipath);
        }
        if (!shut && sent == total) {
            if (shutdown(fd, SHUT_WR) < 0) {
                fprintf(stderr, "shutdown: %s\n", strerror(errno));
                break;
            }
            shut = 1;
        }
        int wait = period_ms;
        uint64_t now = now_ns();
        if (add_at != UINT64_MAX && add_at - now < (uint64_t)wait * 1000000u)
            wait = (int)((add_at - now + 999999u) / 1000000u);
        struct pollfd p = {.fd = fd, .events = shut ? POLLIN : POLLOUT};
        int r = poll(&p, 1, wait);
        watch_lists(&lists, fd, 0);
        if (r < 0) {
            fprintf(stderr, "poll: %s\n", strerror(errno));
            break;
        }
        if (r == 0)
            continue;
        if (shut) {
            ssize_t k = recv(fd, buf, chunk, MSG_DONTWAIT);
            if (k < 0 && (errno == EAGAIN || errno == EINTR))
                continue;
            if (k < 0) {
                fprintf(stderr, "waiting for the server to close: %s\n", strerror(errno));
                break;
            }
            if (k == 0) {
                completion_ns = now_ns() - lists.t0;
                done = 1;
                rc = 0;
                break;
            }
            continue;
        }
        size_t n = chunk;
        if (total - sent < n)
            n = (size_t)(total - sent);
        for (size_t i = 0; i < n; i++)
            buf[i] = pattern(sent + i);
        ssize_t k = send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (k < 0) {
            fprintf(stderr, "send after %llu bytes: %s\n", (unsigned long long)sent,
                    strerror(errno));
            break;
        }
        sent += (uint64_t)k;
    }
    free(buf);
    close(fd);
    if (done)
        printf("%llu bytes sent, server closed after %llu ms\n", (unsigned long long)sent,
               (unsigned long long)(completion_ns / 1000000u));
out:
#ifdef AFMP_COMPAT_H
    afmp_result("multipath", fd >= 0 && multipath);
    afmp_result("addresses", n_addrs);
    afmp_result("bytes", (int64_t)sent);
    afmp_result("done", done);
    afmp_result("connect_ns", (int64_t)connect_ns);
    afmp_result("completion_ns", (int64_t)completion_ns);
    afmp_result("changes", lists.changes);
    afmp_result("local_max", lists.local_max);
    afmp_result("peer_max", lists.peer_max);
#endif
    return rc;
bad:
    fprintf(stderr, "%s: bad value '%s' for -%c\n", argv[0], optarg, c);
    return 2;
}
