/*
 * afmp-trace: one analysis from inputs to outputs, as `report`, `plot` and
 * `compare` run it. Outputs are written under ".part" names and renamed
 * when complete, so that a failed run leaves no half-written table.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "tools/trace/trace.h"

static bool make_dir(const char *dir, GError **err)
{
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", dir,
                    g_strerror(errno));
        return false;
    }
    return true;
}

static FILE *open_part(const char *dir, const char *name, GError **err)
{
    char *p = g_strdup_printf("%s/%s.part", dir, name);
    FILE *f = fopen(p, "w");
    if (!f)
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", p,
                    g_strerror(errno));
    g_free(p);
    return f;
}

static bool finish_part(FILE *f, const char *dir, const char *name, bool keep, GError **err)
{
    char *p = g_strdup_printf("%s/%s.part", dir, name);
    char *final = g_strdup_printf("%s/%s", dir, name);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (ok && keep && rename(p, final) != 0)
        ok = false;
    if (!ok && err && !*err)
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s", final,
                    g_strerror(errno));
    if (!ok || !keep)
        g_unlink(p);
    g_free(p);
    g_free(final);
    return ok;
}

/* The simulated time a run folder's results.json says the run ended at
 * (its "end_ns"), 0 when there is none: captures fall silent on a dead
 * path, and a stall lasts until the run ended, not until the last packet. */
static int64_t run_end(char **inputs)
{
    int64_t end = 0;
    for (char **p = inputs; *p; p++) {
        if (!g_file_test(*p, G_FILE_TEST_IS_DIR))
            continue;
        char *r = g_build_filename(*p, "results.json", NULL);
        JsonParser *jp = json_parser_new();
        if (json_parser_load_from_file(jp, r, NULL)) {
            JsonNode *root = json_parser_get_root(jp);
            JsonObject *o = JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : NULL;
            if (o && json_object_has_member(o, "end_ns"))
                end = MAX(end, json_object_get_int_member(o, "end_ns"));
        }
        g_object_unref(jp);
        g_free(r);
    }
    return end;
}

struct at_analysis *at_run_analysis(char **inputs, const char *csv_dir, const char *json_path,
                                    GError **err)
{
    struct at_input *in = at_input_open(inputs, err);
    if (!in)
        return NULL;
    struct at_opts o = {.keep_rows = json_path != NULL, .t_end = run_end(inputs)};
    if (csv_dir) {
        if (!make_dir(csv_dir, err))
            goto fail;
        o.segments = open_part(csv_dir, "segments.csv", err);
        if (!o.segments)
            goto fail;
        o.mappings = open_part(csv_dir, "mappings.csv", err);
        if (!o.mappings)
            goto fail;
        at_write_csv_headers(o.segments, o.mappings);
    }
    struct at_analysis *a = at_analyse(in, &o, err);
    at_input_close(in);
    in = NULL;
    bool ok = a != NULL;
    if (o.segments)
        ok = finish_part(o.segments, csv_dir, "segments.csv", ok, ok ? err : NULL) && ok;
    if (o.mappings)
        ok = finish_part(o.mappings, csv_dir, "mappings.csv", ok, ok ? err : NULL) && ok;
    o.segments = o.mappings = NULL;
    if (ok && csv_dir && at_write_csv_tables(a, csv_dir, err) < 0)
        ok = false;
    if (ok && json_path && at_write_json(a, json_path, err) < 0)
        ok = false;
    if (!ok) {
        at_analysis_free(a);
        return NULL;
    }
    return a;
fail:
    if (o.segments)
        finish_part(o.segments, csv_dir, "segments.csv", false, NULL);
    if (o.mappings)
        finish_part(o.mappings, csv_dir, "mappings.csv", false, NULL);
    at_input_close(in);
    return NULL;
}


char *at_run_trace(char **inputs)
{
    for (char **p = inputs; *p; p++) {
        if (!g_file_test(*p, G_FILE_TEST_IS_DIR))
            continue;
        char *t = g_build_filename(*p, "trace.jsonl", NULL);
        if (g_file_test(t, G_FILE_TEST_EXISTS))
            return t;
        g_free(t);
    }
    return NULL;
}
