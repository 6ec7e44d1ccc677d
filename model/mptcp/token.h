/*
 * afmp: the per-host MPTCP token table (RFC 8684 3.1, 3.2).
 *
 * A token (32 bits of SHA-256 of a connection's local key) names the
 * connection in MP_JOIN SYNs; a host must never hand out a token that is
 * already in use. The table maps tokens to their connection (an opaque
 * owner pointer). It is only ever looked up by token, never iterated, so
 * its hash order cannot leak into outputs.
 */
#ifndef MP_MPTCP_TOKEN_H
#define MP_MPTCP_TOKEN_H

#include "model/rng.h"
#include "model/types.h"

/* How many keys mp_mptcp_token_new draws before giving up. */
#define MP_MPTCP_TOKEN_TRIES 32

struct mp_mptcp_tokens; /* opaque */

/* Returns a new, empty table. Never fails (GLib aborts on out of memory). */
struct mp_mptcp_tokens *mp_mptcp_tokens_new(void);

/* Frees |t| (NULL is allowed); the owners are not touched. */
void mp_mptcp_tokens_free(struct mp_mptcp_tokens *t);

/*
 * mp_mptcp_token_new draws keys from |rng| until one is non-zero and its
 * token is not in use (RFC 8684 3.1: the key must give a token unique to the
 * host), reserves the token for |owner| (non-NULL) and stores the key, the
 * token and the IDSN through |key|, |token| and |idsn| (each may be NULL).
 * Every draw, rejected or not, advances |rng|.
 *
 * Returns 0, or -EAGAIN after MP_MPTCP_TOKEN_TRIES draws without a usable
 * key (the table is full of collisions: cannot happen in practice, but
 * testable with a rigged rng); nothing is stored then.
 */
int mp_mptcp_token_new(struct mp_mptcp_tokens *t, struct mp_rng *rng, void *owner, uint64_t *key,
                       uint32_t *token, uint64_t *idsn);

/*
 * mp_mptcp_token_insert reserves |token|, computed elsewhere, for |owner|
 * (non-NULL). Returns 0, or -EEXIST when the token is in use (the table is
 * unchanged).
 */
int mp_mptcp_token_insert(struct mp_mptcp_tokens *t, uint32_t token, void *owner);

/* The owner of |token|, or NULL when the token is not in use. */
void *mp_mptcp_token_lookup(const struct mp_mptcp_tokens *t, uint32_t token);

/* Releases |token|; does nothing when it is not in use. */
void mp_mptcp_token_remove(struct mp_mptcp_tokens *t, uint32_t token);

/* The number of tokens in use. */
size_t mp_mptcp_tokens_count(const struct mp_mptcp_tokens *t);

#endif
