/*
 * ctx.c — opening a data directory as a governance context.
 *
 * Layout of a data directory:
 *   warrant.db        the store (inventory, workflow, lineage log)
 *   sandbox/          a second store: the sandbox copy of the inventory
 *   log.key           the log's Ed25519 signing key (0600)
 *   policies/<name>.cedar  the policy set, loaded in file-name order
 *
 * The policy set is parsed once per open; its SHA-256 (over file names and
 * contents) is recorded in every decision so an auditor can tell exactly
 * which policies decided.
 */
#define _DEFAULT_SOURCE
#include "workflow_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern const char wr_default_policies[];

#define MAX_POLICY_FILES 256

static int path_join(char *out, size_t n, const char *dir, const char *name)
{
    return snprintf(out, n, "%s/%s", dir, name) < (int)n ? WR_OK : WR_ELIMIT;
}

int wr_ctx_init(const char *dir, const char *policy_file, wr_err *err)
{
    char path[4096];
    struct stat sb;
    int rc;
    if ((rc = path_join(path, sizeof path, dir, "warrant.db")))
        return wr_fail(err, rc, "data directory path too long");
    if (stat(path, &sb) == 0)
        return wr_fail(err, WR_ESTATE, "%s already holds a Warrant store; refusing to initialise it again", dir);

    char *policy_text = NULL;
    size_t policy_len = 0;
    if (policy_file) {
        if ((rc = wr_file_read(policy_file, WR_CEDAR_MAX_POLICY_BYTES, &policy_text, &policy_len, err)))
            return rc;
        wr_policy_set *ps = NULL;
        rc = wr_policy_set_parse(policy_text, policy_len, policy_file, &ps, err);
        wr_policy_set_free(ps);
        if (rc) {
            free(policy_text);
            return rc;
        }
    }
    wr_store *s = NULL, *sb_store = NULL;
    if ((rc = wr_store_open(dir, WR_STORE_CREATE, &s, err)))
        goto out;
    wr_store_close(s);
    if ((rc = path_join(path, sizeof path, dir, "sandbox")) ||
        (rc = wr_store_open(path, WR_STORE_CREATE, &sb_store, err)))
        goto out;
    wr_store_close(sb_store);

    char host[64] = "localhost", origin[160], rnd[40];
    gethostname(host, sizeof host - 1);
    wr_id_new("log", rnd, sizeof rnd);
    snprintf(origin, sizeof origin, "warrant/%s/%s", host, rnd + 4);
    if ((rc = wr_ledger_keygen(dir, origin, err)))
        goto out;

    if ((rc = path_join(path, sizeof path, dir, "policies")) || (rc = wr_mkdirs(path, 0700, err)))
        goto out;
    char file[4200];
    snprintf(file, sizeof file, "%s/policies/default.cedar", dir);
    if (policy_text)
        rc = wr_file_write_atomic(file, policy_text, policy_len, 0600, err);
    else
        rc = wr_file_write_atomic(file, wr_default_policies, strlen(wr_default_policies), 0600, err);
out:
    free(policy_text);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads every policies/<name>.cedar in name order into one set. */
static int load_policies(wr_ctx *ctx, wr_err *err)
{
    char dirpath[4096];
    snprintf(dirpath, sizeof dirpath, "%s/policies", ctx->dir);
    DIR *d = opendir(dirpath);
    if (!d)
        return wr_fail(err, WR_ENOTFOUND, "%s: no policy directory (run 'warrant init')", dirpath);
    char *names[MAX_POLICY_FILES];
    size_t n = 0;
    struct dirent *e;
    int rc = WR_OK;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".cedar") != 0 || e->d_name[0] == '.')
            continue;
        if (n == MAX_POLICY_FILES) {
            rc = wr_fail(err, WR_ELIMIT, "%s: more than %d policy files", dirpath, MAX_POLICY_FILES);
            break;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], name_cmp);
    const void *parts[2];
    size_t lens[2];
    uint8_t digest[32], acc[32] = {0};
    for (size_t i = 0; i < n && rc == WR_OK; i++) {
        char path[4400], *text = NULL;
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dirpath, names[i]);
        if ((rc = wr_file_read(path, WR_CEDAR_MAX_POLICY_BYTES, &text, &len, err)))
            break;
        if (!ctx->policies)
            rc = wr_policy_set_parse(text, len, path, &ctx->policies, err);
        else
            rc = wr_policy_set_add(ctx->policies, text, len, path, err);
        /* digest = H(previous || H(name || 0 || text)) */
        parts[0] = names[i];
        lens[0] = strlen(names[i]) + 1;
        parts[1] = text;
        lens[1] = len;
        wr_sha256_v(parts, lens, 2, digest);
        parts[0] = acc;
        lens[0] = 32;
        parts[1] = digest;
        lens[1] = 32;
        wr_sha256_v(parts, lens, 2, acc);
        free(text);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    if (rc)
        return rc;
    if (!ctx->policies)
        return wr_fail(err, WR_ENOTFOUND, "%s: no *.cedar policy files: every request would be denied",
                       dirpath);
    if ((rc = wr_obligations_check_set(ctx->policies, err)))
        return wr_fail_wrap(err, "%s", dirpath);
    memcpy(ctx->policy_digest, "sha256:", 7);
    wr_hex_encode(acc, 32, ctx->policy_digest + 7);
    return WR_OK;
}

