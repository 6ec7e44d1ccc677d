/*
 * afmp: router advertisements sent by a node, as radvd sends them (RFC 4861
 * 6.2): on each advertising interface, unsolicited RAs to ff02::1 from the
 * interface's link-local address, hop limit 255, with one Prefix Information
 * option (flags L and A) per prefix and no link-layer address option (the
 * links carry raw IP). Cur hop limit 64, no M/O flags, reachable time and
 * retrans timer 0 (unspecified).
 *
 * Timing: the first RA when the interface becomes advertising, then every
 * |interval| (MaxRtrAdvInterval; radvd and RFC 4861 6.2.4 draw each wait
 * between MinRtrAdvInterval and the maximum at random, afmp waits exactly
 * the maximum, so the times are easy to read and one router per link has
 * no one to fall in step with); RFC 4861 6.2.4: the first
 * MP_RADV_INITIAL RAs are at most MP_RADV_INITIAL_INTERVAL apart. No
 * solicited RAs (hosts send no solicitations). Stopping sends one final RA
 * with router lifetime 0 (RFC 4861 6.2.5), so hosts drop the default route
 * at once.
 *
 * An advertising interface without a link-local address gets fe80::IID/64
 * (IID from mp_addrconf_iid), as Linux gives every interface one; afmp adds
 * link-local addresses only where RAs need them. After an interface is set
 * down (which flushes it) and up, it gets it again and the initial RAs start
 * over.
 */
#ifndef MP_NET_RADV_H
#define MP_NET_RADV_H

#include "model/net/host.h"

#define MP_RADV_INFINITY 0xffffffffu
#define MP_RADV_INITIAL 3u
#define MP_RADV_INITIAL_INTERVAL MP_S(16)
/* RFC 4861 6.2.1 defaults: MaxRtrAdvInterval, AdvValidLifetime,
 * AdvPreferredLifetime; AdvDefaultLifetime is 3 x MaxRtrAdvInterval. */
#define MP_RADV_INTERVAL MP_S(600)
#define MP_RADV_VALID 2592000u
#define MP_RADV_PREFERRED 604800u

struct mp_radv_prefix {
    struct mp_ip prefix; /* host bits zero */
    uint8_t len;
    uint32_t valid, preferred; /* seconds; MP_RADV_INFINITY for ever */
};

struct mp_radv_conf {
    mp_time_t interval;       /* MaxRtrAdvInterval, above 0 */
    uint16_t router_lifetime; /* seconds; 0: not a default router */
    size_t n_prefix;
    struct mp_radv_prefix prefix[MP_WIRE_ND_MAX_PREFIX];
};

/* AdvDefaultLifetime for |interval|: 3 x interval in whole seconds
 * (rounded up), at most 9000 (RFC 4861 6.2.1). */
uint16_t mp_radv_default_lifetime(mp_time_t interval);

/*
 * Makes |ifindex| an advertising interface with |c| (a second call
 * replaces the configuration and starts over); the first RA goes out at
 * the current time, from the engine. Returns 0, -ENODEV (no such
 * interface), -EINVAL (interval 0, too many prefixes, a prefix not IPv6).
 */
int mp_radv_configure(struct mp_host *h, uint32_t ifindex, const struct mp_radv_conf *c);

/* Stops advertising on |ifindex| (one final RA with router lifetime 0) or
 * starts again (an RA now, then the initial ones). Returns 0, or -ENODEV
 * when |ifindex| was never configured. No change: nothing is sent. */
int mp_radv_set_running(struct mp_host *h, uint32_t ifindex, bool on);

/* Advertises |p| with its lifetimes from now on, adding it when new, and
 * sends an RA now when running (a valid lifetime of 0 withdraws the
 * prefix: hosts deprecate its address at once, see addrconf.h). Returns 0,
 * -ENODEV, -EINVAL (not IPv6), -ENOSPC (MP_WIRE_ND_MAX_PREFIX prefixes
 * already). */
int mp_radv_set_prefix(struct mp_host *h, uint32_t ifindex, const struct mp_radv_prefix *p);

void mp_radv_detach(struct mp_host *h);

#endif
