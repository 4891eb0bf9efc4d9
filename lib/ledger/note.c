/*
 * note.c — the log's signing key, C2SP signed notes and tlog-checkpoints.
 *
 * A checkpoint (c2sp.org/tlog-checkpoint) is the text
 *     <origin>\n<tree size, decimal>\n<base64 root hash>\n
 * (extension lines could follow; Warrant writes none).  It travels as a
 * signed note (c2sp.org/signed-note): the text, a blank line, then one line
 * per signature,
 *     "— <key name> <base64(key hash (4 bytes) || Ed25519 signature)>\n"
 * where "—" is U+2014 and the signature covers the text including its
 * final newline.  The key hash is the first 4 bytes of
 * SHA-256(name || 0x0A || 0x01 || public key), 0x01 naming Ed25519.
 * Verifier keys are shared as "name+hex(key hash)+base64(0x01 || pubkey)".
 * The key name is the log's origin.
 *
 * The signer key lives in <data dir>/log.key (mode 0600) in the same
 * "PRIVATE+KEY+name+hash+base64(0x01 || seed)" text form as Go's
 * golang.org/x/mod/sumdb/note signer keys.  It is never logged or
 * printed; buffers that held it are wiped.
 */
#include "ledger_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EM_DASH "\xe2\x80\x94"
#define KEY_FILE "log.key"
#define NOTE_MAX (64 * 1024)

static int name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= 256)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= 0x20 || c == 0x7f || c == '+')
            return 0;
    }
    return 1;
}

static void key_hash(const char *name, const uint8_t pk[32], uint8_t out[4])
{
    static const uint8_t sep[2] = {0x0a, 0x01};
    const void *parts[3] = {name, sep, pk};
    size_t lens[3] = {strlen(name), 2, 32};
    uint8_t h[32];
    wr_sha256_v(parts, lens, 3, h);
    memcpy(out, h, 4);
}

int lg_vkey_format(const char *name, const uint8_t pk[32], char **out)
{
    uint8_t kh[4], raw[33];
    char hex[9], *b64 = NULL;
    key_hash(name, pk, kh);
    wr_hex_encode(kh, 4, hex);
    raw[0] = 1;
    memcpy(raw + 1, pk, 32);
    if (wr_base64_encode(raw, sizeof raw, &b64))
        return WR_ENOMEM;
    size_t n = strlen(name) + strlen(b64) + 16;
    char *s = malloc(n);
    if (!s) {
        free(b64);
        return WR_ENOMEM;
    }
    snprintf(s, n, "%s+%s+%s", name, hex, b64);
    free(b64);
    *out = s;
    return WR_OK;
}

/* Splits "name+hash+key" in place: names never contain '+', but the
 * base64 key may. */
static int split_key(char *s, char **name, char **hash, char **key)
{
    char *p1 = strchr(s, '+');
    if (!p1)
        return WR_EINVAL;
    char *p2 = strchr(p1 + 1, '+');
    if (!p2)
        return WR_EINVAL;
    *p1 = *p2 = '\0';
    *name = s;
    *hash = p1 + 1;
    *key = p2 + 1;
    return WR_OK;
}

int lg_vkey_parse(const char *vkey, char name[256], uint8_t pk[32], wr_err *err)
{
    char buf[512], *nm, *hx, *k;
    uint8_t raw[64], kh[4], want[4];
    size_t n = 0;
    if (strlen(vkey) >= sizeof buf)
        return wr_fail(err, WR_EINVAL, "verifier key: too long");
    strcpy(buf, vkey);
    if (split_key(buf, &nm, &hx, &k) || !name_ok(nm) || wr_hex_decode(hx, kh, 4) ||
        wr_base64_decode(k, raw, sizeof raw, &n) || n != 33 || raw[0] != 1)
        return wr_fail(err, WR_EINVAL, "verifier key: expected name+hash+base64(0x01||ed25519 key)");
    key_hash(nm, raw + 1, want);
    if (memcmp(want, kh, 4) != 0)
        return wr_fail(err, WR_EINVAL, "verifier key: key hash does not match name and key");
    strcpy(name, nm);
    memcpy(pk, raw + 1, 32);
    return WR_OK;
}

