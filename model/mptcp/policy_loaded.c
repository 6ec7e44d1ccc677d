/*
 * afmp: MPTCP policies loaded from shared objects (the ABI:
 * afmp/mptcp_policy.h). Three parts:
 *
 * - the registry: one entry per path, reference-counted, behind a mutex
 *   (afmp-sim check runs scenarios in threads); an entry holds the module,
 *   its descriptor and the internal ops table built from it, under the
 *   name "plugin:PATH" that mp_mptcp_pm_find, mp_mptcp_sched_find and
 *   mp_mptcp_cc_find fall back to;
 * - the adapters: internal ops (struct mp_mptcp_sched_ops, _pm_ops,
 *   _cc_ops) whose callbacks find their entry from the table pointer and
 *   call the descriptor's, with the connection and its subflows as opaque
 *   handles (a struct afmp_conn * is the struct mp_mptcp_sock *, never
 *   dereferenced by the policy);
 * - the accessors the policies call (afmp_conn_*, afmp_subflow_*),
 *   exported from the executable (export_dynamic).
 *
 * Congestion control. TCP runs one algorithm per connection (model/tcp/
 * cc.h); the adapter switches each subflow, once established, to an
 * algorithm of its own (mp_tcp_set_cc) that delegates to the base one and
 * gives the policy the increase (cong_avoid), the threshold (ssthresh) and
 * the loss events (set_state). Its coupling object (struct mp_cc_group)
 * names the subflow; a subflow's TCP can outlive the connection (FIN_WAIT,
 * TIME_WAIT), so before every call the adapter checks that the TCP still
 * belongs to the subflow (the connection clears the extension's pointer
 * when it lets a subflow go) and otherwise runs the base algorithm alone.
 */
#include <errno.h>
#include <gmodule.h>
#include <stddef.h>
#include <string.h>

#include "afmp/mptcp_policy.h"
#include "model/net/addr.h"
#include "model/mptcp/protocol.h"
#include "model/tcp/cc.h"

_Static_assert((int)MP_MPTCP_POLICY_SCHED == (int)AFMP_POLICY_SCHEDULER, "kind values");
_Static_assert((int)MP_MPTCP_POLICY_PM == (int)AFMP_POLICY_PATH_MANAGER, "kind values");
_Static_assert((int)MP_MPTCP_POLICY_CC == (int)AFMP_POLICY_CC, "kind values");
_Static_assert(MP_MPTCP_POLICY_DATA == AFMP_POLICY_DATA_SIZE, "area size");

G_DEFINE_QUARK(mp-mptcp-policy-error-quark, mp_mptcp_policy_error)

struct loaded {
    char *key; /* "plugin:PATH" */
    GModule *mod;
    unsigned refs;
    enum mp_mptcp_policy_kind kind;
    const struct afmp_policy *desc;
    struct mp_mptcp_sched_ops sched;
    struct mp_mptcp_pm_ops pm;
    struct mp_mptcp_cc_ops cc;
    struct mp_cc_ops tcp_cc;        /* what the subflows' TCP runs (cc) */
    const struct mp_cc_ops *base;   /* desc->cc->base, NULL: the subflow's */
};

static GMutex reg_lock;
static GPtrArray *reg; /* struct loaded *, load order */

#define ENTRY_OF(ptr, member) \
    ((struct loaded *)(void *)((char *)(void *)(ptr) - offsetof(struct loaded, member)))

static struct afmp_conn *H(struct mp_mptcp_sock *msk)
{
    return (struct afmp_conn *)(void *)msk;
}

static struct afmp_subflow *HS(struct mp_mptcp_subflow *sf)
{
    return (struct afmp_subflow *)(void *)sf;
}

static struct mp_mptcp_sock *M(const struct afmp_conn *c)
{
    return (struct mp_mptcp_sock *)(void *)c;
}

static struct mp_mptcp_subflow *S(const struct afmp_subflow *sf)
{
    return (struct mp_mptcp_subflow *)(void *)sf;
}

static void addr_out(const struct mp_ip *ip, uint16_t port, struct afmp_addr *out)
{
    memset(out, 0, sizeof(*out));
    out->family = ip->v;
    out->port = port;
    memcpy(out->bytes, ip->b, ip->v == 4 ? 4 : ip->v == 6 ? 16 : 0);
}

