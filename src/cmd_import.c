/*
 * cmd_import.c — `warrant import`: merges CSV, JSON or SCIM files into the
 * inventory, one transaction per file, and says what changed.
 */
#include "cli.h"
#include "warrant/inventory.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

const char cmd_import_summary[] = "import identities, accounts, grants... from CSV, JSON or SCIM";

#define MAX_FILES 256

/* Files named after a kind go in dependency order (identities before the
 * accounts that name them), so a whole directory can be given in glob order. */
static int kind_rank(const char *path)
{
    static const char *const order[] = {"identities", "systems", "entitlements", "accounts",
                                        "grants", "credentials", "roles"};
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (int i = 0; i < 7; i++)
        if (strncmp(base, order[i], strlen(order[i])) == 0)
            return i;
    return 0;
}

static void order_files(const char **files, int n)
{
    for (int i = 1; i < n; i++) {
        const char *f = files[i];
        int j = i;
        while (j > 0 && kind_rank(files[j - 1]) > kind_rank(f)) {
            files[j] = files[j - 1];
            j--;
        }
        files[j] = f;
    }
}

/* A progress bar on a terminal: redrawn at most a few times a second. */
static void progress(void *ctx, uint64_t done, uint64_t total)
{
    const char *name = ctx;
    static struct timespec last;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (done < total && now.tv_sec == last.tv_sec && now.tv_nsec - last.tv_nsec < 200000000L)
        return;
    last = now;
    int pct = total ? (int)(done * 100 / total) : 100, bar = pct / 5;
    fprintf(stderr, "\r%-30.30s [%.*s%*s] %3d%%", name, bar, "####################", 20 - bar, "",
            pct);
    if (done >= total)
        fputc('\n', stderr);
    fflush(stderr);
}

int cmd_import(int argc, char **argv, wr_cli *cli)
{
    if (cli_help(cli,
        "usage: warrant import FILE... [--format csv|json|scim]\n"
        "         [--kind identities|systems|accounts|entitlements|grants|credentials|roles]\n"
        "         [--strict] [--source NAME [--full]] [--system S] [--json]\n"
        "Merges each FILE into the inventory in one transaction.  Re-importing a file\n"
        "changes nothing; a changed file yields exactly its differences (recorded in\n"
        "inventory_events).  Rows that cannot be imported are reported as file:line\n"
        "(JSON: file: path) and skipped; --strict refuses the whole file instead.\n"
        "--full: FILE is the complete state of --source: its objects missing from FILE\n"
        "are removed (identities terminated, accounts disabled, the rest deleted).\n"
        "--system S: SCIM Groups become entitlements of system S.\n"
        "A file of 16 MiB or more going into an empty table, with no other process\n"
        "using the data directory, is loaded in bulk mode: other commands started\n"
        "meanwhile wait for it (up to 10 s, then they fail saying so).\n"))
        return 0;
    const char *format = NULL, *kind = NULL, *strict = NULL, *source = NULL, *full = NULL,
               *sys = NULL, *files[MAX_FILES];
    const cli_opt opts[] = {{"format", 1, &format, NULL}, {"kind", 1, &kind, NULL}, {"strict", 0, &strict, NULL},
                            {"source", 1, &source, NULL}, {"full", 0, &full, NULL}, {"system", 1, &sys, NULL}, {0}};
    int nfiles;
    if (cli_parse(argc, argv, opts, files, MAX_FILES, &nfiles))
        return 2;
    if (!nfiles)
        return cli_usage_error(argv[0], "no file to import");
    if (full && !source)
        return cli_usage_error(argv[0], "--full needs --source NAME");
    if (!kind)
        order_files(files, nfiles);
    wr_err err = {0};
    wr_store *s;
    if (wr_store_open(cli->data_dir, WR_STORE_CREATE, &s, &err))
        return cli_fail(&err);
    int status = 0, tty = isatty(2);
    json_t *report = json_array();
    for (int i = 0; i < nfiles; i++) {
        wr_import_opts o = {format, kind, source, sys, strict != NULL, full != NULL,
                            tty ? progress : NULL, (void *)files[i]};
        wr_import_stats st;
        json_t *problems = NULL;
        memset(&err, 0, sizeof err);
        int rc = wr_inventory_import_file(s, files[i], &o, &st, &problems, &err);
        size_t j;
        json_t *p;
        if (!cli->json) {
            json_array_foreach(problems, j, p) {
                fprintf(stderr, "%s: %s\n", json_string_value(json_object_get(p, "where")),
                        json_string_value(json_object_get(p, "message")));
            }
            if (st.rejected > json_array_size(problems) && problems)
                fprintf(stderr, "%s: %llu more problem(s) not shown\n", files[i],
                        (unsigned long long)(st.rejected - json_array_size(problems)));
        }
        if (rc) {
            status = status ? status : cli_fail(&err);
            if (cli->json)
                json_array_append_new(report, json_pack("{s:s,s:s,s:I,s:o}", "file", files[i],
                                                        "error", err.msg, "rejected",
                                                        (json_int_t)st.rejected, "problems",
                                                        problems ? problems : json_array()));
            else
                json_decref(problems);
            continue;
        }
        if (cli->json) {
            json_array_append_new(report, json_pack(
                "{s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "file", files[i], "import_id", st.import_id,
                "added", (json_int_t)st.added, "changed", (json_int_t)st.changed, "removed",
                (json_int_t)st.removed, "unchanged", (json_int_t)st.unchanged, "rejected",
                (json_int_t)st.rejected, "problems", problems ? problems : json_array()));
        } else {
            json_decref(problems);
            printf("imported %s: %llu added, %llu changed, %llu removed, %llu unchanged, "
                   "%llu rejected\n", files[i], (unsigned long long)st.added,
                   (unsigned long long)st.changed, (unsigned long long)st.removed,
                   (unsigned long long)st.unchanged, (unsigned long long)st.rejected);
        }
    }
    if (cli->json)
        cli_print_json(report);
    json_decref(report);
    wr_store_close(s);
    return status;
}
