/*
 * cmd_policy.c — `warrant policy check` and `warrant policy test`.
 *
 *   warrant policy check FILE... [--schema S.cedarschema]
 *     Parses every policy file (and validates against the schema when
 *     given).  Errors are printed as "file:line:col: message"; exit
 *     non-zero on any error; on success prints "N policies OK".
 *
 *   warrant policy test DIR
 *     Runs the test cases that live beside a policy set.  Layout of DIR:
 *       *.cedar            the policies (all files, in name order, one set)
 *       entities.json      optional entity store (Cedar entity JSON)
 *       *.cedarschema      optional schema (the first in name order); when
 *                          present, policies are validated against it and
 *                          entities/context are interpreted with it
 *       tests/<name>.json  test files, and also any DIR/<name>_test.json
 *     Each test file is a JSON object:
 *       {"requests": [
 *          {"description": "optional text",
 *           "principal": {"type": "User", "id": "alice"},
 *           "action":    {"type": "Action", "id": "view"},
 *           "resource":  {"type": "Photo", "id": "p1"},
 *           "context":   {...},                  (optional)
 *           "decision":  "allow" | "deny",
 *           "reason":    ["policy ids"],          (optional; compared as a set)
 *           "errors":    ["policy ids"]}          (optional; compared as a set)
 *       ]}
 *     Prints one "PASS"/"FAIL" line per case and "N passed, N failed";
 *     exits non-zero when any case fails or a file cannot be loaded.
 */
#include "cedar_cli.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char cmd_policy_summary[] = "check Cedar policy files; run policy test cases";

static const char usage[] =
    "usage: warrant policy check FILE... [--schema S.cedarschema]\n"
    "       warrant policy test DIR\n";

#define MAX_FILES 1024

