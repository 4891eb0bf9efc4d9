#define OPENSSL_SUPPRESS_DEPRECATED 1
/* test_ledger_tiles.c — group commit (batched appends with state-change
 * callbacks) and the C2SP tlog-tiles export, checked by an independent
 * verifier that reads only the exported files and uses OpenSSL and
 * libsodium directly (no libwarrant code): signature against the verifier
 * key, entry bundles against level-0 tiles, level-1 tiles against level-0
 * tiles, and the root recomputed from the entries. */
#include "check.h"
#include "ledger_ref.h"
#include "warrant/ledger.h"

#include <openssl/sha.h>
#include <sodium.h>

/* ---- the independent verifier ------------------------------------------ */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc((size_t)n + 1);
    if (fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    if (p)
        p[n] = 0;
    *len = (size_t)n;
    return p;
}

static void ind_tile_path(char *out, size_t n, const char *dir, const char *kind, uint64_t idx, unsigned w)
{
    /* written from the tlog-tiles text: 3-digit groups, all but the last x-prefixed */
    char groups[8][5];
    int k = 0;
    do {
        snprintf(groups[k++], 5, "%03u", (unsigned)(idx % 1000));
        idx /= 1000;
    } while (idx);
    int o = snprintf(out, n, "%s/tile/%s", dir, kind);
    for (int i = k - 1; i >= 0; i--)
        o += snprintf(out + o, n - (size_t)o, "/%s%s", i ? "x" : "", groups[i]);
    if (w)
        snprintf(out + o, n - (size_t)o, ".p/%u", w);
}

static int b64dec(const char *s, size_t len, uint8_t *out, size_t max, size_t *n)
{
    return sodium_base642bin(out, max, s, len, NULL, n, NULL, sodium_base64_VARIANT_ORIGINAL);
}

