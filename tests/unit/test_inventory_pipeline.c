/*
 * test_inventory_pipeline.c — the fast paths of a large CSV import give
 * exactly what the plain path gives: the two-thread pipeline (pipeline.c)
 * and the multi-row grant inserts of a first load (batchload.c).  Each test
 * imports the same generated files, with problems planted, into two
 * stores — fast paths on and off — and compares tables, counts and the
 * problem list (lines and messages); then re-imports (nothing changes) and
 * imports a changed file, again on both.  A store failure in the middle of
 * a pipelined import must stop it and leave nothing written.
 */
#include "inv_fixture.h"
#include "inventory/import.h"

#include <stdint.h>
#include <stdlib.h>

static char gen_dir[512];

/* Generated files, once per process. */
static const char *gen(void)
{
    if (!gen_dir[0]) {
        setenv("WARRANT_NOW", "2025-06-01T00:00:00Z", 1);
        snprintf(gen_dir, sizeof gen_dir, "%s", test_tmpdir("pipe-gen"));
        wr_err err = {0};
        if (wr_inventory_generate(gen_dir, 400, 7, NULL, &err)) {
            fprintf(stderr, "generate: %s\n", err.msg);
            exit(2);
        }
    }
    return gen_dir;
}

static char *slurp(const char *kind)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.csv", gen(), kind);
    char *data = NULL;
    size_t len;
    wr_err err = {0};
    if (wr_file_read(path, (size_t)1 << 26, &data, &len, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        exit(2);
    }
    return data;
}

/* The first data line of text (after the header), without its newline. */
static char *first_row(const char *text)
{
    const char *a = strchr(text, '\n') + 1, *b = strchr(a, '\n');
    char *r = malloc((size_t)(b - a) + 1);
    memcpy(r, a, (size_t)(b - a));
    r[b - a] = '\0';
    return r;
}

static long long lines_of(const char *text)
{
    long long n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    return n;
}

typedef struct run {
    wr_store *s;
    wr_import_stats st[8];
    char *problems[8];
} run;

static const char *const kinds[] = {"identities", "systems", "entitlements", "accounts",
                                    "grants", "credentials", "roles"};

/* Imports texts[i] as kinds[i].csv into a fresh store; fast: pipeline from
 * 0 bytes (else never). */
static void load(run *r, const char *tag, char *const *texts, int fast, int rc_grants)
{
    wr_err err = {0};
    CHECK_OK(wr_store_open(test_tmpdir(tag), WR_STORE_CREATE, &r->s, &err));
    inv_pipe_min_bytes = fast ? 0 : SIZE_MAX;
    inv_batch_enabled = fast;
    for (int i = 0; i < 7; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.csv", kinds[i]);
        json_t *p = NULL;
        int rc = wr_inventory_import_buffer(r->s, name, texts[i], strlen(texts[i]), NULL,
                                            &r->st[i], &p, &err);
        CHECK_EQ_INT(rc, i == 4 ? rc_grants : WR_OK);
        r->problems[i] = json_dumps(p, JSON_COMPACT);
        json_decref(p);
    }
    inv_pipe_min_bytes = INV_PIPE_MIN_BYTES;
    inv_batch_enabled = 1;
}

static void run_free(run *r)
{
    for (int i = 0; i < 7; i++)
        free(r->problems[i]);
    wr_store_close(r->s);
}

static void same_runs(run *a, run *b)
{
    for (int i = 0; i < 7; i++) {
        CHECK_EQ_INT(a->st[i].added, b->st[i].added);
        CHECK_EQ_INT(a->st[i].changed, b->st[i].changed);
        CHECK_EQ_INT(a->st[i].unchanged, b->st[i].unchanged);
        CHECK_EQ_INT(a->st[i].rejected, b->st[i].rejected);
        CHECK_EQ_STR(a->problems[i], b->problems[i]);
    }
    char *da = inv_dump(a->s), *db = inv_dump(b->s);
    CHECK_EQ_STR(da, db);
    free(da);
    free(db);
}

