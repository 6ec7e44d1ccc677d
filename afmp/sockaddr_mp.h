/*
 * afmp: AF_MULTIPATH container addresses (struct sockaddr_mp).
 *
 * An application that understands several addresses per socket passes a
 * *container* of family AF_MULTIPATH to bind(), connect(), sendto(), and gets
 * one back from getsockname(), getpeername() and name lookups. The container
 * holds one or more IPv4 and IPv6 entries, families mixed, in order
 * (draft-sarolahti-mptcp-af-multipath). This header defines the layout and
 * the helpers that build, check, walk, edit, compare, convert, print and
 * parse containers. It is plain C (libc only, no simulator types) so that a
 * backend on the real Linux MPTCP stack can share it.
 *
 * --- Layout, byte by byte ------------------------------------------------
 *
 * The draft's slides show a BSD header (length, family, count). Linux has no
 * sa_len: every caller reads a 16-bit sa_family_t at offset 0 to dispatch, and
 * the total length travels beside the pointer as the socklen_t. So:
 *
 *   offset size field       byte order  value
 *   0      2    smp_family  host        AF_MULTIPATH (46)
 *   2      2    smp_count   host        number of entries, 1..AFMP_MP_MAX_ENTRIES
 *   4      ...  entries, packed back to back in list order, no padding
 *
 *   IPv4 entry, 8 bytes:
 *   +0     1    length      -           8
 *   +1     1    family      -           AF_INET (2)
 *   +2     2    port        network     as sin_port
 *   +4     4    address     network     as sin_addr
 *
 *   IPv6 entry, 20 bytes, or 24 with a scope id (link-local addresses):
 *   +0     1    length      -           20 or 24
 *   +1     1    family      -           AF_INET6 (10)
 *   +2     2    port        network     as sin6_port
 *   +4     16   address     network     as sin6_addr
 *   +20    4    scope id    host        as sin6_scope_id; only if length is 24
 *
 * Total length = 4 + the sum of the entry lengths, and it must equal the
 * socklen_t exactly (a longer socklen_t is "trailing bytes", EINVAL; so pass
 * the length a builder returned, never sizeof(struct sockaddr_mp_storage)).
 * Two IPv4 and one IPv6 entry without scope make 4 + 8 + 8 + 20 = 40 bytes.
 *
 * Why these choices:
 * - The header fields are in host order like sa_family in every Linux
 *   sockaddr: they never reach a wire, and code that switches on
 *   sa->sa_family must see AF_MULTIPATH. Ports and addresses are in network
 *   order, as in sockaddr_in/sockaddr_in6, so they copy to and from those
 *   without swapping; the scope id is an interface index in host order, as
 *   sin6_scope_id is.
 * - The entry family is one byte: AF_INET (2) and AF_INET6 (10) fit, and it
 *   keeps the IPv4 entry at the slide's 8 bytes.
 * - Entries carry their own length so that a reader can check each entry
 *   against its family (strictly: 8 for IPv4, 20 or 24 for IPv6).
 * - Every entry length is a multiple of 4, so entries start 4-aligned from
 *   the start of the container; still, entries are packed and the helpers
 *   read and write them with memcpy, never by casting into the buffer, so
 *   any buffer alignment works.
 * - An IPv6 entry whose scope id is 0 is written in 20 bytes by every
 *   builder; a 24-byte entry with scope id 0 is accepted and means the same
 *   (comparisons look at values, not at the encoding).
 * - IPv6 flow information (sin6_flowinfo) has no place: it belongs to a
 *   flow, not to an address, and is dropped on conversion.
 *
 * --- Value of AF_MULTIPATH -----------------------------------------------
 *
 * 46: Linux 6.x and glibc define families 0..45 (AF_MCTP = 45 is the last,
 * AF_MAX = 46), so 46 is the first number no kernel uses. A real kernel
 * rejects socket(46, ...) with EAFNOSUPPORT (family >= NPROTO), which is the
 * draft's fallback signal: "a stack without AF_MULTIPATH returns an error so
 * the application can retry with AF_INET". It fits sa_family_t and differs
 * from AF_UNSPEC, AF_INET and AF_INET6 (checked below). If a C library ever
 * defines AF_MULTIPATH, its value wins.
 *
 * --- Limits ----------------------------------------------------------------
 *
 * At most AFMP_MP_MAX_ENTRIES (32) entries, so a container is at most
 * AFMP_MP_LEN_MAX (772) bytes and fits one fixed buffer
 * (struct sockaddr_mp_storage). 32 is four times what Linux's in-kernel
 * MPTCP path manager handles (8 endpoints, 8 subflows per connection) and
 * covers a name with many A and AAAA records; the 16-bit count field itself
 * could say more, and readers reject a count above the limit.
 *
 * --- Errors ----------------------------------------------------------------
 *
 * Like the socket calls: functions return 0, a count, an index or a length
 * on success, and -1 with errno set on failure:
 *   EINVAL       a container is malformed (length below the header, family
 *                not AF_MULTIPATH, count 0 or above the limit, count not
 *                matching the entries present, entry truncated, entry
 *                length wrong for its family, unknown entry family, trailing
 *                bytes), an entry to write is invalid, an index is out of
 *                range, a text form is malformed, or a pointer is NULL.
 *                Malformed input is never read beyond its length.
 *   EAFNOSUPPORT a single sockaddr to convert is neither AF_INET nor AF_INET6
 *                (nor AF_MULTIPATH where a container is also accepted).
 *   ENOSPC       a builder ran out of room: the buffer is too small for an
 *                in-place edit, or the list would exceed AFMP_MP_MAX_ENTRIES.
 *   ENOENT       afmp_mp_find(): no such entry.
 * Predicates return 1 (true), 0 (false) or -1 with errno.
 *
 * --- Truncation ------------------------------------------------------------
 *
 * Functions that produce a container or a sockaddr into a caller's buffer
 * take (struct sockaddr *sa, socklen_t *len) as getsockname() does: on entry
 * *len is the buffer size, on return it is the full length of the result.
 * When the buffer is smaller, the first *len bytes of the result are stored,
 * byte-wise exactly as POSIX and Linux truncate a sockaddr (so the stored
 * prefix is itself no valid container: its count still names every entry),
 * and the call succeeds; the caller compares the returned length with its
 * buffer size and retries with a bigger one. With *len == 0, |sa| may be NULL
 * to ask for the size alone. Text output follows snprintf(): it stores as
 * much as fits, always NUL-terminated, and returns the full text length.
 */
