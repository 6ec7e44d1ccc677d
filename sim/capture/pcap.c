/*
 * afmp: pcap writer per interface, and the record output both capture
 * writers share. See pcap.h for the file format and the guarantees.
 */
#include "sim/capture/pcap.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <pcap/pcap.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(mp-pcap-error-quark, mp_pcap_error)

/* pcap record header: seconds, nanoseconds, captured and original length. */
#define PCAP_REC_HDR 16u
#define NS_PER_S UINT64_C(1000000000)

/* ---- record output ---------------------------------------------------- */

void mp_cap_out_init(struct mp_cap_out *o, int fd, const char *path)
{
    o->fd = fd;
    o->err = 0;
    o->path = g_strdup(path);
    o->bytes = 0;
    o->used = 0;
}

/* After a failed write that got part of a batch of records into the file
 * (disk full, file size limit), cuts the file back to the record boundary
 * where the batch began, so that the file stays readable. */
static void cut_partial(struct mp_cap_out *o, uint64_t done)
{
    if (done == 0)
        return;
    off_t end = lseek(o->fd, 0, SEEK_CUR);
    if (end < 0 || (uint64_t)end < done)
        return;
    if (ftruncate(o->fd, end - (off_t)done) == 0) {
        lseek(o->fd, end - (off_t)done, SEEK_SET);
        o->bytes -= done;
    }
}

/* Writes |iov| (whole records) completely, resuming after short writes and
 * signals. A regular file only takes a short write when it cannot grow, so
 * the retry either completes the batch or fails; then the partial batch is
 * cut off. */
static int write_all(struct mp_cap_out *o, struct iovec *iov, int cnt)
{
    uint64_t done = 0;
    while (cnt > 0) {
        ssize_t n = writev(o->fd, iov, cnt);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            /* A write that makes no progress would loop forever. */
            o->err = n < 0 ? errno : EIO;
            cut_partial(o, done);
            return -1;
        }
        done += (uint64_t)n;
        o->bytes += (uint64_t)n;
        while (cnt > 0 && (size_t)n >= iov->iov_len) {
            n -= (ssize_t)iov->iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov->iov_base = (uint8_t *)iov->iov_base + n;
            iov->iov_len -= (size_t)n;
        }
    }
    return 0;
}

int mp_cap_out_drain(struct mp_cap_out *o)
{
    if (o->err != 0) {
        o->used = 0;
        return -1;
    }
    if (o->used == 0)
        return 0;
    struct iovec iov = { .iov_base = o->buf, .iov_len = o->used };
    o->used = 0;
    return write_all(o, &iov, 1);
}

void mp_cap_out_writev(struct mp_cap_out *o, const struct iovec *iov, int cnt)
{
    struct iovec v[8];

    g_return_if_fail(cnt > 0 && cnt <= (int)G_N_ELEMENTS(v));
    if (mp_cap_out_drain(o) < 0)
        return;
    memcpy(v, iov, sizeof(v[0]) * (size_t)cnt);
    write_all(o, v, cnt);
}

static void set_write_error(const struct mp_cap_out *o, GError **err)
{
    g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_WRITE, "%s: writing packets failed: %s", o->path,
                g_strerror(o->err));
}

int mp_cap_out_flush(struct mp_cap_out *o, GError **err)
{
    if (mp_cap_out_drain(o) < 0) {
        set_write_error(o, err);
        return -1;
    }
    return 0;
}

int mp_cap_out_close(struct mp_cap_out *o, GError **err)
{
    int ret = mp_cap_out_flush(o, err);
    if (close(o->fd) < 0 && ret == 0) {
        g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_CLOSE, "%s: closing the file failed: %s",
                    o->path, g_strerror(errno));
        ret = -1;
    }
    o->fd = -1;
    g_clear_pointer(&o->path, g_free);
    return ret;
}

/* ---- pcap writer ------------------------------------------------------ */

struct mp_pcap {
    uint32_t snaplen;
    uint64_t count;
    struct mp_cap_out out; /* last: holds the 64 KiB buffer */
};

/*
 * Lets libpcap create the file and write its header, then keeps a duplicate
 * of the descriptor for the records. Returns the descriptor or -1 with |err|
 * set.
 */
/* Removes the file a failed open created, unless it is not a regular file
 * (a device such as /dev/full must survive a failed test). */