static bool addr_in(const struct afmp_addr *a, struct mp_ip *ip)
{
    memset(ip, 0, sizeof(*ip));
    if (a->family != 4 && a->family != 6)
        return false;
    ip->v = a->family;
    memcpy(ip->b, a->bytes, a->family == 4 ? 4 : 16);
    return true;
}

/* ---- schedulers ---- */

static bool is_subflow_of(const struct mp_mptcp_sock *msk, const struct mp_mptcp_subflow *sf)
{
    for (guint i = 0; i < msk->subflows->len; i++)
        if (msk->subflows->pdata[i] == sf)
            return true;
    return false;
}

static struct mp_mptcp_subflow *ls_pick(struct mp_mptcp_sock *msk, mp_time_t now)
{
    const struct loaded *e = ENTRY_OF(msk->st->sched, sched);
    struct afmp_subflow *h = e->desc->sched->pick(H(msk), (uint64_t)now);
    struct mp_mptcp_subflow *sf = S(h);
    if (!sf || !is_subflow_of(msk, sf) || !mp_mptcp_subflow_usable(sf))
        return NULL;
    return sf;
}

static bool ls_unpicked_ok(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf)
{
    const struct loaded *e = ENTRY_OF(msk->st->sched, sched);
    return e->desc->sched->unpicked_ok(H(msk), HS(sf), (uint64_t)mp_env_now(msk->st->env));
}

static void ls_sent(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, size_t len,
                    mp_time_t now)
{
    const struct loaded *e = ENTRY_OF(msk->st->sched, sched);
    e->desc->sched->sent(H(msk), HS(sf), len, (uint64_t)now);
}

/* ---- path managers ---- */

static const struct afmp_pm_ops *pm_of(const struct mp_mptcp_sock *msk)
{
    return ENTRY_OF(msk->pm, pm)->desc->pm;
}

static void lp_established(struct mp_mptcp_sock *msk, mp_time_t now)
{
    pm_of(msk)->established(H(msk), (uint64_t)now);
}

static void lp_remote_added(struct mp_mptcp_sock *msk, const struct mp_mptcp_remote *r,
                            mp_time_t now)
{
    pm_of(msk)->remote_added(H(msk), (size_t)(r - msk->remotes), false, (uint64_t)now);
}

static void lp_add_addr_received(struct mp_mptcp_sock *msk, const struct mp_mptcp_remote *r,
                                 mp_time_t now)
{
    pm_of(msk)->remote_added(H(msk), (size_t)(r - msk->remotes), true, (uint64_t)now);
}

static void lp_subflow_closed(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf, int err,
                              mp_time_t now)
{
    pm_of(msk)->subflow_closed(H(msk), HS(sf), err, (uint64_t)now);
}

static bool lp_allow_join(struct mp_mptcp_sock *msk)
{
    const struct afmp_pm_ops *o = pm_of(msk);
    if (o->allow_join)
        return o->allow_join(H(msk));
    return msk->joins_accepted < msk->st->o.subflows;
}

static void lp_local_added(struct mp_mptcp_sock *msk, const struct mp_ip *a, mp_time_t now)
{
    struct afmp_addr x;
    addr_out(a, 0, &x);
    pm_of(msk)->local_added(H(msk), &x, (uint64_t)now);
}

static void lp_signal_done(struct mp_mptcp_sock *msk, mp_time_t now)
{
    pm_of(msk)->signal_done(H(msk), (uint64_t)now);
}

/* ---- congestion control ---- */

/* The group's policy (struct mp_cc_group is protocol.h's). */
#define LOADED_OF(g) ((const struct loaded *)(g)->loaded)

/* The subflow still owns its TCP and runs MPTCP: the policy may act. */
static bool cg_live(const struct mp_cc_group *g)
{
    return mp_tcp_ext_arg(g->ssk) == g->sf && g->sf->ssk == g->ssk && !g->msk->fallback &&
           !g->msk->dead;
}

static void window_out(const struct mp_cc_state *st, struct afmp_cc_window *w)
{
    w->cwnd = st->cwnd;
    w->cwnd_cnt = st->cwnd_cnt;
    w->ssthresh = st->ssthresh;
    w->cwnd_clamp = st->cwnd_clamp;
    w->mss = st->mss;
}

