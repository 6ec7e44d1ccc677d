/*
 * afmp: the two halves of the ns-3 engine and what they say to each other.
 * ns3.c (C) holds the world; ns3.cc (C++) holds ns-3. This header is read by
 * both, so it uses nothing but fixed-width integers: no afmp header is
 * included into C++.
 */
#ifndef MP_NS3_GLUE_H
#define MP_NS3_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MP_NS3_NEVER UINT64_MAX

/* ---- implemented in C (ns3.c), called by ns-3's events ---------------- */

/* The time of the world's next event, MP_NS3_NEVER for none. */
uint64_t mp_ns3g_next_time(void);
/* Runs every world event due at |now| (the world's clock moves there). */
void mp_ns3g_run_now(uint64_t now);
/* A packet of |len| bytes of EtherType |proto| sent by end |from_end| of
 * link |link| (from MAC address |src|) arrived. */
void mp_ns3g_receive(uint32_t link, int from_end, uint16_t proto, const uint8_t src[6],
                     const uint8_t *data, uint32_t len, uint64_t now);
/* True when the run was asked to stop (a signal). */
bool mp_ns3g_interrupted(void);

/* ---- implemented in C++ (ns3.cc) --------------------------------------- */

/* A fresh simulation with |nodes| ns-3 nodes; ns-3's random streams (Wi-Fi
 * backoff, ...) from |seed|. */
void mp_ns3cc_begin(uint32_t nodes, uint64_t seed);
/* A point-to-point link between nodes |a| and |b|: rates per sending end
 * (bit/s), one delay (ns), a drop-tail transmit queue per end ("100p",
 * "64000B"), an MTU. Returns false with |msg| filled when ns-3 refuses. */
bool mp_ns3cc_link(uint32_t link, uint32_t a, uint32_t b, uint64_t rate_a, uint64_t rate_b,
                   uint64_t delay, const char *queue_a, const char *queue_b, uint32_t mtu,
                   char *msg, uint32_t msg_len);
/* An 802.11 link: node |sta| a station associated with node |ap|'s access
 * point, |distance_mm| away at the start and moving away at |speed_mm_s|
 * (ns-3's log-distance propagation, so the rate adaptation |manager|
 * steps down and the link fades out); with |pcap_sta|/|pcap_ap|, ns-3's
 * radiotap captures of both. Returns false with |msg| filled on a refusal. */
bool mp_ns3cc_wifi(uint32_t link, uint32_t sta, uint32_t ap, const char *standard,
                   const char *manager, uint32_t distance_mm, uint32_t speed_mm_s, uint32_t mtu,
                   const char *pcap_sta, const char *pcap_ap, char *msg, uint32_t msg_len);
/* A CSMA link (ns-3's shared, half-duplex Ethernet) between nodes |a| and
 * |b|: one rate (bit/s) and one delay (ns) for the channel, a drop-tail
 * queue per device, an MTU; with |pcap_a|/|pcap_b|, ns-3's Ethernet
 * captures of both ends. */
bool mp_ns3cc_csma(uint32_t link, uint32_t a, uint32_t b, uint64_t rate, uint64_t delay,
                   const char *queue_a, const char *queue_b, uint32_t mtu, const char *pcap_a,
                   const char *pcap_b, char *msg, uint32_t msg_len);
/* Run-time changes of a point-to-point link: the rate of end |end|'s
 * device (bit/s; of a CSMA link: its channel's), the channel's delay (both
 * directions, ns). */
void mp_ns3cc_set_rate(uint32_t link, int end, uint64_t rate);
void mp_ns3cc_set_delay(uint32_t link, uint64_t delay);
/* ns-3's own pcap of each end of a point-to-point link. */
void mp_ns3cc_pcap(uint32_t link, const char *path_a, const char *path_b);
/* Sends an IP datagram from end |end| of |link| (to the peer of a
 * point-to-point link; to MAC address |dst| with EtherType |proto| when
 * |dst| is given); false when the device refused it (its queue is full). */
bool mp_ns3cc_send(uint32_t link, int end, const uint8_t *data, uint32_t len);
bool mp_ns3cc_send_to(uint32_t link, int end, const uint8_t *data, uint32_t len, uint16_t proto,
                      const uint8_t dst[6]);
/* The MAC address of end |end| of |link|. */
void mp_ns3cc_mac(uint32_t link, int end, uint8_t out[6]);
/* Runs until |stop| (ns); returns the number of ns-3 events run. */
uint64_t mp_ns3cc_run(uint64_t stop);
/* The world asked for an event earlier than any scheduled bridge. */
void mp_ns3cc_wake(void);
/* Tears the simulation down (Simulator::Destroy). */
void mp_ns3cc_end(void);

#ifdef __cplusplus
}
#endif

#endif
