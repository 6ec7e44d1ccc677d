/*
 * afmp: the TCP send buffer.
 *
 * The application's bytes that TCP has not yet seen acknowledged, addressed
 * by sequence number: [una, end). The connection appends what the
 * application writes, peeks ranges to build (re)transmissions, and
 * acknowledges up to the peer's cumulative ACK, which frees memory. Which
 * part is in flight and which unsent is the connection's business (its
 * snd_nxt); the queries below take it as an argument.
 *
 * Storage. Bytes live in fixed blocks of MP_SNDBUF_BLOCK bytes held in a
 * ring of block pointers, indexed by the 64-bit stream offset of a byte
 * (bytes written since the connection began: it never wraps, unlike the
 * sequence number). Appending fills the tail block and adds blocks; an
 * acknowledgement frees the blocks it passes. Nothing is ever memmoved; a
 * peek at any sequence number finds its block by division, in O(1). One
 * freed block is kept for the next append, so a steady flow allocates
 * nothing.
 *
 * Pattern mode. A bulk sender that writes gigabytes of a deterministic
 * pattern should not copy them through memory. With a pattern function set
 * (mp_sndbuf_set_pattern()), mp_sndbuf_append_pattern() adds *virtual*
 * bytes: a block whose bytes are all pattern is a NULL slot in the ring and
 * takes no memory; a peek computes its bytes with the pattern function from
 * their stream offsets. Byte i of the stream is therefore the same whether
 * it was stored or virtual, so the two kinds mix freely: when real bytes
 * follow pattern bytes inside one block (or the reverse), that one block is
 * materialised (the pattern part written out), at most one block per switch.
 *
 * The limit. Appends stop at |limit| bytes held (stored or virtual, as
 * SO_SNDBUF counts what the application queued); the connection may move the
 * limit (autotuning, tcp_wmem). Lowering it below what is held only stops
 * appends. The limit is at most MP_SNDBUF_MAX_LIMIT, so every held byte is
 * less than 2^31 sequence numbers from una and seq arithmetic stays exact.
 *
 * SYN and FIN take sequence numbers but no bytes: the buffer's first byte is
 * ISN + 1 and an acknowledgement of the FIN (end + 1) frees everything.
 */
#ifndef MP_TCP_SNDBUF_H
#define MP_TCP_SNDBUF_H

#include "model/types.h"

#define MP_SNDBUF_BLOCK 16384u
#define MP_SNDBUF_MAX_LIMIT (1u << 30)

/* Writes |len| bytes of the pattern, starting at stream offset |off|, to
 * |dst|. Must be a pure function of the offset. */
typedef void (*mp_sndbuf_pattern_fn)(void *arg, uint64_t off, uint8_t *dst, size_t len);

struct mp_sndbuf {
    uint8_t **ring;     /* block pointers; NULL slot: a virtual (pattern) block */
    uint32_t ring_cap;  /* power of two */
    uint32_t ring_head; /* slot of the block holding head_off */
    uint32_t ring_len;  /* blocks in use */
    uint64_t head_off;  /* stream offset of the first byte of the head block */
    uint64_t una_off;   /* stream offset of the first unacknowledged byte */
    uint64_t end_off;   /* stream offset just past the last byte appended */
    uint32_t una_seq;   /* sequence number of the byte at una_off */
    size_t limit;
    mp_sndbuf_pattern_fn pattern;
    void *pattern_arg;
    uint8_t *spare; /* one freed block kept for the next append */
};

/* One piece of a range, from mp_sndbuf_spans(): |len| bytes at |p|, or, if
 * |p| is NULL, |len| pattern bytes starting at stream offset |off| (fill
 * them with the pattern function or mp_sndbuf_peek()). */
struct mp_sndbuf_span {
    const uint8_t *p;
    uint64_t off;
    size_t len;
};

/* Initialises an empty buffer whose first byte will carry sequence number
 * |seq| (ISN + 1), holding at most |limit| bytes (clamped to
 * MP_SNDBUF_MAX_LIMIT). */
void mp_sndbuf_init(struct mp_sndbuf *sb, uint32_t seq, size_t limit);

/* Frees every block. The buffer must be initialised again before reuse. */
void mp_sndbuf_clear(struct mp_sndbuf *sb);

/* Moves the limit (clamped to MP_SNDBUF_MAX_LIMIT). */
void mp_sndbuf_set_limit(struct mp_sndbuf *sb, size_t limit);

/* Sets the function that computes virtual bytes (see pattern mode above).
 * Set it once, before the first mp_sndbuf_append_pattern(); it must stay the
 * same function for the life of the buffer. */
void mp_sndbuf_set_pattern(struct mp_sndbuf *sb, mp_sndbuf_pattern_fn fn, void *arg);
/* Sets |fn| and |arg| if no pattern is set; true if they are now the
 * buffer's (false: NULL |fn|, or another pattern is set). */