static int policy_check(int argc, char **argv)
{
    const char *sch = NULL;
    cli_opt opts[] = {{"schema", 1, &sch, NULL}, {NULL, 0, NULL, NULL}};
    const char *files[MAX_FILES];
    int nf;
    int rc = cli_parse(argc, argv, opts, files, MAX_FILES, &nf);
    if (rc)
        return rc;
    if (!nf)
        return cli_usage_error("policy check", "no policy files given");
    wr_err err = {0};
    wr_schema *schema = NULL;
    if (sch && cedar_load_schema(sch, &schema, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return wr_status_exit(err.code);
    }
    int bad = 0;
    wr_policy_set *all = NULL;
    /* each file on its own first, so every broken file is reported */
    for (int i = 0; i < nf; i++) {
        wr_policy_set *one = NULL;
        const char *p[1] = {files[i]};
        if (cedar_load_policies(p, 1, &one, &err)) {
            fprintf(stderr, "%s\n", err.msg);
            bad = err.code;
        }
        wr_policy_set_free(one);
    }
    if (!bad && cedar_load_policies(files, (size_t)nf, &all, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        bad = err.code;
    }
    if (!bad && schema && wr_policy_set_validate(all, schema, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        bad = err.code;
    }
    if (!bad)
        printf("%zu policies OK\n", wr_policy_set_count(all));
    wr_policy_set_free(all);
    wr_schema_free(schema);
    return bad ? wr_status_exit(bad) : 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Sorted paths "dir/name" of entries ending in suffix; caller frees. */
static size_t list_dir(const char *dir, const char *suffix, char **out, size_t max)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    if (!d)
        return 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.' || !ends_with(e->d_name, suffix))
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = malloc(len);
        if (!p)
            break;
        snprintf(p, len, "%s/%s", dir, e->d_name);
        out[n++] = p;
    }
    closedir(d);
    qsort(out, n, sizeof *out, cmp_str);
    return n;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

/* Compares a JSON array of ids with the response ids as sets. */
static bool same_ids(const json_t *want, const char *const *got, size_t n)
{
    if (!want)
        return true;
    if (!json_is_array(want))
        return false;
    for (size_t i = 0; i < json_array_size(want); i++) {
        const char *w = json_string_value(json_array_get(want, i));
        size_t k = 0;
        while (k < n && (!w || strcmp(w, got[k]) != 0))
            k++;
        if (k == n)
            return false;
    }
    for (size_t k = 0; k < n; k++) {
        size_t i = 0;
        while (i < json_array_size(want) &&
               strcmp(json_string_value(json_array_get(want, i)) ? json_string_value(json_array_get(want, i)) : "", got[k]) != 0)
            i++;
        if (i == json_array_size(want))
            return false;
    }
    return true;
}

static void run_file(const char *path, wr_authz *az, const wr_policy_set *ps,
                     const wr_entities *ents, const wr_schema *schema, int *pass, int *fail)
{
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    const json_t *reqs = json_object_get(doc, "requests");
    if (!doc || !json_is_array(reqs)) {
        printf("FAIL %s: %s\n", path, doc ? "no \"requests\" array" : je.text);
        (*fail)++;
        json_decref(doc);
        return;
    }
    for (size_t i = 0; i < json_array_size(reqs); i++) {
        const json_t *r = json_array_get(reqs, i);
        const char *desc = json_string_value(json_object_get(r, "description"));
        const char *want = json_string_value(json_object_get(r, "decision"));
        char label[600];
        snprintf(label, sizeof label, "%s#%zu%s%s", path, i, desc ? " " : "", desc ? desc : "");
        wr_err err = {0};
        wr_request req;
        wr_response resp;
        if (!want || (strcmp(want, "allow") && strcmp(want, "deny"))) {
            printf("FAIL %s: \"decision\" must be \"allow\" or \"deny\"\n", label);
            (*fail)++;
            continue;
        }
        if (cedar_request_from_json(r, &req, &err) ||
            (req.schema = schema, wr_authorize(az, ps, ents, &req, &resp, &err))) {
            printf("FAIL %s: %s\n", label, err.msg);
            (*fail)++;
            continue;
        }
        const char *got = resp.allow ? "allow" : "deny";
        bool ok = strcmp(got, want) == 0 &&
                  same_ids(json_object_get(r, "reason"), resp.reason, resp.nreason) &&
                  same_ids(json_object_get(r, "errors"), resp.error, resp.nerror);
        if (ok) {
            printf("PASS %s\n", label);
            (*pass)++;
        } else {
            json_t *g = cedar_response_json(&resp);
            char *gs = json_dumps(g, JSON_COMPACT);
            printf("FAIL %s: want %s, got %s\n", label, want, gs ? gs : got);
            free(gs);
            json_decref(g);
            (*fail)++;
        }
    }
    json_decref(doc);
}

static int policy_test(int argc, char **argv)
{
    cli_opt opts[] = {{NULL, 0, NULL, NULL}};
    const char *pos[1];
    int np;
    int rc = cli_parse(argc, argv, opts, pos, 1, &np);
    if (rc)
        return rc;
    if (np != 1)
        return cli_usage_error("policy test", "expected one directory");
    const char *dir = pos[0];
    char *pols[MAX_FILES], *schs[16], *tests[MAX_FILES], *tests2[MAX_FILES];
    size_t npol = list_dir(dir, ".cedar", pols, MAX_FILES);
    size_t nsch = list_dir(dir, ".cedarschema", schs, 16);
    size_t nt2 = list_dir(dir, "_test.json", tests2, MAX_FILES);
    char tdir[4096];
    snprintf(tdir, sizeof tdir, "%s/tests", dir);
    size_t nt = list_dir(tdir, ".json", tests, MAX_FILES);
    wr_err err = {0};
    wr_schema *schema = NULL;
    wr_policy_set *ps = NULL;
    wr_entities *ents = NULL;
    wr_authz *az = NULL;
    int pass = 0, fail = 0, code = 0;
    char entp[4200];
    snprintf(entp, sizeof entp, "%s/entities.json", dir);
    FILE *ef = fopen(entp, "r");
    if (ef)
        fclose(ef);
    if (!npol) {
        fprintf(stderr, "warrant policy test: no .cedar files in %s\n", dir);
        code = 2;
    } else if ((nsch && cedar_load_schema(schs[0], &schema, &err)) ||
               cedar_load_policies((const char *const *)pols, npol, &ps, &err) ||
               (schema && wr_policy_set_validate(ps, schema, &err)) ||
               (ef ? cedar_load_entities(entp, schema, &ents, &err)
                   : wr_entities_parse("[]", 2, schema, &ents, &err)) ||
               wr_authz_new(&az)) {
        fprintf(stderr, "%s\n", err.msg[0] ? err.msg : "out of memory");
        code = wr_status_exit(err.code ? err.code : WR_ENOMEM);
    } else if (!nt && !nt2) {
        fprintf(stderr, "warrant policy test: no test files (tests/<name>.json or <name>_test.json) in %s\n", dir);
        code = 2;
    } else {
        for (size_t i = 0; i < nt; i++)
            run_file(tests[i], az, ps, ents, schema, &pass, &fail);
        for (size_t i = 0; i < nt2; i++)
            run_file(tests2[i], az, ps, ents, schema, &pass, &fail);
        printf("%d passed, %d failed\n", pass, fail);
        code = fail ? 1 : 0;
    }
    wr_authz_free(az);
    wr_entities_free(ents);
    wr_policy_set_free(ps);
    wr_schema_free(schema);
    free_list(pols, npol);
    free_list(schs, nsch);
    free_list(tests, nt);
    free_list(tests2, nt2);
    return code;
}

int cmd_policy(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli, usage))
        return 0;
    if (argc < 2)
        return cli_usage_error("policy", "expected 'check' or 'test'");
    if (strcmp(argv[1], "check") == 0)
        return policy_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "test") == 0)
        return policy_test(argc - 1, argv + 1);
    return cli_usage_error("policy", "unknown subcommand '%s'", argv[1]);
}