#ifndef AFMP_SOCKADDR_MP_H
#define AFMP_SOCKADDR_MP_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef AF_MULTIPATH
#define AF_MULTIPATH 46
#endif
#ifndef PF_MULTIPATH
#define PF_MULTIPATH AF_MULTIPATH
#endif

#ifndef __cplusplus
_Static_assert(AF_MULTIPATH != AF_UNSPEC && AF_MULTIPATH != AF_INET && AF_MULTIPATH != AF_INET6,
               "AF_MULTIPATH collides with a family its entries use");
_Static_assert((sa_family_t)AF_MULTIPATH == AF_MULTIPATH, "AF_MULTIPATH must fit sa_family_t");
#endif

/* Sizes of the layout above. */
#define AFMP_MP_HDR_LEN 4
#define AFMP_MP_V4_LEN 8
#define AFMP_MP_V6_LEN 20
#define AFMP_MP_V6_SCOPE_LEN 24
#define AFMP_MP_ENTRY_LEN_MAX AFMP_MP_V6_SCOPE_LEN
#define AFMP_MP_MAX_ENTRIES 32

/* Bytes that always suffice for a container of |n| entries of any kind. */
#define AFMP_MP_SPACE(n) (AFMP_MP_HDR_LEN + (n)*AFMP_MP_ENTRY_LEN_MAX)
/* Largest valid container. */
#define AFMP_MP_LEN_MAX AFMP_MP_SPACE(AFMP_MP_MAX_ENTRIES)

