/* Trace records: JSON validity (json-glib parses every line), escaping,
 * truncation that still yields valid JSON, and zero cost when off. */
#include <glib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "model/trace.h"

struct cap {
    GString *s;
    int n;
};

static void cap_write(void *ctx, const char *line, size_t len)
{
    struct cap *c = ctx;
    g_string_append_len(c->s, line, (gssize)len);
    c->n++;
}

static const struct mp_env_ops cap_ops = {.trace_write = cap_write};

static JsonObject *parse(const char *s, JsonParser *p)
{
    GError *err = NULL;
    g_assert_true(json_parser_load_from_data(p, s, -1, &err));
    g_assert_no_error(err);
    return json_node_get_object(json_parser_get_root(p));
}

static void test_fields(void)
{
    struct cap c = {g_string_new(NULL), 0};
    struct mp_env env = {&cap_ops, &c, 0, MP_TRACE_ALL, NULL};
    struct mp_trace_rec r;
    struct mp_ip ip = {4, {10, 0, 0, 1}};
    mp_trace_begin(&r, 1500, "cli\"ent", "tcp.cwnd");
    mp_trace_u64(&r, "cwnd", UINT64_MAX);
    mp_trace_i64(&r, "delta", -5);
    mp_trace_bool(&r, "sack", true);
    mp_trace_str(&r, "why", "a\\b\n");
    mp_trace_ip(&r, "src", &ip);
    mp_trace_end(&r, &env);
    g_assert_cmpint(c.n, ==, 1);
    JsonParser *p = json_parser_new();
    JsonObject *o = parse(c.s->str, p);
    g_assert_cmpint(json_object_get_int_member(o, "t"), ==, 1500);
    g_assert_cmpstr(json_object_get_string_member(o, "node"), ==, "cli\"ent");
    g_assert_cmpstr(json_object_get_string_member(o, "ev"), ==, "tcp.cwnd");
    g_assert_cmpint(json_object_get_int_member(o, "delta"), ==, -5);
    g_assert_true(json_object_get_boolean_member(o, "sack"));
    g_assert_cmpstr(json_object_get_string_member(o, "why"), ==, "a\\b\n");
    g_assert_cmpstr(json_object_get_string_member(o, "src"), ==, "10.0.0.1");
    g_assert_false(json_object_has_member(o, "truncated"));
    g_object_unref(p);
    g_string_free(c.s, TRUE);
}

static void test_truncation_valid(void)
{
    struct cap c = {g_string_new(NULL), 0};
    struct mp_env env = {&cap_ops, &c, 0, MP_TRACE_ALL, NULL};
    struct mp_trace_rec r;
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    mp_trace_begin(&r, 1, "n", "big");
    for (int i = 0; i < 10; i++)
        mp_trace_str(&r, "k", big);
    mp_trace_u64(&r, "last", 7);
    mp_trace_end(&r, &env);
    g_assert_cmpuint(c.s->len, <=, MP_TRACE_REC_MAX);
    JsonParser *p = json_parser_new();
    JsonObject *o = parse(c.s->str, p);
    g_assert_true(json_object_get_boolean_member(o, "truncated"));
    g_object_unref(p);
    g_string_free(c.s, TRUE);
}

static void test_mask(void)
{
    struct mp_env env = {&cap_ops, NULL, 0, MP_TRACE_TCP, NULL};
    g_assert_true(mp_env_tracing(&env, MP_TRACE_TCP));
    g_assert_false(mp_env_tracing(&env, MP_TRACE_MPTCP));
    env.trace_mask = 0;
    g_assert_false(mp_env_tracing(&env, MP_TRACE_TCP));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/trace/fields", test_fields);
    g_test_add_func("/trace/truncation-valid", test_truncation_valid);
    g_test_add_func("/trace/mask", test_mask);
    return g_test_run();
}