/* One grants import into both stores; same outcome. */
static void both(run *a, run *b, const char *text, wr_import_stats *out)
{
    wr_import_stats sa, sb;
    json_t *pa = NULL, *pb = NULL;
    wr_err err = {0};
    inv_pipe_min_bytes = 0;
    CHECK_OK(wr_inventory_import_buffer(a->s, "grants.csv", text, strlen(text), NULL, &sa, &pa,
                                        &err));
    inv_pipe_min_bytes = SIZE_MAX;
    CHECK_OK(wr_inventory_import_buffer(b->s, "grants.csv", text, strlen(text), NULL, &sb, &pb,
                                        &err));
    inv_pipe_min_bytes = INV_PIPE_MIN_BYTES;
    CHECK_EQ_INT(sa.added, sb.added);
    CHECK_EQ_INT(sa.changed, sb.changed);
    CHECK_EQ_INT(sa.unchanged, sb.unchanged);
    CHECK_EQ_INT(sa.rejected, sb.rejected);
    CHECK(json_equal(pa, pb));
    json_decref(pa);
    json_decref(pb);
    char *da = inv_dump(a->s), *db = inv_dump(b->s);
    CHECK_EQ_STR(da, db);
    free(da);
    free(db);
    *out = sa;
}

TEST(test_fast_paths_match_the_plain_path)
{
    char *texts[7];
    for (int i = 0; i < 7; i++)
        texts[i] = slurp(kinds[i]);
    /* plant problems in grants.csv: the first row again right after it
     * (same account run), a bad timestamp, an unknown account, a short
     * record, an unclosed quote is last; the first row once more after
     * other accounts (a run that comes back) */
    char *g = texts[4], *r1 = first_row(g);
    const char *nl = strchr(g, '\n') + 1;
    nl = strchr(nl, '\n') + 1;  /* after the first data row */
    wr_buf b = WR_BUF_INIT;
    CHECK_OK(wr_buf_append(&b, g, (size_t)(nl - g)));
    CHECK_OK(wr_buf_printf(&b, "%s\n", r1));                         /* line 3 */
    CHECK_OK(wr_buf_puts(&b, "payroll:alice.nguyen,payroll:viewer,yesterday,,,,\n")); /* 4 */
    CHECK_OK(wr_buf_puts(&b, "payroll:nobody,payroll:viewer,,,,,\n")); /* 5 */
    CHECK_OK(wr_buf_puts(&b, "payroll:alice.nguyen,payroll:viewer\n")); /* 6 */
    CHECK_OK(wr_buf_puts(&b, nl));
    long long n = lines_of(b.data);
    CHECK_OK(wr_buf_printf(&b, "%s\n", r1));                         /* line n+1 */
    CHECK_OK(wr_buf_puts(&b, "payroll:alice.nguyen,\"payroll:viewer\n"));
    texts[4] = wr_buf_steal(&b);
    free(g);
    /* and in accounts.csv, its first account again at the end */
    char *a1 = first_row(texts[3]);
    long long acc_line = lines_of(texts[3]) + 1;
    CHECK_OK(wr_buf_puts(&b, texts[3]));
    CHECK_OK(wr_buf_printf(&b, "%s\n", a1));
    free(texts[3]);
    texts[3] = wr_buf_steal(&b);

    run a, c;
    memset(&a, 0, sizeof a);
    memset(&c, 0, sizeof c);
    load(&a, "pipe-fast", texts, 1, WR_OK);
    load(&c, "pipe-plain", texts, 0, WR_OK);
    same_runs(&a, &c);
    CHECK_EQ_INT(a.st[4].rejected, 6);
    CHECK_EQ_INT(a.st[3].rejected, 1);
    json_t *pa = inv_json(a.problems[3]);
    char aw[64];
    snprintf(aw, sizeof aw, "accounts.csv:%lld", acc_line);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(pa, 0), "where")), aw);
    CHECK(strstr(json_string_value(json_object_get(json_array_get(pa, 0), "message")),
                 "duplicate id") != NULL);
    json_decref(pa);
    free(a1);
    CHECK(a.st[4].added > 1000);
    json_t *p = inv_json(a.problems[4]);
    const char *want[] = {"grants.csv:3", "grants.csv:4", "grants.csv:5", "grants.csv:6"};
    for (size_t i = 0; i < 4; i++)
        CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(p, i), "where")), want[i]);
    char w[64];
    snprintf(w, sizeof w, "grants.csv:%lld", n + 1);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(p, 4), "where")), w);
    CHECK(strstr(json_string_value(json_object_get(json_array_get(p, 0), "message")),
                 "duplicate grant") != NULL);
    CHECK(strstr(json_string_value(json_object_get(json_array_get(p, 4), "message")),
                 "duplicate grant") != NULL);
    json_decref(p);

    /* --strict through the fast paths: the file's bad rows refuse all of it */
    {
        wr_store *st3 = NULL;
        wr_err err = {0};
        CHECK_OK(wr_store_open(test_tmpdir("pipe-strict"), WR_STORE_CREATE, &st3, &err));
        inv_pipe_min_bytes = 0;
        for (int i = 0; i < 5; i++) {
            char name[64];
            snprintf(name, sizeof name, "%s.csv", kinds[i]);
            wr_import_stats ss;
            int rc = wr_inventory_import_buffer(st3, name, texts[i], strlen(texts[i]),
                                                &(wr_import_opts){.strict = i == 4}, &ss, NULL,
                                                &err);
            CHECK_EQ_INT(rc, i == 4 ? WR_EINVAL : WR_OK);
            if (i == 4) {
                CHECK_EQ_INT(ss.added, 0);
                CHECK_EQ_INT(ss.rejected, 6);
            }
        }
        inv_pipe_min_bytes = INV_PIPE_MIN_BYTES;
        CHECK_EQ_INT(inv_count(st3, "SELECT count(*) FROM grants"), 0);
        /* grants_entitlement and grants_expires are still there */
        CHECK_EQ_INT(inv_index_count(st3, "grants"), 2);
        wr_store_close(st3);
    }

    /* the same file again: nothing changes, on either path */
    wr_import_stats st;
    long long ev = inv_events(a.s);
    both(&a, &c, texts[4], &st);
    CHECK_EQ_INT(st.added, 0);
    CHECK_EQ_INT(st.changed, 0);
    CHECK_EQ_INT(inv_events(a.s), ev);
    /* a changed file: the first grant is certified, exactly one change */
    char *r1c = malloc(strlen(r1) + 32);
    strcpy(r1c, r1);
    CHECK(r1[strlen(r1) - 1] == ',');  /* the first row has no certified_at */
    strcat(r1c, "2025-05-05");
    char *h = malloc(strlen(texts[4]) + 64);
    const char *rest = strchr(strchr(texts[4], '\n') + 1, '\n') + 1;
    sprintf(h, "%.*s%s\n%s", (int)(strchr(texts[4], '\n') + 1 - texts[4]), texts[4], r1c, rest);
    both(&a, &c, h, &st);
    CHECK_EQ_INT(st.changed, 1);
    CHECK_EQ_INT(st.added, 0);
    CHECK_EQ_INT(inv_events(a.s), ev + 1);
    free(h);
    free(r1c);
    run_free(&a);
    run_free(&c);
    free(r1);
    for (int i = 0; i < 7; i++)
        free(texts[i]);
}

