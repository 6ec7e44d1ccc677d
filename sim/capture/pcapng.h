/*
 * afmp: capture writers, part 2: one pcapng file per host.
 *
 * Wireshark's MPTCP analysis needs every subflow of a connection in one
 * file, so each host gets a pcapng with all its interfaces. libpcap can read
 * pcapng but cannot write it, so this module writes the blocks itself
 * (draft-ietf-opsawg-pcapng), in the host's byte order like the pcap writer
 * (pcap.h; readers find the order from the Section Header Block's magic).
 *
 * What the file holds:
 * - one Section Header Block: shb_userappl "afmp <version>"; shb_hardware and
 *   shb_os are left out so that a capture does not depend on the machine;
 * - one Interface Description Block per interface, in the order they are
 *   added, possibly after packets of other interfaces (a host that gains an
 *   interface mid-run; Wireshark/tshark 4.0 and libpcap accept this):
 *   LINKTYPE_RAW (101), the writer's snap length, if_name, if_description
 *   when given, one if_IPv4addr (address, netmask) or if_IPv6addr (address,
 *   prefix length) per address, if_tsresol 9 (nanoseconds);
 * - Enhanced Packet Blocks: the raw IP datagram, epb_flags with the direction
 *   (inbound 1, outbound 2) and comments (opt_comment);
 * - scenario events, as comments (see mp_pcapng_event()).
 * Timestamps are simulated nanoseconds since the Unix epoch, as in pcap.h.
 * All interfaces share the writer's snap length: libpcap refuses a pcapng
 * whose interfaces differ in link type or snap length.
 *
 * Records are buffered and reach the file whole, with the same guarantees as
 * the pcap writer: the Section Header Block is on disk when the writer is
 * opened, and a killed run leaves a file readable up to the last flushed
 * block. Errors are sticky and reported by mp_pcapng_flush() and
 * mp_pcapng_close() in the MP_PCAP_ERROR domain (pcap.h).
 */
#ifndef MP_SIM_CAPTURE_PCAPNG_H
#define MP_SIM_CAPTURE_PCAPNG_H

#include "sim/capture/pcap.h"

/* One address of an interface, for its Interface Description Block. */
struct mp_pcapng_addr {
    struct mp_ip ip;    /* v 4 or 6 */
    uint8_t prefix_len; /* 0..32 for IPv4 (written as a netmask), 0..128 for IPv6 */
};

/* Direction of a packet as seen by the host (epb_flags bits 0-1). */
enum mp_pcapng_dir {
    MP_PCAPNG_DIR_UNKNOWN = 0, /* no epb_flags option is written */
    MP_PCAPNG_DIR_IN = 1,
    MP_PCAPNG_DIR_OUT = 2,
};

struct mp_pcapng;

/*
 * Creates (or truncates) |path| and writes the Section Header Block with
 * shb_userappl "afmp <version>" (just "afmp" when |version| is NULL).
 * |snaplen| applies to every interface (0 means MP_CAP_SNAPLEN_MAX).
 *
 * Returns the writer, or NULL with |err| set:
 * MP_PCAP_ERROR_INVAL if |snaplen| > MP_CAP_SNAPLEN_MAX;
 * MP_PCAP_ERROR_OPEN if the file cannot be created or the header written.
 */
struct mp_pcapng *mp_pcapng_open(const char *path, uint32_t snaplen, const char *version,
                                 GError **err);

/*
 * Adds an interface named |name| (required) with the optional description
 * |descr| (NULL for none) and the |n| addresses |addrs| (entries with another
 * family than 4 or 6 are skipped). May be called at any time; packets of the
 * new interface may follow at once.
 *
 * Returns the interface id to pass to mp_pcapng_write(): 0 for the first
 * interface, then 1, 2, ...
 */
uint32_t mp_pcapng_add_iface(struct mp_pcapng *w, const char *name, const char *descr,
                             const struct mp_pcapng_addr *addrs, size_t n);

/*
 * Appends one packet on interface |iface| (an id from mp_pcapng_add_iface()):
 * the IP datagram |data| of |len| bytes at |ts|, min(len, snaplen) bytes
 * stored and |len| kept as the original length. |direction| is an enum
 * mp_pcapng_dir. |comment| (UTF-8, NULL for none) becomes an opt_comment;
 * pending events due by |ts| follow it as further opt_comments (see
 * mp_pcapng_event()). Comments are cut to 65535 bytes at a character
 * boundary, and at the first invalid UTF-8 sequence.
 *
 * An unknown |iface| or a bad |direction| is a programming error: the packet
 * is dropped with a critical warning. After a write error packets are
 * dropped silently; the error comes out of mp_pcapng_flush()/close().
 */
void mp_pcapng_write(struct mp_pcapng *w, uint32_t iface, mp_time_t ts, const uint8_t *data,
                     uint32_t len, int direction, const char *comment);

/*
 * Records the scenario event |text| (e.g. "link l1 down") at time |ts|.
 *
 * pcapng has no block for a free-standing comment that Wireshark shows, so
 * the event becomes a packet comment "event t=<s>.<ns>: <text>" on the next
 * packet written with a timestamp at or after |ts| (any interface); in
 * Wireshark it shows in the packet's comments and the Expert Info, in tshark
 * as `-e frame.comment`. Several events on one packet come in time order
 * (ties in the order of the calls).
 *
 * Events still pending at mp_pcapng_close() are written as opt_comments of
 * one Interface Statistics Block on interface 0 stamped with the last event's
 * time: a valid block that readers keep, although Wireshark 4.0 does not
 * display ISB comments. With no interface at all they are dropped. Pending
 * events are not written by mp_pcapng_flush() (where an event ends up must
 * not depend on when flushes happen), so a killed run loses the events after
 * its last packet.
 */
void mp_pcapng_event(struct mp_pcapng *w, mp_time_t ts, const char *text);

/*
 * Writes the buffered blocks to the file (whole blocks only). Returns 0, or
 * -1 with |err| set to MP_PCAP_ERROR_WRITE if this or an earlier write
 * failed.
 */
int mp_pcapng_flush(struct mp_pcapng *w, GError **err);

/* Packets handed to mp_pcapng_write() so far (dropped ones included). */
uint64_t mp_pcapng_count(const struct mp_pcapng *w);

/*
 * Writes pending events (see mp_pcapng_event()), flushes, closes the file and
 * frees |w| (NULL is allowed: returns 0). Returns 0, or -1 with |err| set:
 * MP_PCAP_ERROR_WRITE if a write failed, MP_PCAP_ERROR_CLOSE if closing the
 * file did. |w| is freed either way.
 */
int mp_pcapng_close(struct mp_pcapng *w, GError **err);

#endif