/* Longest text of one entry, "[" 45 "%" 10 "]:" 5 digits, plus a comma. */
#define AFMP_MP_ENTRY_STRLEN 65
/* Buffer size (NUL included) that always holds afmp_mp_format()'s text. */
#define AFMP_MP_STRLEN (AFMP_MP_MAX_ENTRIES * AFMP_MP_ENTRY_STRLEN)

/* The container's header, followed by the packed entries as bytes. The
 * struct is the 4-byte header only: sizeof(struct sockaddr_mp) is not the
 * length of any container, and entries must be read with the helpers below
 * (or memcpy), never through a cast. */
struct sockaddr_mp {
    sa_family_t smp_family; /* AF_MULTIPATH, host order */
    uint16_t smp_count;     /* number of entries, host order */
    uint8_t smp_entries[];  /* packed entries, see the layout above */
};

/* A buffer large enough for any container, aligned like
 * struct sockaddr_storage so that it can be passed as a struct sockaddr *
 * and reused for AF_INET/AF_INET6 addresses. Give sizeof() of it as the
 * capacity; the valid length is what the call that filled it returned. */
struct sockaddr_mp_storage {
    sa_family_t smp_family __attribute__((aligned(__alignof__(struct sockaddr_storage))));
    uint16_t smp_count;
    uint8_t smp_entries[AFMP_MP_MAX_ENTRIES * AFMP_MP_ENTRY_LEN_MAX];
};

/* One entry, decoded. |port| is in host order (unlike the container);
 * |addr| is in network order, an IPv4 address in addr[0..3] with the rest
 * zero; |scope_id| is 0 for IPv4 and for an IPv6 entry without scope. */
struct afmp_mp_entry {
    sa_family_t family; /* AF_INET or AF_INET6 */
    uint16_t port;
    uint32_t scope_id;
    uint8_t addr[16];
};

/* Walks a container checked by afmp_mp_iter_init(). Fields are private. */
struct afmp_mp_iter {
    const uint8_t *p;
    size_t len;
    size_t off;
};

/* The project's address-and-port value (model/types.h), for the socket
 * layer's conversions; programs that do not use those need not know it. */
struct mp_endpoint;

/* --- checking and reading -------------------------------------------------- */

/* Checks that the |len| bytes at |sa| are one valid container (see the
 * layout; every rule is checked and nothing beyond |len| is read). Returns
 * the number of entries (1..AFMP_MP_MAX_ENTRIES), or -1 with errno EINVAL if
 * the container is malformed or |sa| is NULL. */
int afmp_mp_check(const struct sockaddr *sa, socklen_t len);

/* Checks the container (as afmp_mp_check()) and sets |it| to its first
 * entry. The container must stay unchanged while |it| is used. Returns the
 * number of entries, or -1 with errno EINVAL (|it| then yields nothing). */
int afmp_mp_iter_init(struct afmp_mp_iter *it, const struct sockaddr *sa, socklen_t len);

/* Decodes the next entry into |e|. Returns 1, or 0 at the end (|e| is then
 * untouched). Never fails on an iterator set by afmp_mp_iter_init(). */
int afmp_mp_iter_next(struct afmp_mp_iter *it, struct afmp_mp_entry *e);

/* Decodes entry |index| (from 0) into |e|. Returns 0, or -1 with errno
 * EINVAL if the container is malformed or |index| is not below its count. */
int afmp_mp_get(const struct sockaddr *sa, socklen_t len, size_t index, struct afmp_mp_entry *e);

/* Index of the first entry equal to |e| (afmp_mp_entry_equal()). Returns
 * the index, or -1 with errno ENOENT (no such entry) or EINVAL (malformed
 * container). */
int afmp_mp_find(const struct sockaddr *sa, socklen_t len, const struct afmp_mp_entry *e);

/* --- building and editing ---------------------------------------------------- */

