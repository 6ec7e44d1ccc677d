/* A bulk transfer over the Linux kernel's MPTCP, for check-linux-mptcp.sh:
 * a native program (plain libc, no afmp), run in network namespaces.
 *   linux-mptcp-xfer server ADDR PORT
 *     accepts one connection on ADDR:PORT, prints "ready" once listening,
 *     reads to EOF, prints the number of bytes received, exits 0
 *   linux-mptcp-xfer client ADDR PORT BYTES [SUBFLOWS]
 *     connects to ADDR:PORT, writes BYTES bytes (byte i is i % 251), shuts
 *     its side down, waits for the server's EOF, exits 0; with SUBFLOWS,
 *     after its first write it waits (up to 5 s, then goes on with a
 *     warning) until the connection has that many subflows, the initial one
 *     included, so that the path manager's subflows carry part of the data
 * ADDR is an IPv4 or IPv6 literal. Any failure: a message on stderr, exit 1.
 */
#define _GNU_SOURCE /* getaddrinfo, nanosleep under -std=c11 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SOL_MPTCP
#define SOL_MPTCP 284
#endif
/* getsockopt(SOL_MPTCP, MPTCP_INFO) fills struct mptcp_info of
 * <linux/mptcp.h> (Linux 5.16 and later), whose first byte is the number of
 * subflows besides the initial one. */
#define XFER_MPTCP_INFO 1

static const char *prog = "linux-mptcp-xfer";

static void die(const char *fmt, ...)
{
    va_list ap;
    int err = errno;

    va_start(ap, fmt);
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (err)
        fprintf(stderr, ": %s", strerror(err));
    fputc('\n', stderr);
    exit(1);
}

static void usage(void)
{
    fprintf(stderr, "usage: %s server ADDR PORT\n"
                    "       %s client ADDR PORT BYTES [SUBFLOWS]\n", prog, prog);
    exit(2);
}

/* ADDR and PORT as a socket address (numeric only: no DNS). */
static struct addrinfo *resolve(const char *addr, const char *port, int passive)
{
    struct addrinfo hints = {0}, *ai = NULL;
    int rc;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    rc = getaddrinfo(addr, port, &hints, &ai);
    if (rc != 0) {
        errno = 0;
        die("bad address %s port %s: %s", addr, port, gai_strerror(rc));
    }
    return ai;
}

static int mptcp_socket(int family)
{
    int fd = socket(family, SOCK_STREAM, IPPROTO_MPTCP);

    if (fd < 0) {
        if (errno == EPROTONOSUPPORT || errno == EINVAL)
            die("socket(IPPROTO_MPTCP): MPTCP not supported by this kernel"
                " (or net.mptcp.enabled=0)");
        die("socket(IPPROTO_MPTCP)");
    }
    return fd;
}

static unsigned long long parse_bytes(const char *s)
{
    char *end;
    unsigned long long n;

    errno = 0;
    n = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') {
        errno = 0;
        die("bad byte count '%s'", s);
    }
    return n;
}

static int run_server(const char *addr, const char *port)
{
    struct addrinfo *ai = resolve(addr, port, 1);
    int one = 1, lfd, fd;
    unsigned long long total = 0;
    static char buf[65536];

    lfd = mptcp_socket(ai->ai_family);
    if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
        die("setsockopt(SO_REUSEADDR)");
    if (bind(lfd, ai->ai_addr, ai->ai_addrlen) < 0)
        die("bind %s port %s", addr, port);
    if (listen(lfd, 1) < 0)
        die("listen");
    freeaddrinfo(ai);
    printf("ready\n");
    fflush(stdout);

    fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        die("accept");
    /* The listener stays open: the client's MP_JOIN SYNs come to it. */
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("read after %llu bytes", total);
        }
        if (n == 0)
            break;
        total += (unsigned long long)n;
    }
    /* Our side closes after the client's: both FINs (and DATA_FINs). */
    if (close(fd) < 0)
        die("close");
    close(lfd);
    printf("%llu\n", total);
    return 0;
}

/* Waits until FD's connection has SUBFLOWS subflows; 0 when it has. */
static int wait_subflows(int fd, unsigned subflows)
{
    const struct timespec step = {0, 10 * 1000 * 1000};

    for (int i = 0; i < 500; i++) {
        unsigned char info[256] = {0};
        socklen_t len = sizeof info;

        if (getsockopt(fd, SOL_MPTCP, XFER_MPTCP_INFO, info, &len) < 0)
            die("getsockopt(SOL_MPTCP, MPTCP_INFO)");
        if (len >= 1 && (unsigned)info[0] + 1 >= subflows)
            return 0;
        nanosleep(&step, NULL);
    }
    return -1;
}

static int run_client(const char *addr, const char *port, const char *bytes,
                      const char *subflows)
{
    unsigned long long want = parse_bytes(bytes), sent = 0;
    struct addrinfo *ai = resolve(addr, port, 0);
    static unsigned char buf[65536];
    char c;
    int fd;

    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)(i % 251);

    fd = mptcp_socket(ai->ai_family);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        die("connect to %s port %s", addr, port);
    freeaddrinfo(ai);

    while (sent < want) {
        /* Continue the pattern where the last write stopped. */
        size_t off = (size_t)(sent % 251);
        size_t len = sizeof buf - 251;
        ssize_t n;

        if (len > want - sent)
            len = (size_t)(want - sent);
        n = write(fd, buf + off, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("write after %llu bytes", sent);
        }
        sent += (unsigned long long)n;
        /* Linux opens the path manager's subflows once the connection is
         * fully established, which takes data from the client. */
        if (subflows && sent == (unsigned long long)n &&
            wait_subflows(fd, (unsigned)parse_bytes(subflows)) < 0)
            fprintf(stderr, "%s: warning: still fewer than %s subflows after 5 s;"
                    " sending anyway\n", prog, subflows);
    }
    if (shutdown(fd, SHUT_WR) < 0)
        die("shutdown");
    for (;;) {
        ssize_t n = read(fd, &c, 1);

        if (n < 0) {
            if (errno == EINTR)
                continue;
            die("read (waiting for the server's EOF)");
        }
        if (n == 0)
            break;
        errno = 0;
        die("the server sent data; it should only close");
    }
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "server") == 0 && argc == 4)
        return run_server(argv[2], argv[3]);
    if (argc >= 2 && strcmp(argv[1], "client") == 0 && (argc == 5 || argc == 6))
        return run_client(argv[2], argv[3], argv[4], argc == 6 ? argv[5] : NULL);
    usage();
    return 2;
}
