/* afmp: results.json (see results.h). */
#include "sim/results.h"

#include <json-glib/json-glib.h>

#include "afmp/stack.h"
#include "model/net/counters.h"

static void add_u64(JsonBuilder *jb, const char *key, uint64_t v)
{
    json_builder_set_member_name(jb, key);
    json_builder_add_int_value(jb, (gint64)v);
}

static void add_str(JsonBuilder *jb, const char *key, const char *v)
{
    json_builder_set_member_name(jb, key);
    json_builder_add_string_value(jb, v);
}

static void node_json(JsonBuilder *jb, struct mp_node *n)
{
    struct mp_host *h = mp_node_host(n);
    json_builder_begin_object(jb);
    add_str(jb, "name", mp_node_name(n));
    add_str(jb, "kind", h->opts.forward ? "router" : "host");
    json_builder_set_member_name(jb, "counters");
    json_builder_begin_object(jb);
    for (int i = 0; i < MP_CTR__COUNT; i++)
        if (h->ctr.v[i])
            add_u64(jb, mp_ctr_name((enum mp_ctr)i), h->ctr.v[i]);
    json_builder_end_object(jb);
    json_builder_set_member_name(jb, "interfaces");
    json_builder_begin_array(jb);
    for (guint i = 0; i < h->ifaces->len; i++) {
        struct mp_iface *ifc = g_ptr_array_index(h->ifaces, i);
        json_builder_begin_object(jb);
        add_str(jb, "name", ifc->name);
        json_builder_set_member_name(jb, "addrs");
        json_builder_begin_array(jb);
        for (guint j = 0; j < ifc->addrs->len; j++) {
            struct mp_ifaddr *a = &g_array_index(ifc->addrs, struct mp_ifaddr, j);
            char ip[MP_IP_STRLEN];
            char *s = g_strdup_printf("%s/%u", mp_ip_str(&a->ip, ip), a->plen);
            json_builder_add_string_value(jb, s);
            g_free(s);
        }
        json_builder_end_array(jb);
        add_u64(jb, "rx_packets", ifc->stats.rx_packets);
        add_u64(jb, "rx_bytes", ifc->stats.rx_bytes);
        add_u64(jb, "tx_packets", ifc->stats.tx_packets);
        add_u64(jb, "tx_bytes", ifc->stats.tx_bytes);
        add_u64(jb, "tx_dropped", ifc->stats.tx_dropped);
        json_builder_end_object(jb);
    }
    json_builder_end_array(jb);
    json_builder_end_object(jb);
}

static void link_json(JsonBuilder *jb, const struct mp_scn_link *sl, const struct mp_scenario *scn,
                      struct mp_link *l)
{
    json_builder_begin_object(jb);
    add_str(jb, "name", sl->name);
    json_builder_set_member_name(jb, "directions");
    json_builder_begin_array(jb);
    for (int d = 0; d < 2; d++) {
        const struct mp_link_stats *st = mp_link_stats(l, d);
        const struct mp_scn_node *from = &scn->nodes[sl->node[d]];
        char *fname = g_strdup_printf("%s.%s", from->name, from->ifaces[sl->iface[d]].name);
        json_builder_begin_object(jb);
        add_str(jb, "from", fname);
        g_free(fname);
        add_u64(jb, "sent_packets", st->sent_pkts);
        add_u64(jb, "sent_bytes", st->sent_bytes);
        add_u64(jb, "delivered_packets", st->delivered_pkts);
        add_u64(jb, "delivered_bytes", st->delivered_bytes);
        json_builder_set_member_name(jb, "dropped");
        json_builder_begin_object(jb);
        for (int r = 0; r < MP_LINK_DROP__COUNT; r++)
            add_u64(jb, mp_link_drop_name((enum mp_link_drop)r), st->dropped[r]);
        json_builder_end_object(jb);
        add_u64(jb, "corrupted", st->corrupted);
        add_u64(jb, "duplicated", st->duplicated);
        add_u64(jb, "reordered", st->reordered);
        add_u64(jb, "stripped", st->stripped);
        add_u64(jb, "rewritten", st->rewritten);
        add_u64(jb, "translated", st->translated);
        json_builder_end_object(jb);
    }
    json_builder_end_array(jb);
    json_builder_end_object(jb);
}

static const char *state_name(enum mp_proc_state s)
{
    switch (s) {
    case MP_PROC_NEW: return "not started";
    case MP_PROC_EXITED: return "exited";
    case MP_PROC_KILLED: return "killed";
    default: return "running";
    }
}