/* Writes a container of the |n| entries |e| (in order) to |sa|, with
 * getsockname()-style truncation: *len is the capacity on entry and the full
 * length on return (see "Truncation"). IPv6 entries take 24 bytes when their
 * scope id is not 0, else 20. Returns 0, or -1 with errno EINVAL (|n| is 0,
 * an entry's family is neither AF_INET nor AF_INET6, or an IPv4 entry has a
 * scope id or non-zero addr[4..15]) or ENOSPC (|n| > AFMP_MP_MAX_ENTRIES);
 * on error nothing is written. */
int afmp_mp_build(struct sockaddr *sa, socklen_t *len, const struct afmp_mp_entry *e, size_t n);

/* Appends the entry |e| to the container of *len bytes in the buffer |sa|
 * of |cap| bytes, in place, and updates *len. *len == 0 starts a new
 * container. Returns 0, or -1 with errno EINVAL (the existing container is
 * malformed, |e| is invalid as for afmp_mp_build()) or ENOSPC (|cap| is too
 * small for the result, or the container already holds AFMP_MP_MAX_ENTRIES);
 * on error the buffer and *len are unchanged. */
int afmp_mp_append(struct sockaddr *sa, socklen_t cap, socklen_t *len,
                   const struct afmp_mp_entry *e);

/* Appends what |addr| (|addrlen| bytes) holds: one sockaddr_in or
 * sockaddr_in6 (|addrlen| at least its size, as Linux's connect() wants), or
 * every entry of an AF_MULTIPATH container, all or none. Otherwise as
 * afmp_mp_append(); errors also EINVAL (|addr| too short or malformed) and
 * EAFNOSUPPORT (another family). */
int afmp_mp_append_sockaddr(struct sockaddr *sa, socklen_t cap, socklen_t *len,
                            const struct sockaddr *addr, socklen_t addrlen);

/* Removes entry |index| from the container of *len bytes at |sa|, in place;
 * the later entries move up and *len shrinks. Removing the last remaining
 * entry leaves the empty state: *len = 0 (and the header's count 0), from
 * which afmp_mp_append() starts again; no reader accepts it. Returns 0, or
 * -1 with errno EINVAL (malformed container, |index| out of range). */
int afmp_mp_remove(struct sockaddr *sa, socklen_t *len, size_t index);

/* Sets the port of every entry to |port| (host order), in place: name
 * lookups return port 0 and the application then picks the service's port.
 * Returns 0, or -1 with errno EINVAL (malformed container; unchanged). */
int afmp_mp_set_port(struct sockaddr *sa, socklen_t len, uint16_t port);

/* --- comparing --------------------------------------------------------------- */

/* 1 if the entries are equal (family, address, port, scope id; the encoding
 * length does not matter), else 0. */
int afmp_mp_entry_equal(const struct afmp_mp_entry *a, const struct afmp_mp_entry *b);

/* Order-sensitive: 1 if |a| and |b| hold equal entries in the same order,
 * 0 if not, -1 with errno EINVAL if either is malformed. */
int afmp_mp_equal(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
                  socklen_t blen);

/* Set equality: 1 if every entry of |a| is in |b| and every entry of |b| is
 * in |a| (order and repetitions do not matter), 0 if not, -1 with errno
 * EINVAL if either is malformed. */
int afmp_mp_same_set(const struct sockaddr *a, socklen_t alen, const struct sockaddr *b,
                     socklen_t blen);

/* --- converting ---------------------------------------------------------------- */

/* Decodes a sockaddr_in or sockaddr_in6 of |len| bytes (at least its
 * size) into |e|; sin6_flowinfo is dropped. Returns 0, or -1 with errno
 * EINVAL (NULL, too short) or EAFNOSUPPORT (other family). */
int afmp_mp_entry_from_sockaddr(const struct sockaddr *sa, socklen_t len, struct afmp_mp_entry *e);