/* Returns 0 when the export in dir is a valid log of `want_size` entries. */
static int independent_verify(const char *dir, const char *vkey, uint64_t want_size)
{
    char path[4096];
    size_t len;
    /* verifier key: name+hex(keyhash)+base64(0x01||pk) */
    const char *p1 = strchr(vkey, '+'), *p2 = p1 ? strchr(p1 + 1, '+') : NULL;
    if (!p2)
        return 1;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)(p1 - vkey), vkey);
    uint8_t kraw[64], pk[32], kh[32];
    size_t kn = 0;
    if (b64dec(p2 + 1, strlen(p2 + 1), kraw, sizeof kraw, &kn) || kn != 33 || kraw[0] != 1)
        return 2;
    memcpy(pk, kraw + 1, 32);
    SHA256_CTX c;
    SHA256_Init(&c);
    SHA256_Update(&c, name, strlen(name));
    SHA256_Update(&c, "\n\x01", 2);
    SHA256_Update(&c, pk, 32);
    SHA256_Final(kh, &c);
    /* checkpoint: text, blank line, "— name base64(keyhash||sig)" */
    snprintf(path, sizeof path, "%s/checkpoint", dir);
    char *note = (char *)slurp(path, &len);
    if (!note)
        return 3;
    char *blank = strstr(note, "\n\n");
    char sigprefix[300];
    snprintf(sigprefix, sizeof sigprefix, "\n\n\xe2\x80\x94 %s ", name);
    if (!blank || strncmp(blank, sigprefix, strlen(sigprefix)) != 0)
        return 4;
    char *sigb64 = blank + strlen(sigprefix), *end = strchr(sigb64, '\n');
    uint8_t sig[80];
    size_t sn = 0;
    if (!end || b64dec(sigb64, (size_t)(end - sigb64), sig, sizeof sig, &sn) || sn != 68 ||
        memcmp(sig, kh, 4) != 0)
        return 5;
    if (crypto_sign_verify_detached(sig + 4, (uint8_t *)note, (size_t)(blank + 1 - note), pk) != 0)
        return 6;
    char origin[256], rootb64[64];
    unsigned long long size;
    if (sscanf(note, "%255[^\n]\n%llu\n%63[^\n]\n", origin, &size, rootb64) != 3 ||
        strcmp(origin, name) != 0 || size != want_size)
        return 7;
    uint8_t root[32];
    size_t rn = 0;
    if (b64dec(rootb64, strlen(rootb64), root, sizeof root, &rn) || rn != 32)
        return 8;
    free(note);
    /* entries and level-0 tiles */
    uint8_t (*lh)[32] = malloc((size + 1) * 32);
    int rc = 0;
    for (uint64_t t = 0; t * 256 < size && !rc; t++) {
        unsigned w = size - t * 256 >= 256 ? 0 : (unsigned)(size - t * 256);
        unsigned cnt = w ? w : 256;
        ind_tile_path(path, sizeof path, dir, "entries", t, w);
        uint8_t *bundle = slurp(path, &len);
        ind_tile_path(path, sizeof path, dir, "0", t, w);
        size_t tlen = 0;
        uint8_t *tile = slurp(path, &tlen);
        if (!bundle || !tile || tlen != cnt * 32) {
            rc = 9;
        } else {
            size_t off = 0;
            for (unsigned i = 0; i < cnt && !rc; i++) {
                if (off + 2 > len) {
                    rc = 10;
                    break;
                }
                size_t el = (size_t)bundle[off] << 8 | bundle[off + 1];
                off += 2;
                if (off + el > len) {
                    rc = 10;
                    break;
                }
                uint8_t *h = lh[t * 256 + i];
                SHA256_Init(&c);
                SHA256_Update(&c, "\0", 1);
                SHA256_Update(&c, bundle + off, el);
                SHA256_Final(h, &c);
                off += el;
                if (memcmp(h, tile + i * 32, 32) != 0)
                    rc = 11;
            }
            if (!rc && off != len)
                rc = 12;
        }
        free(bundle);
        free(tile);
    }
    /* level-1 tiles: hash j is the root of level-0 tile j */
    uint64_t full0 = size / 256;
    for (uint64_t t = 0; t * 256 < full0 && !rc; t++) {
        unsigned w = full0 - t * 256 >= 256 ? 0 : (unsigned)(full0 - t * 256);
        unsigned cnt = w ? w : 256;
        ind_tile_path(path, sizeof path, dir, "1", t, w);
        size_t tlen = 0;
        uint8_t *tile = slurp(path, &tlen);
        if (!tile || tlen != cnt * 32)
            rc = 13;
        for (unsigned j = 0; j < cnt && !rc; j++) {
            uint8_t sub[32];
            ref_mth(lh + (t * 256 + j) * 256, 256, sub);
            if (memcmp(sub, tile + j * 32, 32) != 0)
                rc = 14;
        }
        free(tile);
    }
    if (!rc) {
        uint8_t got[32];
        ref_mth(lh, size, got);
        if (memcmp(got, root, 32) != 0)
            rc = 15;
    }
    free(lh);
    return rc;
}

/* ---- group commit ------------------------------------------------------- */

typedef struct app_arg {
    int k;
    int fail;
} app_arg;

static int apply_state(wr_store *s, void *arg, wr_err *err)
{
    app_arg *a = arg;
    wr_stmt *st;
    int rc = wr_stmt_prepare(s, "INSERT INTO test_state(k) VALUES(?)", &st, err);
    if (rc)
        return rc;
    wr_stmt_bind_int(st, 1, a->k);
    rc = wr_stmt_step(st, err);
    wr_stmt_done(st);
    if (rc < 0)
        return rc;
    if (a->fail)   /* after writing: the savepoint must undo the row */
        return wr_fail(err, WR_EDENIED, "request %d refused", a->k);
    return WR_OK;
}

typedef struct ack_count {
    int ok, failed;
    uint64_t max_index;
} ack_count;

static void on_ack(void *arg, int rc, uint64_t index, const wr_err *err)
{
    (void)err;
    ack_count *a = arg;   /* acks run on the single committer thread */
    if (rc == WR_OK) {
        a->ok++;
        if (index > a->max_index)
            a->max_index = index;
    } else {
        a->failed++;
    }
}