static void remove_failed(FILE *f, const char *path)
{
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode))
        g_unlink(path);
}

static int open_with_libpcap(const char *path, uint32_t snaplen, GError **err)
{
    FILE *f = fopen(path, "wbe");
    if (!f) {
        int e = errno;
        g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN, "%s: cannot create the file: %s", path,
                    g_strerror(e));
        return -1;
    }
    pcap_t *p = pcap_open_dead_with_tstamp_precision(DLT_RAW, (int)snaplen,
                                                     PCAP_TSTAMP_PRECISION_NANO);
    if (!p) {
        g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN,
                    "%s: libpcap cannot make a raw-IP nanosecond capture handle", path);
        remove_failed(f, path);
        fclose(f);
        return -1;
    }
    /* pcap_dump_fopen() rather than pcap_dump_open(): the latter treats the
     * path "-" as standard output. */
    pcap_dumper_t *d = pcap_dump_fopen(p, f);
    if (!d) {
        g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN, "%s: libpcap cannot open a dump: %s",
                    path, pcap_geterr(p));
        pcap_close(p);
        remove_failed(f, path);
        fclose(f);
        return -1;
    }
    int fd = -1;
    int e = 0;
    errno = 0;
    if (pcap_dump_flush(d) != 0)
        e = errno ? errno : EIO;
    else if ((fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 0)) < 0)
        e = errno;
    if (fd < 0)
        remove_failed(f, path);
    /* Nothing is left in the stdio buffer, so closing the stream writes
     * nothing more and our duplicate continues right after the header. */
    pcap_dump_close(d);
    pcap_close(p);
    if (fd < 0) {
        g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_OPEN, "%s: writing the file header failed: %s",
                    path, g_strerror(e));
        return -1;
    }
    return fd;
}

struct mp_pcap *mp_pcap_open(const char *path, uint32_t snaplen, GError **err)
{
    g_return_val_if_fail(path != NULL, NULL);
    if (snaplen == 0)
        snaplen = MP_CAP_SNAPLEN_MAX;
    if (snaplen > MP_CAP_SNAPLEN_MAX) {
        g_set_error(err, MP_PCAP_ERROR, MP_PCAP_ERROR_INVAL,
                    "%s: snap length %u is above the maximum %u that readers accept", path, snaplen,
                    MP_CAP_SNAPLEN_MAX);
        return NULL;
    }
    int fd = open_with_libpcap(path, snaplen, err);
    if (fd < 0)
        return NULL;
    struct mp_pcap *w = g_new(struct mp_pcap, 1);
    w->snaplen = snaplen;
    w->count = 0;
    mp_cap_out_init(&w->out, fd, path);
    return w;
}

void mp_pcap_write(struct mp_pcap *w, mp_time_t ts, const uint8_t *data, uint32_t len)
{
    uint32_t caplen = MIN(len, w->snaplen);
    /* The record header in host order, as libpcap wrote the file header;
     * with the nanosecond magic the second field counts nanoseconds. The
     * seconds field is 32 bits wide: it wraps after 136 years of simulated
     * time. */
    uint32_t hdr[4] = {
        (uint32_t)(ts / NS_PER_S),
        (uint32_t)(ts % NS_PER_S),
        caplen,
        len,
    };

    w->count++;
    uint8_t *b = mp_cap_out_reserve(&w->out, PCAP_REC_HDR + caplen);
    if (G_LIKELY(b != NULL)) {
        memcpy(b, hdr, PCAP_REC_HDR);
        memcpy(b + PCAP_REC_HDR, data, caplen);
        mp_cap_out_commit(&w->out, PCAP_REC_HDR + caplen);
        return;
    }
    if (w->out.err != 0)
        return;
    struct iovec iov[2] = {
        { .iov_base = hdr, .iov_len = PCAP_REC_HDR },
        { .iov_base = (void *)data, .iov_len = caplen },
    };
    mp_cap_out_writev(&w->out, iov, 2);
}

int mp_pcap_flush(struct mp_pcap *w, GError **err)
{
    return mp_cap_out_flush(&w->out, err);
}

uint64_t mp_pcap_count(const struct mp_pcap *w)
{
    return w->count;
}

int mp_pcap_close(struct mp_pcap *w, GError **err)
{
    if (!w)
        return 0;
    int ret = mp_cap_out_close(&w->out, err);
    g_free(w);
    return ret;
}