/* Writes |e| as a sockaddr_in or sockaddr_in6 (zero padding, flowinfo 0)
 * with getsockname()-style truncation; give a struct sockaddr_storage and
 * its size to always get it whole. Returns 0, or -1 with errno EINVAL
 * (invalid entry; nothing written). */
int afmp_mp_entry_to_sockaddr(const struct afmp_mp_entry *e, struct sockaddr *sa, socklen_t *len);

/* The entry for endpoint |ep| (ip.v 4 or 6, port host order, no scope).
 * Returns 0, or -1 with errno EINVAL (ip.v is neither 4 nor 6). */
int afmp_mp_entry_from_endpoint(const struct mp_endpoint *ep, struct afmp_mp_entry *e);

/* The endpoint for entry |e|. struct mp_endpoint has no scope id, so an
 * entry's scope id is lost. Returns 0, or -1 with errno EINVAL (invalid
 * entry). */
int afmp_mp_entry_to_endpoint(const struct afmp_mp_entry *e, struct mp_endpoint *ep);

/* Decodes |sa| (|len| bytes) into endpoints: an AF_MULTIPATH container gives
 * its entries in order, a sockaddr_in / sockaddr_in6 gives one, so the
 * socket layer handles every family with one call. Stores the first
 * min(count, |max|) endpoints in |out| and sets *n to the full count (as
 * truncation elsewhere: the caller sees *n > |max|). Scope ids are lost.
 * Returns 0, or -1 with errno EINVAL (malformed or short address, NULL |n|)
 * or EAFNOSUPPORT (another family). */
int afmp_mp_to_endpoints(const struct sockaddr *sa, socklen_t len, struct mp_endpoint *out,
                         size_t max, size_t *n);

/* Writes a container of the |n| endpoints |ep|, with getsockname()-style
 * truncation as afmp_mp_build(). Returns 0, or -1 with errno EINVAL (|n| is
 * 0, an endpoint's ip.v is neither 4 nor 6) or ENOSPC (|n| above the
 * limit). */
int afmp_mp_from_endpoints(const struct mp_endpoint *ep, size_t n, struct sockaddr *sa,
                           socklen_t *len);

/* --- text ------------------------------------------------------------------------- */

/* Writes the container as text: entries in order separated by ',' without
 * blanks, IPv4 as "10.0.0.1:80", IPv6 in brackets as "[2001:db8::1]:80" or
 * with a numeric scope id "[fe80::1%2]:80" (RFC 4007 section 11 zone
 * syntax); the port is always written. Stores at most |buflen| - 1
 * characters and a NUL (snprintf semantics; |buf| may be NULL when |buflen|
 * is 0). AFMP_MP_STRLEN always suffices. Returns the full text length, or
 * -1 with errno EINVAL (malformed container). */
int afmp_mp_format(const struct sockaddr *sa, socklen_t len, char *buf, size_t buflen);

/* Parses the text form above into a container with getsockname()-style
 * truncation (*len: capacity in, full length out). Accepted per entry:
 * "A.B.C.D" (inet_pton's strict dotted quad) or "[IPV6]" or "[IPV6%SCOPE]"
 * (SCOPE 1 to 10 decimal digits, a 32-bit number), each optionally followed
 * by ":PORT" (1 to 5 decimal digits, at most 65535; no port means 0, as a
 * lookup gives); entries separated by single commas; no blanks anywhere.
 * Returns 0, or -1 with errno EINVAL (malformed text, including the empty
 * string) or ENOSPC (more than AFMP_MP_MAX_ENTRIES entries); then, if
 * |errpos| is not NULL, *errpos is the offset in |s| of the first character
 * that is wrong (the start of an address that does not parse, the stray
 * character, or the end of the string where more was expected) and nothing
 * is written to |sa|. For an address, scope or port that does not parse,
 * *errpos is where that address, scope or port starts. */
int afmp_mp_parse(const char *s, struct sockaddr *sa, socklen_t *len, size_t *errpos);

#ifdef __cplusplus
}
#endif

#endif