TEST(test_pipeline_store_failure_rolls_back)
{
    char *texts[7];
    for (int i = 0; i < 7; i++)
        texts[i] = slurp(kinds[i]);
    run a;
    memset(&a, 0, sizeof a);
    /* a trigger fails the insert of one grant near the end of the file,
     * when the reader thread is far ahead */
    wr_err err = {0};
    CHECK_OK(wr_store_open(test_tmpdir("pipe-fail"), WR_STORE_CREATE, &a.s, &err));
    CHECK_OK(wr_store_exec(a.s, "CREATE TABLE boom(n INTEGER)", &err));
    CHECK_OK(wr_store_exec(a.s, "CREATE TRIGGER boom_grant BEFORE INSERT ON grants "
                           "WHEN (SELECT count(*) FROM boom) = 0 AND "
                           "NEW.account_rid = (SELECT max(rid) FROM accounts) "
                           "BEGIN SELECT RAISE(ABORT, 'boom'); END", &err));
    inv_pipe_min_bytes = 0;
    for (int i = 0; i < 7; i++) {
        char name[64];
        snprintf(name, sizeof name, "%s.csv", kinds[i]);
        char *before = i == 4 ? inv_dump(a.s) : NULL;
        long long ev = inv_events(a.s);
        int rc = wr_inventory_import_buffer(a.s, name, texts[i], strlen(texts[i]), NULL,
                                            &a.st[i], NULL, &err);
        if (i != 4) {
            CHECK_OK(rc);
            continue;
        }
        CHECK(rc != WR_OK);
        CHECK(strstr(err.msg, "grants.csv:") != NULL);
        CHECK(strstr(err.msg, "boom") != NULL);
        char *after = inv_dump(a.s);
        CHECK_EQ_STR(after, before);
        CHECK_EQ_INT(inv_events(a.s), ev);
        free(after);
        free(before);
    }
    /* the store is usable afterwards: the same file goes in once allowed */
    CHECK_OK(wr_store_exec(a.s, "INSERT INTO boom VALUES(1)", &err));
    wr_import_stats st;
    CHECK_OK(wr_inventory_import_buffer(a.s, "grants.csv", texts[4], strlen(texts[4]), NULL, &st,
                                        NULL, &err));
    CHECK(st.added > 1000);
    inv_pipe_min_bytes = INV_PIPE_MIN_BYTES;
    wr_store_close(a.s);
    for (int i = 0; i < 7; i++)
        free(texts[i]);
}