int wr_ledger_keygen(const char *dir, const char *origin, wr_err *err)
{
    if (!name_ok(origin))
        return wr_fail(err, WR_EINVAL, "log origin '%s': must be 1-255 bytes without spaces, "
                       "control characters or '+'", origin);
    if (sodium_init() < 0)
        return wr_fail(err, WR_EINTERNAL, "libsodium failed to initialise");
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, KEY_FILE);
    uint8_t pk[32], sk[64], raw[33], kh[4];
    char hex[9], *b64 = NULL;
    crypto_sign_keypair(pk, sk);
    raw[0] = 1;
    memcpy(raw + 1, sk, 32);   /* the seed */
    key_hash(origin, pk, kh);
    wr_hex_encode(kh, 4, hex);
    int rc = wr_base64_encode(raw, sizeof raw, &b64);
    wr_wipe(raw, sizeof raw);
    wr_wipe(sk, sizeof sk);
    if (rc)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    char text[512];
    int tn = snprintf(text, sizeof text, "PRIVATE+KEY+%s+%s+%s\n", origin, hex, b64);
    wr_wipe(b64, strlen(b64));
    free(b64);
    /* O_EXCL: refuse to replace a key, which would orphan every checkpoint
     * signed so far. */
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        wr_wipe(text, sizeof text);
        if (errno == EEXIST)
            return wr_fail(err, WR_ESTATE, "%s: a log key already exists; refusing to overwrite it",
                           path);
        return wr_fail(err, WR_EIO, "%s: %s", path, strerror(errno));
    }
    ssize_t w = write(fd, text, (size_t)tn);
    wr_wipe(text, sizeof text);
    if (w != tn || fsync(fd) != 0) {
        close(fd);
        unlink(path);
        return wr_fail(err, WR_EIO, "%s: write failed", path);
    }
    close(fd);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return WR_OK;
}

int lg_key_load(const char *dir, lg_key *k, wr_err *err)
{
    char path[4096], *text = NULL, *nm, *hx, *kb;
    size_t len = 0, n = 0;
    uint8_t raw[64], kh[4];
    snprintf(path, sizeof path, "%s/%s", dir, KEY_FILE);
    memset(k, 0, sizeof *k);
    int rc = wr_file_read(path, 4096, &text, &len, err);
    if (rc) {
        if (rc == WR_ENOTFOUND)
            return wr_fail(err, WR_ENOTFOUND, "%s: no log key (run 'warrant init')", path);
        return rc;
    }
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        text[--len] = '\0';
    rc = WR_EINVAL;
    if (strncmp(text, "PRIVATE+KEY+", 12) == 0 && split_key(text + 12, &nm, &hx, &kb) == 0 &&
        name_ok(nm) && wr_hex_decode(hx, kh, 4) == 0 &&
        wr_base64_decode(kb, raw, sizeof raw, &n) == 0 && n == 33 && raw[0] == 1) {
        if (sodium_init() >= 0 && crypto_sign_seed_keypair(k->pk, k->sk, raw + 1) == 0) {
            strcpy(k->name, nm);
            key_hash(nm, k->pk, k->keyhash);
            if (memcmp(k->keyhash, kh, 4) == 0) {
                k->has_sk = 1;
                rc = WR_OK;
            }
        }
    }
    wr_wipe(raw, sizeof raw);
    wr_wipe(text, len);
    free(text);
    if (rc) {
        wr_wipe(k, sizeof *k);
        return wr_fail(err, WR_ECORRUPT, "%s: not a valid log signer key", path);
    }
    return WR_OK;
}

int lg_checkpoint_sign(const lg_key *k, uint64_t size, const uint8_t root[32], char **note,
                       wr_err *err)
{
    if (!k->has_sk)
        return wr_fail(err, WR_ESTATE, "ledger: no signing key loaded (run 'warrant init')");
    char *rb = NULL, *sb = NULL;
    if (wr_base64_encode(root, 32, &rb))
        return wr_fail(err, WR_ENOMEM, "out of memory");
    char text[512];
    int tn = snprintf(text, sizeof text, "%s\n%llu\n%s\n", k->name, (unsigned long long)size, rb);
    free(rb);
    uint8_t sig[4 + 64];
    memcpy(sig, k->keyhash, 4);
    crypto_sign_detached(sig + 4, NULL, (const uint8_t *)text, (unsigned long long)tn, k->sk);
    if (wr_base64_encode(sig, sizeof sig, &sb))
        return wr_fail(err, WR_ENOMEM, "out of memory");
    size_t n = (size_t)tn + strlen(k->name) + strlen(sb) + 16;
    char *s = malloc(n);
    if (!s) {
        free(sb);
        return wr_fail(err, WR_ENOMEM, "out of memory");
    }
    snprintf(s, n, "%s\n" EM_DASH " %s %s\n", text, k->name, sb);
    free(sb);
    *note = s;
    return WR_OK;
}

