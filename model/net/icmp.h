/*
 * afmp: ICMP and ICMPv6 on a host: echo replies, errors about datagrams the
 * host cannot deliver or forward (port unreachable, time exceeded, no
 * route, packet too big), handing received errors to the upper layer that
 * sent the quoted datagram, and ping sockets (Linux's SOCK_DGRAM +
 * IPPROTO_ICMP / IPPROTO_ICMPV6: the host fills the echo identifier, replies
 * are matched to the socket by it).
 */
#ifndef MP_NET_ICMP_H
#define MP_NET_ICMP_H

#include "model/net/host.h"

struct mp_ping_sock;
typedef void (*mp_ping_wake_fn)(void *arg);

/* Sends an ICMP error of |type|/|code| about |pkt| (an IP datagram that was
 * received, whose header starts at pkt->data), to its source; |info| is the
 * MTU of "packet too big"/"fragmentation needed". Never about an ICMP error,
 * a non-first fragment or a multicast or unspecified source (RFC 1122
 * 3.2.2, RFC 4443 2.4(e)). */
void mp_icmp_send_error(struct mp_host *h, const struct mp_pkt *pkt, uint8_t type, uint8_t code,
                        uint32_t info);

struct mp_ping_sock *mp_ping_sock_new(struct mp_host *h, uint8_t family, mp_ping_wake_fn wake,
                                      void *arg);
void mp_ping_sock_free(struct mp_ping_sock *s);
/* Binds the echo identifier (port 0: an unused one is drawn) and optionally
 * a local address. Returns 0 or -EADDRINUSE, -EADDRNOTAVAIL, -EINVAL. */
int mp_ping_bind(struct mp_ping_sock *s, const struct mp_endpoint *local);
/* |buf| is an ICMP echo request header (8 bytes, type 8 / 128) and data;
 * the host sets the identifier and the checksum. Returns |len| or a
 * negative errno (-EINVAL for anything but an echo request). */
long mp_ping_sendto(struct mp_ping_sock *s, const void *buf, size_t len, const struct mp_endpoint *to);
/* Returns the next echo reply (ICMP header and data) or -EAGAIN. */
long mp_ping_recvfrom(struct mp_ping_sock *s, void *buf, size_t cap, struct mp_endpoint *from);
bool mp_ping_readable(const struct mp_ping_sock *s);
int mp_ping_local(const struct mp_ping_sock *s, struct mp_endpoint *out);

void mp_icmp_attach(struct mp_host *h);
void mp_icmp_detach(struct mp_host *h);

#endif