TEST(test_group_commit_and_export)
{
    const char *dir = test_tmpdir("lg-tiles");
    char d[4096], out[4200];
    snprintf(d, sizeof d, "%s/data", dir);
    snprintf(out, sizeof out, "%s/export", dir);
    wr_err e = {0};
    wr_store *s = NULL;
    CHECK_OK(wr_store_open(d, WR_STORE_CREATE, &s, &e));
    CHECK_OK(wr_ledger_keygen(d, "tiles.test/log", &e));
    CHECK_OK(wr_store_exec(s, "CREATE TABLE test_state(k INTEGER PRIMARY KEY)", &e));
    wr_ledger_group *g = NULL;
    CHECK_OK(wr_ledger_group_open(d, 1000, &g, &e));
    /* synchronous appends with state changes; every 7th is refused */
    enum { SYNC = 50, ASYNC = 66000 };
    app_arg args[SYNC];
    int ok = 0;
    for (int i = 0; i < SYNC; i++) {
        args[i] = (app_arg){i, i % 7 == 3};
        json_t *v = json_pack("{s:s,s:i}", "kind", "state", "k", i);
        uint64_t idx = 0;
        int rc = wr_ledger_group_append(g, v, apply_state, &args[i], &idx, &e);
        json_decref(v);
        if (args[i].fail) {
            CHECK_EQ_INT(rc, WR_EDENIED);
        } else {
            CHECK_OK(rc);
            CHECK_EQ_INT(idx, ok);
            ok++;
        }
    }
    /* many queued appends: batched */
    ack_count acks = {0, 0, 0};
    for (int i = 0; i < ASYNC; i++) {
        json_t *v = json_pack("{s:s,s:i,s:s}", "kind", "bulk", "n", i, "pad", "xxxxxxxxxxxxxxxx");
        CHECK_OK(wr_ledger_group_submit(g, v, NULL, NULL, on_ack, &acks, &e));
        json_decref(v);
    }
    uint64_t commits = 0, entries = 0;
    wr_ledger_group_close(g);   /* drains the queue */
    CHECK_EQ_INT(acks.ok, ASYNC);
    CHECK_EQ_INT(acks.failed, 0);
    CHECK_EQ_INT(acks.max_index, ok + ASYNC - 1);
    /* the state rows are exactly those of the acknowledged requests */
    wr_stmt *st;
    CHECK_OK(wr_stmt_prepare(s, "SELECT count(*), sum(k % 7 = 3) FROM test_state", &st, &e));
    CHECK_EQ_INT(wr_stmt_step(st, &e), 1);
    CHECK_EQ_INT(wr_stmt_int(st, 0), ok);
    CHECK_EQ_INT(wr_stmt_int(st, 1), 0);
    wr_stmt_done(st);
    (void)commits;
    (void)entries;

    wr_ledger *l = NULL;
    CHECK_OK(wr_ledger_open(s, &l, &e));
    uint64_t size = wr_ledger_size(l), bad = 0;
    CHECK_EQ_INT(size, ok + ASYNC);
    CHECK_OK(wr_ledger_verify(l, &bad, &e));
    CHECK_OK(wr_ledger_export_tiles(l, out, &e));
    char *vk = NULL;
    CHECK_OK(wr_ledger_verifier_key(l, &vk, &e));
    CHECK_EQ_INT(independent_verify(out, vk, size), 0);
    /* 66043 entries: level-0 tiles 0..256 full, 257 partial; level 1 has
     * one full tile (000) and a partial one of width 1 */
    char path[4400];
    snprintf(path, sizeof path, "%s/tile/0/256", out);
    CHECK(access(path, R_OK) == 0);
    snprintf(path, sizeof path, "%s/tile/1/000", out);
    CHECK(access(path, R_OK) == 0);
    snprintf(path, sizeof path, "%s/tile/1/001.p/1", out);
    CHECK(access(path, R_OK) == 0);
    snprintf(path, sizeof path, "%s/tile/entries/257.p/%u", out, (unsigned)(size % 256));
    CHECK(access(path, R_OK) == 0);
    /* a damaged export is caught by the independent verifier */
    snprintf(path, sizeof path, "%s/tile/entries/007", out);
    FILE *f = fopen(path, "r+b");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 40, SEEK_SET);
        fputc('Z', f);
        fclose(f);
    }
    CHECK(independent_verify(out, vk, size) != 0);
    free(vk);
    wr_ledger_close(l);
    wr_store_close(s);
}

TEST(test_tile_path_encoding)
{
    char p[256];
    ind_tile_path(p, sizeof p, "o", "0", 1234067, 0);
    CHECK_EQ_STR(p, "o/tile/0/x001/x234/067");
    ind_tile_path(p, sizeof p, "o", "entries", 5, 17);
    CHECK_EQ_STR(p, "o/tile/entries/005.p/17");
}

RUN_TESTS(T(test_tile_path_encoding), T(test_group_commit_and_export))