/* Grants of a first load in multi-row batches: a pair repeated within an
 * account's run, after the run's RUN_MAX (64) entitlements, and in a run
 * that comes back are each reported at their own line, and the tables are
 * those of the one-row path. */
TEST(test_grant_batches_report_repeats_at_their_line)
{
    wr_buf ents = WR_BUF_INIT, accs = WR_BUF_INIT, g = WR_BUF_INIT;
    CHECK_OK(wr_buf_puts(&ents, "id,privilege\n"));
    for (int e = 0; e < 70; e++)
        CHECK_OK(wr_buf_printf(&ents, "s:e%d,low\n", e));
    CHECK_OK(wr_buf_puts(&accs, "id\n"));
    for (int a = 0; a < 200; a++)
        CHECK_OK(wr_buf_printf(&accs, "s:a%d\n", a));
    CHECK_OK(wr_buf_puts(&g, "account,entitlement,granted_by\n"));
    long long line = 1, want[4];
    for (int e = 0; e < 70; e++, line++)  /* a run longer than 64 */
        CHECK_OK(wr_buf_printf(&g, "s:a0,s:e%d,x%d\n", e, e));
    CHECK_OK(wr_buf_puts(&g, "s:a0,s:e66,again\n"));  /* after the 64th: one-row path */
    want[0] = ++line;
    for (int a = 1; a < 150; a++)
        for (int e = 0; e < 3; e++, line++)
            CHECK_OK(wr_buf_printf(&g, "s:a%d,s:e%d,\n", a, (a + e) % 70));
    CHECK_OK(wr_buf_puts(&g, "s:a149,s:e150,\n"));  /* unknown entitlement */
    line++;
    CHECK_OK(wr_buf_puts(&g, "s:a149,s:e20,\n"));  /* its run is e9, e10, e11: new */
    line++;
    CHECK_OK(wr_buf_puts(&g, "s:a149,s:e10,dup\n"));  /* e10 = (149+1)%70: repeat in the run */
    want[1] = ++line;
    CHECK_OK(wr_buf_puts(&g, "s:a7,s:e9,dup\n"));  /* a7 comes back: (7+2)%70 = e9 */
    want[2] = ++line;
    CHECK_OK(wr_buf_puts(&g, "s:a7,s:e60,new\n"));  /* a7 comes back with a new pair */
    line++;
    CHECK_OK(wr_buf_puts(&g, "s:a0,s:e3,dup\n"));  /* a0 comes back: repeat */
    want[3] = ++line;
    for (int a = 150; a < 200; a++, line++)  /* a partial batch at the end */
        CHECK_OK(wr_buf_printf(&g, "s:a%d,s:e1,\n", a));
    const char *texts[2][4] = {
        {"systems.csv", "entitlements.csv", "accounts.csv", "grants.csv"},
        {"id\ns\n", ents.data, accs.data, g.data}};
    char *dump[2], *problems[2];
    wr_import_stats st[2];
    for (int fast = 0; fast < 2; fast++) {
        wr_store *s = NULL;
        wr_err err = {0};
        CHECK_OK(wr_store_open(test_tmpdir(fast ? "gl-fast" : "gl-plain"), WR_STORE_CREATE, &s,
                               &err));
        inv_batch_enabled = fast;
        json_t *p = NULL;
        for (int i = 0; i < 4; i++) {
            json_decref(p);
            p = NULL;
            CHECK_OK(wr_inventory_import_buffer(s, texts[0][i], texts[1][i], strlen(texts[1][i]),
                                                NULL, &st[fast], &p, &err));
        }
        inv_batch_enabled = 1;
        problems[fast] = json_dumps(p, JSON_COMPACT);
        CHECK_EQ_INT(json_array_size(p), 5);
        for (int i = 0, j = 0; i < 5; i++) {
            const char *msg = json_string_value(json_object_get(json_array_get(p, i), "message"));
            if (strstr(msg, "unknown"))
                continue;
            char w[64];
            snprintf(w, sizeof w, "grants.csv:%lld", want[j++]);
            CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(p, i), "where")), w);
            CHECK(strstr(msg, "duplicate grant") != NULL);
        }
        json_decref(p);
        dump[fast] = inv_dump(s);
        /* the first line of a repeated pair is the one kept */
        wr_stmt *q;
        CHECK_OK(wr_stmt_prepare(s, "SELECT granted_by FROM grants WHERE entitlement_rid="
                                 "(SELECT rid FROM entitlements WHERE id='s:e66') AND "
                                 "account_rid=(SELECT rid FROM accounts WHERE id='s:a0')", &q, &err));
        CHECK_EQ_INT(wr_stmt_step(q, &err), 1);
        CHECK_EQ_STR(wr_stmt_text(q, 0), "x66");
        wr_stmt_done(q);
        wr_store_close(s);
    }
    CHECK_EQ_INT(st[1].added, st[0].added);
    CHECK_EQ_INT(st[1].added, 70 + 149 * 3 + 2 + 50);
    CHECK_EQ_STR(problems[1], problems[0]);
    CHECK_EQ_STR(dump[1], dump[0]);
    for (int i = 0; i < 2; i++) {
        free(dump[i]);
        free(problems[i]);
    }
    wr_buf_free(&ents);
    wr_buf_free(&accs);
    wr_buf_free(&g);
}