static void lc_init(struct mp_cc_state *st, mp_time_t now)
{
    st->group->base->init(st, now);
}

static void lc_release(struct mp_cc_state *st)
{
    struct mp_cc_group *g = st->group;
    if (g->base->release)
        g->base->release(st);
    st->group = NULL;
    g_free(g);
}

static uint32_t lc_ssthresh(struct mp_cc_state *st, mp_time_t now)
{
    struct mp_cc_group *g = st->group;
    const struct afmp_cc_ops *o = LOADED_OF(g)->desc->cc;
    if (o->ssthresh && cg_live(g)) {
        struct afmp_cc_window w;
        window_out(st, &w);
        uint32_t v = o->ssthresh(H(g->msk), HS(g->sf), &w, (uint64_t)now);
        if (v)
            return v < 2 ? 2 : v;
    }
    return g->base->ssthresh(st, now);
}

static void lc_cong_avoid(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now)
{
    struct mp_cc_group *g = st->group;
    const struct afmp_cc_ops *o = LOADED_OF(g)->desc->cc;
    if (o->cong_avoid && cg_live(g)) {
        struct afmp_cc_window w;
        window_out(st, &w);
        struct afmp_cc_ack a = {
            .acked = ack->acked,
            .in_flight = ack->in_flight,
            .rtt = ack->rtt,
            .cwnd_limited = ack->cwnd_limited,
            .slow_start = mp_cc_in_slow_start(st),
        };
        if (o->cong_avoid(H(g->msk), HS(g->sf), &a, &w, (uint64_t)now) == AFMP_CC_DONE) {
            uint32_t clamp = st->cwnd_clamp ? st->cwnd_clamp : 1;
            st->cwnd = w.cwnd < 1 ? 1 : w.cwnd > clamp ? clamp : w.cwnd;
            st->cwnd_cnt = w.cwnd_cnt;
            return;
        }
    }
    g->base->cong_avoid(st, ack, now);
}

static void lc_set_state(struct mp_cc_state *st, enum mp_cc_ca_state ns, mp_time_t now)
{
    struct mp_cc_group *g = st->group;
    const struct afmp_cc_ops *o = LOADED_OF(g)->desc->cc;
    if (g->base->set_state)
        g->base->set_state(st, ns, now);
    if (!o->congestion || ns == st->ca_state || !cg_live(g))
        return;
    enum afmp_cc_signal sig;
    if (ns == MP_CC_RECOVERY)
        sig = AFMP_CC_RECOVERY;
    else if (ns == MP_CC_CWR)
        sig = AFMP_CC_CWR;
    else if (ns == MP_CC_LOSS)
        sig = AFMP_CC_TIMEOUT;
    else
        return;
    o->congestion(H(g->msk), HS(g->sf), sig, (uint64_t)now);
}

static void lc_cwnd_event(struct mp_cc_state *st, enum mp_cc_event ev, mp_time_t now)
{
    if (st->group->base->cwnd_event)
        st->group->base->cwnd_event(st, ev, now);
}

static uint32_t lc_undo_cwnd(struct mp_cc_state *st)
{
    return st->group->base->undo_cwnd(st);
}

static void lc_pkts_acked(struct mp_cc_state *st, const struct mp_cc_ack *ack, mp_time_t now)
{
    if (st->group->base->pkts_acked)
        st->group->base->pkts_acked(st, ack, now);
}

static void lc_get_info(const struct mp_cc_state *st, struct mp_cc_info *out)
{
    mp_cc_info_add(out, "plugin", 1);
    if (st->group->base->get_info)
        st->group->base->get_info(st, out);
}

static void lc_subflow_init(struct mp_mptcp_sock *msk, struct mp_mptcp_subflow *sf)
{
    const struct loaded *e = ENTRY_OF(msk->st->cc, cc);
    if (!sf->ssk)
        return;
    const struct mp_cc_state *cs = mp_tcp_cc_state(sf->ssk);
    if (!cs)
        return;
    const struct mp_cc_ops *base = e->base;
    if (!base)
        base = cs->ops == &e->tcp_cc ? cs->group->base : cs->ops;
    mp_time_t now = mp_env_now(msk->st->env);
    struct mp_cc_group *g = g_new0(struct mp_cc_group, 1);
    g->loaded = e;
    g->base = base;
    g->msk = msk;
    g->sf = sf;
    g->ssk = sf->ssk;
    if (mp_tcp_set_cc(sf->ssk, &e->tcp_cc, g, now) < 0) {
        g_free(g);
        return;
    }
    if (e->desc->cc->subflow_init)
        e->desc->cc->subflow_init(H(msk), HS(sf), (uint64_t)now);
}