static void app_json(JsonBuilder *jb, struct mp_build *b, size_t i)
{
    const struct mp_scn_app *sa = &b->scn->apps[i];
    struct mp_build_app *a = &b->apps[i];
    json_builder_begin_object(jb);
    add_str(jb, "name", sa->name);
    add_str(jb, "host", b->scn->nodes[sa->host].name);
    json_builder_set_member_name(jb, "argv");
    json_builder_begin_array(jb);
    for (int k = 0; k < sa->argc; k++)
        json_builder_add_string_value(jb, sa->argv[k]);
    json_builder_end_array(jb);
    enum mp_proc_state st = a->proc ? mp_proc_state(a->proc) : MP_PROC_NEW;
    add_str(jb, "state", state_name(st));
    if (st == MP_PROC_EXITED || st == MP_PROC_KILLED) {
        json_builder_set_member_name(jb, "status");
        json_builder_add_int_value(jb, mp_proc_exit_status(a->proc));
        add_u64(jb, "end_ns", mp_proc_end_time(a->proc));
    }
    add_u64(jb, "start_ns", sa->start);
    json_builder_set_member_name(jb, "results");
    json_builder_begin_object(jb);
    const GPtrArray *r = a->proc ? afmp_stack_results(mp_node_host(a->node), mp_proc_pid(a->proc)) : NULL;
    for (guint k = 0; r && k < r->len; k++) {
        const struct afmp_result *e = g_ptr_array_index(r, k);
        json_builder_set_member_name(jb, e->key);
        json_builder_add_int_value(jb, e->value);
    }
    json_builder_end_object(jb);
    json_builder_end_object(jb);
}

char *mp_results_json(struct mp_build *b, const GArray *verdicts)
{
    const struct mp_scenario *scn = b->scn;
    JsonBuilder *jb = json_builder_new();
    json_builder_begin_object(jb);
    add_str(jb, "scenario", scn->name);
    add_u64(jb, "seed", scn->seed);
    add_u64(jb, "duration_ns", scn->duration);
    add_u64(jb, "end_ns", mp_engine_now(mp_world_engine(b->w)));
    add_u64(jb, "scenario_events", b->events_applied);
    json_builder_set_member_name(jb, "nodes");
    json_builder_begin_array(jb);
    for (size_t i = 0; i < scn->n_nodes; i++)
        node_json(jb, b->nodes[i]);
    json_builder_end_array(jb);
    json_builder_set_member_name(jb, "links");
    json_builder_begin_array(jb);
    for (size_t i = 0; i < scn->n_links; i++)
        link_json(jb, &scn->links[i], scn, b->links[i]);
    json_builder_end_array(jb);
    json_builder_set_member_name(jb, "apps");
    json_builder_begin_array(jb);
    for (size_t i = 0; i < scn->n_apps; i++)
        app_json(jb, b, i);
    json_builder_end_array(jb);
    if (b->ns_proc) {
        /* The name server's own figures (queries, answers by type). */
        json_builder_set_member_name(jb, "nameserver");
        json_builder_begin_object(jb);
        const GPtrArray *r = afmp_stack_results(mp_node_host(b->ns_node), mp_proc_pid(b->ns_proc));
        for (guint k = 0; r && k < r->len; k++) {
            const struct afmp_result *e = g_ptr_array_index(r, k);
            json_builder_set_member_name(jb, e->key);
            json_builder_add_int_value(jb, e->value);
        }
        json_builder_end_object(jb);
    }
    json_builder_set_member_name(jb, "expectations");
    json_builder_begin_array(jb);
    for (guint i = 0; verdicts && i < verdicts->len; i++) {
        const struct mp_verdict *v = &g_array_index(verdicts, struct mp_verdict, i);
        json_builder_begin_object(jb);
        add_str(jb, "name", v->name);
        add_str(jb, "text", v->text);
        json_builder_set_member_name(jb, "ok");
        json_builder_add_boolean_value(jb, v->ok);
        add_str(jb, "measured", v->measured);
        add_str(jb, "expected", v->expected);
        json_builder_end_object(jb);
    }
    json_builder_end_array(jb);
    add_str(jb, "verdict", verdicts && mp_verdicts_failed(verdicts) ? "fail" : "pass");
    json_builder_end_object(jb);

    JsonGenerator *gen = json_generator_new();
    JsonNode *root = json_builder_get_root(jb);
    json_generator_set_root(gen, root);
    json_generator_set_pretty(gen, TRUE);
    json_generator_set_indent(gen, 2);
    char *text = json_generator_to_data(gen, NULL);
    json_node_unref(root);
    g_object_unref(gen);
    g_object_unref(jb);
    char *with_nl = g_strconcat(text, "\n", NULL);
    g_free(text);
    return with_nl;
}