/* A first load of accounts checks ids in the accounts map; when the map
 * reaches its cap mid-file, the queued rows are written, the unique index
 * comes back and rejects repeats from then on — each still at its line. */
TEST(test_account_map_over_its_cap_hands_over_to_the_index)
{
    wr_buf accs = WR_BUF_INIT;
    CHECK_OK(wr_buf_puts(&accs, "id,status\n"));
    for (int a = 0; a < 20000; a++) {  /* account a on line a + 2, + 3 after line 103 */
        CHECK_OK(wr_buf_printf(&accs, "s:u%05d,active\n", a));
        if (a == 100 || a == 19000)  /* a repeat before and after the cap */
            CHECK_OK(wr_buf_printf(&accs, "s:u%05d,disabled\n", a - 50));
    }
    wr_store *s = NULL;
    wr_err err = {0};
    CHECK_OK(wr_store_open(test_tmpdir("map-cap"), WR_STORE_CREATE, &s, &err));
    CHECK_OK(wr_inventory_import_buffer(s, "systems.csv", "id\ns\n", 5, NULL, NULL, NULL, &err));
    /* 1 MiB: the map's slots outgrow it at 16384 ids */
    inv_refmap_max_bytes = (size_t)1 << 20;
    inv_pipe_min_bytes = 0;
    wr_import_stats st;
    json_t *p = NULL;
    CHECK_OK(wr_inventory_import_buffer(s, "accounts.csv", accs.data, accs.len, NULL, &st, &p,
                                        &err));
    inv_refmap_max_bytes = INV_REFMAP_MAX_BYTES;
    inv_pipe_min_bytes = INV_PIPE_MIN_BYTES;
    CHECK_EQ_INT(st.added, 20000);
    CHECK_EQ_INT(st.rejected, 2);
    for (size_t i = 0; i < 2; i++)
        CHECK(strstr(json_string_value(json_object_get(json_array_get(p, i), "message")),
                     "duplicate id") != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(p, 0), "where")),
                 "accounts.csv:103");
    CHECK_EQ_STR(json_string_value(json_object_get(json_array_get(p, 1), "where")),
                 "accounts.csv:19004");
    json_decref(p);
    /* the first of each pair was kept, rids follow the file, and the
     * schema and the data are whole */
    CHECK_EQ_INT(inv_count(s, "SELECT count(*) FROM accounts WHERE status='disabled'"), 0);
    CHECK_EQ_INT(inv_count(s, "SELECT max(rid) = 20000 AND min(rid) = 1 FROM accounts"), 1);
    CHECK_EQ_INT(inv_count(s, "SELECT rid FROM accounts WHERE id='s:u18950'"), 18951);
    CHECK_EQ_INT(inv_index_count(s, "accounts"), 4);
    CHECK_EQ_INT(inv_integrity_errors(s), 0);
    CHECK(wr_store_exec(s, "INSERT INTO accounts(id, system_rid, login) VALUES('s:u00007', 1, 'x')",
                        &err) != WR_OK);
    wr_store_close(s);
    wr_buf_free(&accs);
}

RUN_TESTS(T(test_fast_paths_match_the_plain_path), T(test_pipeline_store_failure_rolls_back),
          T(test_grant_batches_report_repeats_at_their_line),
          T(test_account_map_over_its_cap_hands_over_to_the_index))