/* ---- the registry ---- */

const char *mp_mptcp_policy_kind_name(enum mp_mptcp_policy_kind kind)
{
    switch (kind) {
    case MP_MPTCP_POLICY_SCHED:
        return "scheduler";
    case MP_MPTCP_POLICY_PM:
        return "path manager";
    case MP_MPTCP_POLICY_CC:
        return "congestion control";
    }
    return "unknown kind";
}

static bool name_ok(const char *s)
{
    if (!s || !*s || strlen(s) > 64)
        return false;
    for (const char *p = s; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return false;
    return true;
}

/* Checks the descriptor and fills the entry's tables. */
static bool entry_setup(struct loaded *e, enum mp_mptcp_policy_kind kind, GError **err)
{
    const struct afmp_policy *d = e->desc;
    if (d->abi_version != AFMP_POLICY_ABI_VERSION) {
        g_set_error(err, MP_MPTCP_POLICY_ERROR, 0,
                    "policy ABI version %u, this simulator speaks version %u "
                    "(rebuild it against afmp/mptcp_policy.h)",
                    d->abi_version, AFMP_POLICY_ABI_VERSION);
        return false;
    }
    if (d->kind != (uint32_t)kind) {
        bool known = d->kind >= 1 && d->kind <= 3;
        g_set_error(err, MP_MPTCP_POLICY_ERROR, 0, "the policy is a %s, expected a %s",
                    known ? mp_mptcp_policy_kind_name((enum mp_mptcp_policy_kind)d->kind)
                          : "policy of unknown kind",
                    mp_mptcp_policy_kind_name(kind));
        return false;
    }
    if (!name_ok(d->name)) {
        g_set_error(err, MP_MPTCP_POLICY_ERROR, 0,
                    "the policy's name must be 1 to 64 letters, digits, '-' or '_'");
        return false;
    }
    switch (kind) {
    case MP_MPTCP_POLICY_SCHED:
        if (!d->sched || !d->sched->pick) {
            g_set_error(err, MP_MPTCP_POLICY_ERROR, 0,
                        "a scheduler needs .sched with .pick (afmp/mptcp_policy.h)");
            return false;
        }
        e->sched.name = d->name;
        e->sched.pick = ls_pick;
        e->sched.unpicked_ok = d->sched->unpicked_ok ? ls_unpicked_ok : NULL;
        e->sched.sent = d->sched->sent ? ls_sent : NULL;
        break;
    case MP_MPTCP_POLICY_PM: {
        const struct afmp_pm_ops *o = d->pm;
        if (!o) {
            g_set_error(err, MP_MPTCP_POLICY_ERROR, 0,
                        "a path manager needs .pm (afmp/mptcp_policy.h)");
            return false;
        }
        e->pm.name = d->name;
        e->pm.established = o->established ? lp_established : NULL;
        e->pm.remote_added = o->remote_added ? lp_remote_added : NULL;
        e->pm.add_addr_received = o->remote_added ? lp_add_addr_received : NULL;
        e->pm.subflow_closed = o->subflow_closed ? lp_subflow_closed : NULL;
        e->pm.allow_join = lp_allow_join;
        e->pm.local_added = o->local_added ? lp_local_added : NULL;
        e->pm.signal_done = o->signal_done ? lp_signal_done : NULL;
        break;
    }
    case MP_MPTCP_POLICY_CC: {
        const struct afmp_cc_ops *o = d->cc;
        if (!o) {
            g_set_error(err, MP_MPTCP_POLICY_ERROR, 0,
                        "a congestion control needs .cc (afmp/mptcp_policy.h)");
            return false;
        }
        if (o->base && !mp_cc_lookup(o->base)) {
            char *names = g_strjoinv(", ", (gchar **)mp_cc_names());
            g_set_error(err, MP_MPTCP_POLICY_ERROR, 0,
                        "base TCP algorithm '%s' does not exist (there are %s)", o->base, names);
            g_free(names);
            return false;
        }
        e->base = o->base ? mp_cc_lookup(o->base) : NULL;
        e->cc.name = d->name;
        e->cc.subflow_init = lc_subflow_init;
        e->tcp_cc = (struct mp_cc_ops){
            .name = d->name,
            .init = lc_init,
            .release = lc_release,
            .ssthresh = lc_ssthresh,
            .cong_avoid = lc_cong_avoid,
            .set_state = lc_set_state,
            .cwnd_event = lc_cwnd_event,
            .undo_cwnd = lc_undo_cwnd,
            .pkts_acked = lc_pkts_acked,
            .get_info = lc_get_info,
        };
        break;
    }
    }
    e->kind = kind;
    return true;
}

static struct loaded *reg_find(const char *key)
{
    if (!reg || !key)
        return NULL;
    for (guint i = 0; i < reg->len; i++) {
        struct loaded *e = reg->pdata[i];
        if (!strcmp(e->key, key))
            return e;
    }
    return NULL;
}

const char *mp_mptcp_policy_load(const char *path, enum mp_mptcp_policy_kind kind, GError **err)
{
    char *key = g_strconcat(MP_MPTCP_POLICY_PREFIX, path, NULL);
    g_mutex_lock(&reg_lock);
    struct loaded *e = reg_find(key);
    if (e) {
        g_free(key);
        if (e->kind != kind) {
            g_set_error(err, MP_MPTCP_POLICY_ERROR, 0, "the policy is a %s, expected a %s",
                        mp_mptcp_policy_kind_name(e->kind), mp_mptcp_policy_kind_name(kind));
            g_mutex_unlock(&reg_lock);
            return NULL;
        }
        e->refs++;
        g_mutex_unlock(&reg_lock);
        return e->key;
    }
    const char *result = NULL;
    /* Local binding: two policies may use the same names for their own
     * functions. The afmp_* accessors come from the executable. */
    GModule *mod = g_module_open(path, G_MODULE_BIND_LOCAL);
    gpointer sym = NULL;
    if (!mod) {
        g_set_error(err, MP_MPTCP_POLICY_ERROR, 0, "cannot load: %s", g_module_error());
    } else if (!g_module_symbol(mod, AFMP_POLICY_SYMBOL, &sym) || !sym) {
        g_set_error(err, MP_MPTCP_POLICY_ERROR, 0,
                    "no symbol " AFMP_POLICY_SYMBOL " (a policy exports const struct afmp_policy "
                    AFMP_POLICY_SYMBOL ", afmp/mptcp_policy.h)");
    } else {
        e = g_new0(struct loaded, 1);
        e->key = key;
        e->mod = mod;
        e->refs = 1;
        e->desc = sym;
        if (entry_setup(e, kind, err)) {
            if (!reg)
                reg = g_ptr_array_new();
            g_ptr_array_add(reg, e);
            result = e->key;
            key = NULL;
            mod = NULL;
        } else {
            g_free(e);
        }
    }
    if (mod)
        g_module_close(mod);
    g_free(key);
    g_mutex_unlock(&reg_lock);
    return result;
}

void mp_mptcp_policy_unload(const char *name)
{
    g_mutex_lock(&reg_lock);
    struct loaded *e = reg_find(name);
    if (e && --e->refs == 0) {
        g_ptr_array_remove(reg, e);
        g_module_close(e->mod);
        g_free(e->key);
        g_free(e);
        if (!reg->len) {
            g_ptr_array_free(reg, TRUE);
            reg = NULL;
        }
    }
    g_mutex_unlock(&reg_lock);
}

/* The entry stays while a scenario (or a test) holds its reference, so the
 * table can be used after the lock is released. */
static const struct loaded *lookup(const char *name, enum mp_mptcp_policy_kind kind)
{
    if (!name || strncmp(name, MP_MPTCP_POLICY_PREFIX, strlen(MP_MPTCP_POLICY_PREFIX)) != 0)
        return NULL;
    g_mutex_lock(&reg_lock);
    const struct loaded *e = reg_find(name);
    g_mutex_unlock(&reg_lock);
    return e && e->kind == kind ? e : NULL;
}

const struct mp_mptcp_pm_ops *mp_mptcp_policy_pm(const char *name)
{
    const struct loaded *e = lookup(name, MP_MPTCP_POLICY_PM);
    return e ? &e->pm : NULL;
}

const struct mp_mptcp_sched_ops *mp_mptcp_policy_sched(const char *name)
{
    const struct loaded *e = lookup(name, MP_MPTCP_POLICY_SCHED);
    return e ? &e->sched : NULL;
}

const struct mp_mptcp_cc_ops *mp_mptcp_policy_cc(const char *name)
{
    const struct loaded *e = lookup(name, MP_MPTCP_POLICY_CC);
    return e ? &e->cc : NULL;
}

/* ---- the accessors (exported to the policies) ---- */

uint64_t afmp_conn_id(const struct afmp_conn *c)
{
    return M(c)->id;
}

bool afmp_conn_is_passive(const struct afmp_conn *c)
{
    const struct mp_mptcp_sock *msk = M(c);
    return msk->first ? msk->first->passive : false;
}

void *afmp_conn_data(struct afmp_conn *c, enum afmp_policy_kind kind)
{
    unsigned k = (unsigned)kind;
    if (k < 1 || k > MP_MPTCP_POLICY_KINDS)
        return NULL;
    return M(c)->policy_data[k - 1];
}

size_t afmp_conn_subflows(const struct afmp_conn *c)
{
    return M(c)->subflows->len;
}

struct afmp_subflow *afmp_conn_subflow(struct afmp_conn *c, size_t i)
{
    const struct mp_mptcp_sock *msk = M(c);
    return i < msk->subflows->len ? HS(msk->subflows->pdata[i]) : NULL;
}

bool afmp_conn_backups_allowed(const struct afmp_conn *c)
{
    return mp_mptcp_sched_backups_ok(M(c));
}

size_t afmp_subflow_index(const struct afmp_subflow *h)
{
    const struct mp_mptcp_subflow *sf = S(h);
    const struct mp_mptcp_sock *msk = sf->msk;
    for (guint i = 0; i < msk->subflows->len; i++)
        if (msk->subflows->pdata[i] == sf)
            return i;
    return (size_t)-1;
}

uint64_t afmp_subflow_id(const struct afmp_subflow *sf)
{
    return S(sf)->id;
}

void *afmp_subflow_data(struct afmp_subflow *sf, enum afmp_policy_kind kind)
{
    unsigned k = (unsigned)kind;
    if (k < 1 || k > MP_MPTCP_POLICY_KINDS)
        return NULL;
    return S(sf)->policy_data[k - 1];
}

bool afmp_subflow_active(const struct afmp_subflow *sf)
{
    return mp_mptcp_subflow_active(S(sf));
}

bool afmp_subflow_usable(const struct afmp_subflow *sf)
{
    return mp_mptcp_subflow_usable(S(sf));
}

bool afmp_subflow_ready(const struct afmp_subflow *sf)
{
    return mp_mptcp_subflow_ready(S(sf));
}

bool afmp_subflow_is_backup(const struct afmp_subflow *sf)
{
    return mp_mptcp_subflow_is_backup(S(sf));
}

bool afmp_subflow_backing_off(const struct afmp_subflow *sf)
{
    return S(sf)->ssk && mp_mptcp_subflow_backing_off(S(sf));
}

bool afmp_subflow_is_join(const struct afmp_subflow *sf)
{
    return S(sf)->kind == MP_SF_JOIN;
}

uint64_t afmp_subflow_srtt(const struct afmp_subflow *sf)
{
    return S(sf)->ssk ? (uint64_t)mp_tcp_srtt(S(sf)->ssk) : 0;
}

uint32_t afmp_subflow_cwnd(const struct afmp_subflow *sf)
{
    const struct mp_cc_state *cs = S(sf)->ssk ? mp_tcp_cc_state(S(sf)->ssk) : NULL;
    return cs ? cs->cwnd : 0;
}

uint32_t afmp_subflow_mss(const struct afmp_subflow *sf)
{
    const struct mp_cc_state *cs = S(sf)->ssk ? mp_tcp_cc_state(S(sf)->ssk) : NULL;
    return cs ? cs->mss : 0;
}

uint32_t afmp_subflow_in_flight(const struct afmp_subflow *sf)
{
    return S(sf)->ssk ? mp_tcp_in_flight(S(sf)->ssk) : 0;
}

uint64_t afmp_subflow_pacing_rate(const struct afmp_subflow *sf)
{
    return S(sf)->ssk ? mp_tcp_pacing_rate(S(sf)->ssk) : 0;
}

uint64_t afmp_subflow_bytes_sent(const struct afmp_subflow *sf)
{
    return S(sf)->bytes_sent;
}

bool afmp_subflow_addrs(const struct afmp_subflow *sf, struct afmp_addr *local,
                        struct afmp_addr *remote)
{
    if (!S(sf)->ssk)
        return false;
    struct mp_endpoint l, r;
    mp_tcp_endpoints(S(sf)->ssk, &l, &r);
    if (local)
        addr_out(&l.ip, l.port, local);
    if (remote)
        addr_out(&r.ip, r.port, remote);
    return true;
}

#define MAX_LOCAL 32

size_t afmp_conn_local_addrs(const struct afmp_conn *c, struct afmp_addr *out, size_t max)
{
    struct mp_ifaddr la[MAX_LOCAL];
    size_t n = mp_host_addrs(M(c)->st->h, la, MAX_LOCAL);
    n = MIN(n, (size_t)MAX_LOCAL);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!mp_mptcp_pm_usable_local(&la[i].ip))
            continue;
        if (k < max && out)
            addr_out(&la[i].ip, 0, &out[k]);
        k++;
    }
    return k;
}

