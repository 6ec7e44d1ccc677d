/*
 * mp-lists.h: what mp-client.c and mp-server.c share, as static functions
 * in a header so that each stays one plain program (natively or through
 * afmp/compat.h): the clock, option numbers, the stream pattern afmp's apps write and
 * check, and the address lists of a socket printed when they change.
 */
#ifndef MP_LISTS_H
#define MP_LISTS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MP_LIST_LEN 2048

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Byte |off| of the stream: byte off % 8 (least significant first) of
 * splitmix64's mixing function of off / 8, as afmp's bulk-send writes and
 * sink checks (scenarios/FORMAT.md, "The TCP stream pattern"). */
static uint8_t pattern(uint64_t off)
{
    uint64_t z = off / 8;
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    z ^= z >> 31;
    return (uint8_t)(z >> (8 * (off % 8)));
}

/* A decimal option value in lo..hi into *out; 0 if it is not one. */
static int parse_num(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* One address as "10.0.0.1:80" or "[2001:db8::1]:80". */
static void one_str(const struct sockaddr *sa, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN] = "?";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a));
        snprintf(buf, len, "%s:%u", a, ntohs(s4->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a));
        snprintf(buf, len, "[%s]:%u", a, ntohs(s6->sin6_port));
    } else {
        snprintf(buf, len, "(family %d)", sa->sa_family);
    }
}

/* getsockname() or getpeername() as text: a container's entries separated
 * by commas, or the one address of a plain socket. Returns the number of
 * entries, or -1 (the text then says why). */
static int list_str(int fd, int peer, char *buf, size_t len)
{
    union {
        struct sockaddr sa;
        struct sockaddr_storage ss;
#ifdef AF_MULTIPATH
        struct sockaddr_mp_storage mp;
#endif
    } u;
    socklen_t slen = sizeof(u);
    memset(&u, 0, sizeof(u));
    if ((peer ? getpeername(fd, &u.sa, &slen) : getsockname(fd, &u.sa, &slen)) < 0) {
        snprintf(buf, len, "(%s)", strerror(errno));
        return -1;
    }
#ifdef AF_MULTIPATH
    if (u.sa.sa_family == AF_MULTIPATH) {
        if (afmp_mp_format(&u.sa, slen, buf, len) < 0) {
            snprintf(buf, len, "(malformed container)");
            return -1;
        }
        return u.mp.smp_count;
    }
#endif
    one_str(&u.sa, buf, len);
    return 1;
}

/* The lists last printed, and what was seen of them. */
struct lists {
    uint64_t t0; /* times are printed from here */
    char local[MP_LIST_LEN], peer[MP_LIST_LEN];
    int changes, local_max, peer_max;
};

/* Prints the lists of |fd| ("[tag] " in front when |tag| > 0) when they
 * differ from the last ones printed; nothing once the socket is no longer
 * connected. */
static void watch_lists(struct lists *l, int fd, int tag)
{
    char local[MP_LIST_LEN], peer[MP_LIST_LEN], pre[16] = "";
    int nl = list_str(fd, 0, local, sizeof(local));
    int np = list_str(fd, 1, peer, sizeof(peer));
    if (nl < 0 || np < 0 || (strcmp(local, l->local) == 0 && strcmp(peer, l->peer) == 0))
        return;
    uint64_t t = now_ns() - l->t0;
    if (tag > 0)
        snprintf(pre, sizeof(pre), "[%d] ", tag);
    printf("%llu.%03llu s: %slocal %s peer %s\n", (unsigned long long)(t / 1000000000u),
           (unsigned long long)(t / 1000000u % 1000u), pre, local, peer);
    strcpy(l->local, local);
    strcpy(l->peer, peer);
    l->changes++;
    if (nl > l->local_max)
        l->local_max = nl;
    if (np > l->peer_max)
        l->peer_max = np;
}

#endif
