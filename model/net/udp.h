/*
 * afmp: UDP (RFC 768) on a host: the socket state machine the afmp_* socket
 * layer drives. Sans-IO: no blocking here; a socket tells its owner that it
 * became readable (or got an error) through |wake|, and the socket layer
 * parks and resumes processes.
 *
 * Semantics follow Linux: bind to an address of the host or the wildcard,
 * ephemeral ports drawn from the host's random stream in 32768..60999,
 * connect() fixes the peer (datagrams from others are dropped, ICMP errors
 * are reported as ECONNREFUSED/EHOSTUNREACH/... on the next call), a
 * receive buffer limit in bytes counted like Linux's truesize (the payload
 * plus a fixed overhead; overflow drops are UdpRcvbufErrors).
 */
#ifndef MP_NET_UDP_H
#define MP_NET_UDP_H

#include "model/net/host.h"

struct mp_udp_sock;

/* Called when the socket becomes readable or gets an error. */
typedef void (*mp_udp_wake_fn)(void *arg);

struct mp_udp_sock *mp_udp_sock_new(struct mp_host *h, uint8_t family, mp_udp_wake_fn wake,
                                    void *arg);
/* Closes and frees; queued datagrams are dropped. */
void mp_udp_sock_free(struct mp_udp_sock *s);

/* Returns 0 or -EADDRINUSE, -EADDRNOTAVAIL (not a local address), -EINVAL
 * (already bound, family mismatch). Port 0 picks an ephemeral port. */
int mp_udp_bind(struct mp_udp_sock *s, const struct mp_endpoint *local);
/* Sets the peer (binding first if needed). An endpoint with family 0
 * dissolves the association (AF_UNSPEC). Returns 0 or a negative errno. */
int mp_udp_connect(struct mp_udp_sock *s, const struct mp_endpoint *peer);
/* Sends |len| bytes to |to| (NULL: the connected peer). Returns |len| or a
 * negative errno: -EDESTADDRREQ, -EMSGSIZE, -ENETUNREACH, ... and a pending
 * ICMP error of a connected socket. */
long mp_udp_sendto(struct mp_udp_sock *s, const void *buf, size_t len, const struct mp_endpoint *to);
/* Takes the next datagram: copies up to |cap| bytes, returns the datagram's
 * full length (Linux MSG_TRUNC semantics are the caller's), or -EAGAIN when
 * none is queued, or a pending error. |from| may be NULL. */
long mp_udp_recvfrom(struct mp_udp_sock *s, void *buf, size_t cap, struct mp_endpoint *from,
                     bool *truncated);
bool mp_udp_readable(const struct mp_udp_sock *s); /* data or an error */
/* Returns and clears the pending error (positive errno, 0 for none). */
int mp_udp_take_error(struct mp_udp_sock *s);
int mp_udp_local(const struct mp_udp_sock *s, struct mp_endpoint *out);
int mp_udp_peer(const struct mp_udp_sock *s, struct mp_endpoint *out);
void mp_udp_set_rcvbuf(struct mp_udp_sock *s, uint32_t bytes);
uint32_t mp_udp_rcvbuf(const struct mp_udp_sock *s);

/* Internal to model/net: set up and tear down UDP on a host. */
void mp_udp_attach(struct mp_host *h);
void mp_udp_detach(struct mp_host *h);

#endif
