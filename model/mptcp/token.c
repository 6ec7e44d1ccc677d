/*
 * afmp: the per-host MPTCP token table.
 *
 * A GHashTable keyed by the token itself (GUINT_TO_POINTER); token 0 is a
 * valid token and maps to the NULL key, which GLib's direct hash accepts.
 * Only looked up, never iterated.
 */
#include <errno.h>

#include <glib.h>

#include "model/mptcp/crypto.h"
#include "model/mptcp/token.h"

struct mp_mptcp_tokens {
    GHashTable *map; /* token -> owner */
};

struct mp_mptcp_tokens *mp_mptcp_tokens_new(void)
{
    struct mp_mptcp_tokens *t = g_new0(struct mp_mptcp_tokens, 1);

    t->map = g_hash_table_new(g_direct_hash, g_direct_equal);
    return t;
}

void mp_mptcp_tokens_free(struct mp_mptcp_tokens *t)
{
    if (!t)
        return;
    g_hash_table_destroy(t->map);
    g_free(t);
}

int mp_mptcp_token_new(struct mp_mptcp_tokens *t, struct mp_rng *rng, void *owner, uint64_t *key,
                       uint32_t *token, uint64_t *idsn)
{
    for (int i = 0; i < MP_MPTCP_TOKEN_TRIES; i++) {
        uint64_t k = mp_rng_u64(rng), s;
        uint32_t tok;

        /* A zero key is reserved (Linux redraws it too); the key must also
         * give a token no other connection of this host holds, RFC 8684
         * 3.1: "the token MUST be unique for the host". */
        if (k == 0)
            continue;
        mp_mptcp_key_derive(k, &tok, &s);
        if (g_hash_table_contains(t->map, GUINT_TO_POINTER(tok)))
            continue;
        g_hash_table_insert(t->map, GUINT_TO_POINTER(tok), owner);
        if (key)
            *key = k;
        if (token)
            *token = tok;
        if (idsn)
            *idsn = s;
        return 0;
    }
    return -EAGAIN;
}

int mp_mptcp_token_insert(struct mp_mptcp_tokens *t, uint32_t token, void *owner)
{
    if (g_hash_table_contains(t->map, GUINT_TO_POINTER(token)))
        return -EEXIST;
    g_hash_table_insert(t->map, GUINT_TO_POINTER(token), owner);
    return 0;
}

void *mp_mptcp_token_lookup(const struct mp_mptcp_tokens *t, uint32_t token)
{
    return g_hash_table_lookup(t->map, GUINT_TO_POINTER(token));
}

void mp_mptcp_token_remove(struct mp_mptcp_tokens *t, uint32_t token)
{
    g_hash_table_remove(t->map, GUINT_TO_POINTER(token));
}

size_t mp_mptcp_tokens_count(const struct mp_mptcp_tokens *t)
{
    return g_hash_table_size(t->map);
}
