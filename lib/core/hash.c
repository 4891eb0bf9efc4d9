/*
 * hash.c — SHA-256 (OpenSSL libcrypto, which uses the CPU's SHA extensions
 * where present) and the hex/base64 encodings used in digests, proofs and
 * signed notes (base64 via libsodium's constant-time codec).
 */
/* The SHA256_Init/Update/Final interface is marked deprecated in OpenSSL 3
 * in favour of EVP, but an EVP context per call costs more than hashing the
 * 65-byte inputs of a Merkle tree; the low-level calls still dispatch to the
 * same SHA-NI/AVX2 code. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "warrant/core.h"

#include <openssl/sha.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void wr_sha256(const void *data, size_t len, uint8_t out[WR_SHA256_LEN])
{
    SHA256(data, len, out);
}

void wr_sha256_v(const void *const *parts, const size_t *lens, size_t n,
                 uint8_t out[WR_SHA256_LEN])
{
    SHA256_CTX c;
    SHA256_Init(&c);
    for (size_t i = 0; i < n; i++)
        SHA256_Update(&c, parts[i], lens[i]);
    SHA256_Final(out, &c);
}

void wr_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * len] = '\0';
}

int wr_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int wr_hex_decode(const char *hex, uint8_t *out, size_t outlen)
{
    if (strlen(hex) != 2 * outlen)
        return WR_EINVAL;
    for (size_t i = 0; i < outlen; i++) {
        int hi = wr_hex_digit((unsigned char)hex[2 * i]), lo = wr_hex_digit((unsigned char)hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return WR_EINVAL;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return WR_OK;
}

int wr_base64_encode(const uint8_t *in, size_t len, char **out)
{
    size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
    char *s = malloc(n);
    if (!s)
        return WR_ENOMEM;
    sodium_bin2base64(s, n, in, len, sodium_base64_VARIANT_ORIGINAL);
    *out = s;
    return WR_OK;
}

int wr_base64_decode(const char *b64, uint8_t *out, size_t outmax, size_t *outlen)
{
    size_t n = 0;
    const char *end = NULL;
    if (sodium_base642bin(out, outmax, b64, strlen(b64), NULL, &n, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 || *end != '\0')
        return WR_EINVAL;
    if (outlen)
        *outlen = n;
    return WR_OK;
}

void wr_digest_string(const void *data, size_t len, char out[72])
{
    uint8_t h[WR_SHA256_LEN];
    wr_sha256(data, len, h);
    memcpy(out, "sha256:", 7);
    wr_hex_encode(h, sizeof h, out + 7);
}

void wr_wipe(void *p, size_t len)
{
    sodium_memzero(p, len);
}
