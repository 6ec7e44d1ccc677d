/*
 * afmp: capture writers, part 1: one classic pcap file per interface.
 *
 * Packets are raw IP datagrams (IPv4 or IPv6, no link-layer header), so the
 * files use LINKTYPE_RAW (101) and nanosecond timestamps (magic 0xa1b23c4d).
 * Time is simulated time: a packet at mp_time_t t is stamped t nanoseconds
 * after the Unix epoch (1970-01-01 00:00:00 UTC), never the wall clock, so the
 * same run gives the same bytes.
 *
 * Byte order is the host's, as libpcap writes the file header; readers find
 * it from the magic. On the little-endian machines afmp runs on (x86-64,
 * aarch64) this makes captures byte-identical; a big-endian host writes the
 * same file byte-swapped. The pcapng writer (pcapng.h) follows the same rule.
 *
 * Robust when interrupted: records are assembled in a 64 KiB buffer of the
 * writer and reach the file only as whole records (one write() or writev()
 * per batch of complete records), and the file header is written at open.
 * A run killed at any point leaves a file that every reader accepts up to the
 * last flushed record. There is no per-packet system call or allocation.
 *
 * libpcap opens the file and writes its header (pcap_open_dead_with_tstamp_
 * precision + pcap_dump_fopen), so the header is libpcap's own. Records are
 * then formatted here instead of through pcap_dump(): pcap_dump() goes
 * through stdio, whose buffer flushes at arbitrary byte offsets and so can
 * leave half a record in a killed run; formatting the 16-byte record header
 * ourselves is also cheaper than two locked fwrite() calls per packet.
 */
#ifndef MP_SIM_CAPTURE_PCAP_H
#define MP_SIM_CAPTURE_PCAP_H

#include <glib.h>
#include <sys/uio.h>

#include "model/types.h"

/* The largest snap length libpcap accepts when reading (its MAXIMUM_SNAPLEN);
 * also the snap length used when 0 is given. */
#define MP_CAP_SNAPLEN_MAX 262144u

/* Size of the record buffer of each writer. */
#define MP_CAP_BUF_BYTES 65536u

/* ---- errors ---------------------------------------------------------- */

#define MP_PCAP_ERROR (mp_pcap_error_quark())
GQuark mp_pcap_error_quark(void);

enum mp_pcap_error {
    MP_PCAP_ERROR_INVAL, /* a parameter is out of range (snap length) */
    MP_PCAP_ERROR_OPEN,  /* the file cannot be created or its header written */
    MP_PCAP_ERROR_WRITE, /* writing records failed (disk full, I/O error) */
    MP_PCAP_ERROR_CLOSE, /* closing the file failed */
};

/* ---- record output, shared by the pcap and pcapng writers ------------ */

/*
 * A file descriptor with a record buffer. Callers put whole records into the
 * buffer; the buffer goes to the file only at a record boundary. The first
 * write error is kept (sticky): later records are dropped and the error is
 * reported by mp_cap_out_flush() and mp_cap_out_close().
 */
struct mp_cap_out {
    int fd;
    int err;         /* errno of the first failure, 0 if none */
    char *path;      /* for messages */
    uint64_t bytes;  /* bytes handed to the file so far */
    size_t used;     /* bytes waiting in buf */
    uint8_t buf[MP_CAP_BUF_BYTES];
};

/* Takes ownership of |fd| (open for writing). |path| is copied. */
void mp_cap_out_init(struct mp_cap_out *o, int fd, const char *path);

/*
 * Returns room for a record of |n| bytes in the buffer, first writing out
 * what the buffer holds if the record would not fit. The caller fills all |n|
 * bytes and then calls mp_cap_out_commit(o, n). Returns NULL when |n| exceeds
 * MP_CAP_BUF_BYTES (use mp_cap_out_writev() for such a record) or when the
 * output has failed (the record is to be dropped).
 */
static inline uint8_t *mp_cap_out_reserve(struct mp_cap_out *o, size_t n);
static inline void mp_cap_out_commit(struct mp_cap_out *o, size_t n);

/*
 * Writes one record given in |cnt| pieces straight to the file, after what
 * the buffer holds; for records too large for the buffer. Does nothing once
 * the output has failed.
 */
void mp_cap_out_writev(struct mp_cap_out *o, const struct iovec *iov, int cnt);

/*
 * Writes out the buffer. Returns 0, or -1 with |err| set (MP_PCAP_ERROR_WRITE,
 * message naming the file and the system error) if this or any earlier write
 * failed.
 */
int mp_cap_out_flush(struct mp_cap_out *o, GError **err);

/*
 * Flushes, closes the descriptor and frees the path (not |o| itself).
 * Returns 0, or -1 with |err| set: MP_PCAP_ERROR_WRITE when a write failed,
 * MP_PCAP_ERROR_CLOSE when close() did. The descriptor is closed either way.
 */
int mp_cap_out_close(struct mp_cap_out *o, GError **err);

/* Internal: writes out the buffer; 0 or -1 (sticky error set). */
int mp_cap_out_drain(struct mp_cap_out *o);

static inline uint8_t *mp_cap_out_reserve(struct mp_cap_out *o, size_t n)
{
    if (G_UNLIKELY(o->err != 0 || n > MP_CAP_BUF_BYTES))
        return NULL;
    if (G_UNLIKELY(o->used + n > MP_CAP_BUF_BYTES) && mp_cap_out_drain(o) < 0)
        return NULL;
    return o->buf + o->used;
}

static inline void mp_cap_out_commit(struct mp_cap_out *o, size_t n)
{
    o->used += n;
}

/* ---- pcap per interface ---------------------------------------------- */

struct mp_pcap;

/*
 * Creates (or truncates) |path| and writes a pcap file header: LINKTYPE_RAW,
 * nanosecond timestamps, snap length |snaplen| (0 means MP_CAP_SNAPLEN_MAX).
 * The header is on disk when this returns, so even an empty capture is a
 * valid file.
 *
 * Returns the writer, or NULL with |err| set:
 * MP_PCAP_ERROR_INVAL if |snaplen| > MP_CAP_SNAPLEN_MAX;
 * MP_PCAP_ERROR_OPEN if the file cannot be created or the header written.
 */
struct mp_pcap *mp_pcap_open(const char *path, uint32_t snaplen, GError **err);

/*
 * Appends one packet: the IP datagram |data| of |len| bytes seen at |ts|.
 * The first min(len, snaplen) bytes are stored and |len| is kept as the
 * original length. Timestamps are written as given; callers hand them in
 * time order. After a write error the packet is dropped silently; the error
 * comes out of mp_pcap_flush() or mp_pcap_close().
 */
void mp_pcap_write(struct mp_pcap *w, mp_time_t ts, const uint8_t *data, uint32_t len);

/*
 * Writes the buffered records to the file (whole records only). Returns 0,
 * or -1 with |err| set to MP_PCAP_ERROR_WRITE if this or an earlier write
 * failed.
 */
int mp_pcap_flush(struct mp_pcap *w, GError **err);

/* Packets handed to mp_pcap_write() so far (dropped ones included). */
uint64_t mp_pcap_count(const struct mp_pcap *w);

/*
 * Flushes, closes the file and frees |w| (NULL is allowed: returns 0).
 * Returns 0, or -1 with |err| set: MP_PCAP_ERROR_WRITE if a write failed,
 * MP_PCAP_ERROR_CLOSE if closing the file did. |w| is freed either way.
 */
int mp_pcap_close(struct mp_pcap *w, GError **err);

#endif