size_t afmp_conn_remotes(const struct afmp_conn *c)
{
    return M(c)->nremotes;
}

bool afmp_conn_remote(const struct afmp_conn *c, size_t i, struct afmp_addr *out, uint8_t *id)
{
    const struct mp_mptcp_sock *msk = M(c);
    if (i >= msk->nremotes)
        return false;
    if (out)
        addr_out(&msk->remotes[i].ep.ip, msk->remotes[i].ep.port, out);
    if (id)
        *id = msk->remotes[i].id;
    return true;
}

bool afmp_conn_first_addrs(const struct afmp_conn *c, struct afmp_addr *local,
                           struct afmp_addr *remote)
{
    struct mp_endpoint l, r;
    if (!mp_mptcp_pm_first_addrs(M(c), &l, &r))
        return false;
    if (local)
        addr_out(&l.ip, l.port, local);
    if (remote)
        addr_out(&r.ip, r.port, remote);
    return true;
}

bool afmp_conn_has_subflow(const struct afmp_conn *c, const struct afmp_addr *local,
                           size_t remote)
{
    const struct mp_mptcp_sock *msk = M(c);
    struct mp_ip l;
    if (!local || !addr_in(local, &l) || remote >= msk->nremotes)
        return false;
    return mp_mptcp_pm_has_subflow(msk, &l, &msk->remotes[remote].ep);
}