int lg_checkpoint_open(const char *note, const char *name, const uint8_t pk[32],
                       uint64_t *size, uint8_t root[32], wr_err *err)
{
    size_t len = strlen(note);
    if (len > NOTE_MAX)
        return wr_fail(err, WR_ELIMIT, "checkpoint: note larger than %d bytes", NOTE_MAX);
    const char *blank = strstr(note, "\n\n");
    if (!blank)
        return wr_fail(err, WR_ECORRUPT, "checkpoint: no signature block");
    size_t tlen = (size_t)(blank - note) + 1;   /* the text keeps its last newline */
    uint8_t kh[4];
    key_hash(name, pk, kh);
    int verified = 0;
    const char *line = blank + 2;
    while (*line) {
        const char *eol = strchr(line, '\n');
        if (!eol)
            return wr_fail(err, WR_ECORRUPT, "checkpoint: signature line without newline");
        size_t ll = (size_t)(eol - line), nl = strlen(name);
        if (ll > 3 + 1 + nl + 1 && memcmp(line, EM_DASH " ", 4) == 0 &&
            memcmp(line + 4, name, nl) == 0 && line[4 + nl] == ' ') {
            char b64[256];
            size_t bl = ll - (4 + nl + 1), n = 0;
            uint8_t sig[128];
            if (bl < sizeof b64) {
                memcpy(b64, line + 4 + nl + 1, bl);
                b64[bl] = '\0';
                if (wr_base64_decode(b64, sig, sizeof sig, &n) == 0 && n == 68 &&
                    memcmp(sig, kh, 4) == 0) {
                    if (crypto_sign_verify_detached(sig + 4, (const uint8_t *)note,
                                                    (unsigned long long)tlen, pk) != 0)
                        return wr_fail(err, WR_ECORRUPT, "checkpoint: signature by %s does not verify",
                                       name);
                    verified = 1;
                }
            }
        }
        line = eol + 1;
    }
    if (!verified)
        return wr_fail(err, WR_ECORRUPT, "checkpoint: no signature by key %s", name);
    /* parse the text: origin, size, root */
    const char *l2 = memchr(note, '\n', tlen);
    if (!l2 || (size_t)(l2 - note) != strlen(name) || memcmp(note, name, strlen(name)) != 0)
        return wr_fail(err, WR_ECORRUPT, "checkpoint: origin line is not '%s'", name);
    l2++;
    const char *l3 = memchr(l2, '\n', tlen - (size_t)(l2 - note));
    if (!l3 || l3 == l2 || l3 - l2 > 20 || (l2[0] == '0' && l3 - l2 > 1))
        return wr_fail(err, WR_ECORRUPT, "checkpoint: bad tree size line");
    uint64_t sz = 0;
    for (const char *p = l2; p < l3; p++) {
        if (*p < '0' || *p > '9' || sz > (UINT64_MAX - 9) / 10)
            return wr_fail(err, WR_ECORRUPT, "checkpoint: bad tree size line");
        sz = sz * 10 + (uint64_t)(*p - '0');
    }
    l3++;
    const char *l4 = memchr(l3, '\n', tlen - (size_t)(l3 - note));
    char b64[64];
    size_t n = 0;
    if (!l4 || l4 - l3 >= (long)sizeof b64)
        return wr_fail(err, WR_ECORRUPT, "checkpoint: bad root hash line");
    memcpy(b64, l3, (size_t)(l4 - l3));
    b64[l4 - l3] = '\0';
    uint8_t r[64];
    if (wr_base64_decode(b64, r, sizeof r, &n) || n != 32)
        return wr_fail(err, WR_ECORRUPT, "checkpoint: bad root hash line");
    *size = sz;
    memcpy(root, r, 32);
    return WR_OK;
}

int wr_ledger_checkpoint_verify(const char *note, const char *vkey, uint64_t *size,
                                uint8_t root[32], wr_err *err)
{
    char name[256];
    uint8_t pk[32];
    int rc = lg_vkey_parse(vkey, name, pk, err);
    if (rc)
        return rc;
    return lg_checkpoint_open(note, name, pk, size, root, err);
}