bool mp_sndbuf_use_pattern(struct mp_sndbuf *sb, mp_sndbuf_pattern_fn fn, void *arg);

/* Bytes held: appended and not acknowledged (end - una). */
static inline size_t mp_sndbuf_bytes(const struct mp_sndbuf *sb)
{
    return (size_t)(sb->end_off - sb->una_off);
}

/* Bytes that may still be appended before the limit (0 when over it). */
static inline size_t mp_sndbuf_space(const struct mp_sndbuf *sb)
{
    size_t held = mp_sndbuf_bytes(sb);
    return held < sb->limit ? sb->limit - held : 0;
}

/* Sequence number of the first unacknowledged byte. */
static inline uint32_t mp_sndbuf_una(const struct mp_sndbuf *sb)
{
    return sb->una_seq;
}

/* Sequence number just past the last byte appended (where a FIN goes). */
static inline uint32_t mp_sndbuf_end(const struct mp_sndbuf *sb)
{
    return sb->una_seq + (uint32_t)mp_sndbuf_bytes(sb);
}

/* Stream offset (bytes since the first one appended) of sequence number
 * |seq|, which must lie in [una, end]. The pattern of a bulk sender and
 * MPTCP's mappings are written in these offsets. */
static inline uint64_t mp_sndbuf_offset(const struct mp_sndbuf *sb, uint32_t seq)
{
    return sb->una_off + (uint32_t)(seq - sb->una_seq);
}

/* Bytes between |snd_nxt| and the end: appended, never sent. |snd_nxt| must
 * lie in [una, end]; a FIN's sequence number (end + 1) counts as end. */
size_t mp_sndbuf_unsent(const struct mp_sndbuf *sb, uint32_t snd_nxt);

/* Bytes between una and |snd_nxt|: sent and not yet acknowledged (FIN
 * excluded). */
size_t mp_sndbuf_in_flight(const struct mp_sndbuf *sb, uint32_t snd_nxt);

/* Memory held by stored blocks (virtual blocks cost nothing), for tests and
 * accounting. */
size_t mp_sndbuf_mem(const struct mp_sndbuf *sb);

/* Copies up to |len| bytes of |data| to the end; takes what the limit
 * allows and returns how many bytes it took (0 when full). */
size_t mp_sndbuf_append(struct mp_sndbuf *sb, const void *data, size_t len);
/* Room for |len| bytes at the end, in one stored block, for a caller that
 * produces the bytes itself (an MPTCP subflow pulling from its connection):
 * write up to |len| there, then mp_sndbuf_commit() what was written. NULL
 * when the last block has less room left or is virtual, when a new block
 * is needed and no freed one is kept, or when the limit is nearer than
 * |len|: append then. Nothing else may change |sb| between the two
 * calls. */
uint8_t *mp_sndbuf_reserve(struct mp_sndbuf *sb, size_t len);
void mp_sndbuf_commit(struct mp_sndbuf *sb, size_t n);

/* Appends up to |len| virtual pattern bytes, as far as the limit allows;
 * returns how many. Returns 0 when no pattern function is set. */
size_t mp_sndbuf_append_pattern(struct mp_sndbuf *sb, size_t len);

/*
 * Copies the |len| bytes of [seq, seq + len) to |dst|, computing virtual
 * bytes with the pattern function.
 * Returns 0, or -ERANGE when the range is not wholly inside [una, end) (the
 * buffer is not touched then).
 */
int mp_sndbuf_peek(const struct mp_sndbuf *sb, uint32_t seq, void *dst, size_t len);

/*
 * Describes [seq, seq + len) without copying: fills up to |max| spans, each
 * inside one block, in order. Stored bytes come as pointers, valid until the
 * next mp_sndbuf_ack() or mp_sndbuf_clear(); virtual bytes as stream offsets.
 * Returns the number of spans used, -ERANGE when the range is not wholly
 * inside [una, end), or -ENOSPC when |max| spans are not enough (a range of
 * n bytes needs at most n / MP_SNDBUF_BLOCK + 2).
 */
int mp_sndbuf_spans(const struct mp_sndbuf *sb, uint32_t seq, size_t len,
                    struct mp_sndbuf_span *spans, size_t max);

/*
 * Acknowledges everything before |ack| (the peer's cumulative ACK) and frees
 * the blocks it passes. An |ack| at or before una (in sequence space) frees
 * nothing; one after the end (the FIN's ACK is end + 1) frees everything:
 * the connection has already refused ACKs of data never sent (RFC 9293
 * 3.10.7.4). Returns the number of bytes freed.
 */
size_t mp_sndbuf_ack(struct mp_sndbuf *sb, uint32_t ack);

#endif