int afmp_conn_open_subflow(struct afmp_conn *c, const struct afmp_addr *local, size_t remote,
                           bool backup, uint64_t now)
{
    struct mp_mptcp_sock *msk = M(c);
    struct mp_ip l;
    memset(&l, 0, sizeof(l));
    if (remote >= msk->nremotes || msk->dead || msk->fallback)
        return -EINVAL;
    if (local && !addr_in(local, &l))
        return -EINVAL;
    return mp_mptcp_pm_open(msk, &l, &msk->remotes[remote], backup, (mp_time_t)now);
}

uint32_t afmp_conn_joins_opened(const struct afmp_conn *c)
{
    return M(c)->joins_opened;
}

uint32_t afmp_conn_joins_accepted(const struct afmp_conn *c)
{
    return M(c)->joins_accepted;
}

uint32_t afmp_conn_subflow_limit(const struct afmp_conn *c)
{
    return M(c)->st->o.subflows;
}

uint32_t afmp_conn_add_addr_limit(const struct afmp_conn *c)
{
    return M(c)->st->o.add_addr_accepted;
}

int afmp_conn_announce(struct afmp_conn *c, const struct afmp_addr *a, uint64_t now)
{
    struct mp_mptcp_sock *msk = M(c);
    struct mp_ip ip;
    if (!a || !addr_in(a, &ip) || msk->dead || msk->fallback)
        return -EINVAL;
    return mp_mptcp_pm_announce(msk, mp_mptcp_pm_local_id(msk, &ip), &ip, (mp_time_t)now);
}
