/*
 * mp-probe: which addresses of a host answer?
 *
 *   mp-probe [-p PORT] [-t TIMEOUT_MS] [-n TRIES] NAME...
 *
 * Resolves each NAME with one AF_MULTIPATH lookup (A and AAAA together,
 * one container address back), sends a UDP datagram to every address of
 * the container on PORT (default 7, echo), waits up to TIMEOUT_MS (default
 * 1000) for the echo, and prints which addresses answered and how fast.
 * A resolver without AF_MULTIPATH says EAI_FAMILY; the program then asks
 * again with AF_UNSPEC, as the draft suggests (draft-sarolahti-mptcp-
 * af-multipath: "a stack without AF_MULTIPATH returns an error so the
 * application can retry with AF_INET").
 *
 * It is a plain POSIX program: built normally it runs on Linux (without
 * AF_MULTIPATH); built with -include afmp/compat.h it runs inside the
 * simulator, where it also reports its figures with afmp_result():
 * probed, answered, rtt_max_ns.
 *
 * Exit status: 0 if some address answered, 1 if none did, 2 for bad usage.
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

#define MAX_ADDRS 32

struct target {
    struct sockaddr_storage sa;
    socklen_t len;
};

static struct target targets[MAX_ADDRS];
static int n_targets;
static uint16_t port = 7;
static int timeout_ms = 1000;
static int tries = 1;

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [-p PORT] [-t TIMEOUT_MS] [-n TRIES] NAME...\n", prog);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, a, sizeof(a));
        snprintf(buf, len, "%s", a);
    } else {
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, a, sizeof(a));
        snprintf(buf, len, "[%s]", a);
    }
    return buf;
}

static void add_target(const struct sockaddr *sa, socklen_t len)
{
    if (n_targets == MAX_ADDRS || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
        len > sizeof(targets[0].sa))
        return;
    struct target *t = &targets[n_targets++];
    memcpy(&t->sa, sa, len);
    t->len = len;
    if (sa->sa_family == AF_INET)
        ((struct sockaddr_in *)&t->sa)->sin_port = htons(port);
    else
        ((struct sockaddr_in6 *)&t->sa)->sin6_port = htons(port);
}

/* Adds every address of |name|; returns how many, or -1. */
static int resolve(const char *name)
{
    struct addrinfo hints, *res = NULL;
    int before = n_targets;
    int rc = EAI_FAMILY;

    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_DGRAM;
#ifdef AF_MULTIPATH
    hints.ai_family = AF_MULTIPATH;
    rc = getaddrinfo(name, NULL, &hints, &res);
    if (rc == 0) {
        /* One answer: the container with every address of the name. */
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            struct afmp_mp_iter it;
            struct afmp_mp_entry e;
            if (ai->ai_family != AF_MULTIPATH) {
                add_target(ai->ai_addr, ai->ai_addrlen);
                continue;
            }
            if (afmp_mp_iter_init(&it, ai->ai_addr, ai->ai_addrlen) < 0)
                continue;
            while (afmp_mp_iter_next(&it, &e) == 1) {
                struct sockaddr_storage ss;
                socklen_t len = sizeof(ss);
                if (afmp_mp_entry_to_sockaddr(&e, (struct sockaddr *)&ss, &len) == 0)
                    add_target((struct sockaddr *)&ss, len);
            }
        }
        freeaddrinfo(res);
        printf("%s: %d addresses (AF_MULTIPATH)\n", name, n_targets - before);
        return n_targets - before;
    }
#endif
    if (rc == EAI_FAMILY) {
        /* No AF_MULTIPATH here: one lookup per family, the classic way. */
        hints.ai_family = AF_UNSPEC;
        rc = getaddrinfo(name, NULL, &hints, &res);
    }
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", name, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next)
        add_target(ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(res);
    printf("%s: %d addresses (AF_UNSPEC)\n", name, n_targets - before);
    return n_targets - before;
}

/* Sends a probe to |t| and waits for its echo. Returns the round trip in
 * ns, or 0 when nothing came back. */
static uint64_t probe(const struct target *t, int index, const char **why)
{
    char out[64], in[128];
    int fd = socket(t->sa.ss_family, SOCK_DGRAM, 0);
    *why = "no answer";
    if (fd < 0) {
        *why = strerror(errno);
        return 0;
    }
    /* Connected: only the probed address's answer is received, and an ICMP
     * port unreachable shows up as ECONNREFUSED. */
    if (connect(fd, (const struct sockaddr *)&t->sa, t->len) < 0) {
        *why = strerror(errno);
        close(fd);
        return 0;
    }
    for (int attempt = 0; attempt < tries; attempt++) {
        int n = snprintf(out, sizeof(out), "mp-probe %d %d", index, attempt);
        uint64_t sent = now_ns();
        if (send(fd, out, (size_t)n, 0) < 0) {
            *why = strerror(errno);
            break;
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int left = timeout_ms;
        while (left >= 0) {
            int r = poll(&p, 1, left);
            if (r <= 0)
                break;
            ssize_t got = recv(fd, in, sizeof(in), 0);
            if (got < 0) {
                *why = strerror(errno);
                if (errno == ECONNREFUSED)
                    goto done;
                break;
            }
            uint64_t rtt = now_ns() - sent;
            if (got == n && memcmp(in, out, (size_t)n) == 0) {
                close(fd);
                return rtt ? rtt : 1;
            }
            /* A late echo of an earlier attempt: keep waiting. */
            left = timeout_ms - (int)(rtt / 1000000u);
        }
    }
done:
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    int c;
    while ((c = getopt(argc, argv, "p:t:n:h")) != -1) {
        switch (c) {
        case 'p':
            port = (uint16_t)atoi(optarg);
            if (atoi(optarg) <= 0 || atoi(optarg) > 65535) {
                fprintf(stderr, "%s: bad port '%s'\n", argv[0], optarg);
                return 2;
            }
            break;
        case 't':
            timeout_ms = atoi(optarg);
            if (timeout_ms <= 0) {
                fprintf(stderr, "%s: bad timeout '%s'\n", argv[0], optarg);
                return 2;
            }
            break;
        case 'n':
            tries = atoi(optarg);
            if (tries <= 0) {
                fprintf(stderr, "%s: bad number of tries '%s'\n", argv[0], optarg);
                return 2;
            }
            break;
        case 'h':
            usage(argv[0]);
            return 0;
        default:
            usage(argv[0]);
            return 2;
        }
    }
    if (optind >= argc) {
        usage(argv[0]);
        return 2;
    }
    for (int i = optind; i < argc; i++)
        resolve(argv[i]);

    int answered = 0;
    uint64_t rtt_max = 0;
    for (int i = 0; i < n_targets; i++) {
        char a[INET6_ADDRSTRLEN + 2];
        const char *why;
        uint64_t rtt = probe(&targets[i], i, &why);
        addr_str((const struct sockaddr *)&targets[i].sa, a, sizeof(a));
        if (rtt) {
            answered++;
            if (rtt > rtt_max)
                rtt_max = rtt;
            printf("  %s port %u: answered in %llu.%03llu ms\n", a, port,
                   (unsigned long long)(rtt / 1000000u), (unsigned long long)(rtt / 1000u % 1000u));
        } else {
            printf("  %s port %u: %s\n", a, port, why);
        }
    }
    printf("%d of %d addresses answered\n", answered, n_targets);
#ifdef AFMP_COMPAT_H
    afmp_result("probed", n_targets);
    afmp_result("answered", answered);
    afmp_result("rtt_max_ns", (int64_t)rtt_max);
#endif
    return answered > 0 ? 0 : 1;
}