int wr_ctx_open(const char *dir, int flags, wr_ctx **out, wr_err *err)
{
    char path[4096];
    struct stat sb;
    if (path_join(path, sizeof path, dir, "warrant.db") || stat(path, &sb) != 0)
        return wr_fail(err, WR_ENOTFOUND, "%s: not a Warrant data directory (run 'warrant init --data %s')",
                       dir, dir);
    wr_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    ctx->dir = strdup(dir);
    int rc;
    if ((rc = wr_store_open(dir, flags & WR_STORE_READONLY, &ctx->store, err)) ||
        (rc = wr_ledger_open(ctx->store, &ctx->ledger, err)) ||
        (rc = load_policies(ctx, err)))
        goto fail;
    if (wr_authz_new(&ctx->authz)) {
        rc = wr_fail(err, WR_ENOMEM, "out of memory");
        goto fail;
    }
    /* settle changes a crashed executor left in doubt (see recover.c) */
    if (!(flags & WR_STORE_READONLY))
        wf_recover_at_open(ctx);
    *out = ctx;
    return WR_OK;
fail:
    wr_ctx_close(ctx);
    return rc;
}

void wr_ctx_close(wr_ctx *ctx)
{
    if (!ctx)
        return;
    wr_authz_free(ctx->authz);
    wr_policy_set_free(ctx->policies);
    wr_ledger_close(ctx->ledger);
    wr_store_close(ctx->sandbox);
    wr_store_close(ctx->store);
    free(ctx->dir);
    free(ctx);
}

wr_store *wr_ctx_store(wr_ctx *ctx) { return ctx->store; }
wr_ledger *wr_ctx_ledger(wr_ctx *ctx) { return ctx->ledger; }
const char *wr_ctx_dir(const wr_ctx *ctx) { return ctx->dir; }
const wr_policy_set *wr_ctx_policies(wr_ctx *ctx) { return ctx->policies; }

wr_store *wf_target(wr_ctx *ctx, const char *environment, wr_err *err)
{
    if (strcmp(environment, "production") == 0)
        return ctx->store;
    if (!ctx->sandbox) {
        char path[4096];
        snprintf(path, sizeof path, "%s/sandbox", ctx->dir);
        if (wr_store_open(path, WR_STORE_CREATE, &ctx->sandbox, err))
            return NULL;
    }
    return ctx->sandbox;
}

int wr_sandbox_reset(wr_ctx *ctx, wr_err *err)
{
    wr_store *sb = wf_target(ctx, "sandbox", err);
    if (!sb)
        return err ? err->code : WR_EIO;
    return wr_inventory_copy(ctx->store, sb, err);
}
