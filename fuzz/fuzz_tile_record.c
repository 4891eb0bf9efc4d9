/*
 * fuzz_tile_record.c — fuzzes the check of a tile file record
 * (lib/ledger/tile_file.c), the one input Warrant reads back from a file
 * it does not trust at all.
 *
 * A sound record of a known tile is built once.  Input: the first 1024
 * bytes are XORed over the record (so the fuzzer explores damage near the
 * sound record as well as arbitrary bytes); each further byte asks for one
 * node (sublevel and index from its bits; 0xff asks for the whole tile).
 * Whatever the bytes, a node handed out must be the true node and a whole
 * tile the true tile; anything else aborts.
 */
#include "ledger/ledger_internal.h"

#include <stdlib.h>
#include <string.h>

static lg_tile truth;
static uint8_t sound[LG_TFILE_REC], top[32];

static int keep(void *ctx, unsigned level, const lg_tile *t, wr_err *err)
{
    (void)ctx;
    (void)err;
    if (level == 0 && t->n == 3)
        truth = *t;
    return WR_OK;
}

static void setup(void)
{
    static lg_builder b;
    lg_builder_reset(&b);
    wr_err e = {0};
    for (unsigned i = 0; i < 4 * LG_TILE_W; i++) {   /* tile 3 is the fourth */
        uint8_t leaf[32];
        wr_merkle_leaf_hash(&i, sizeof i, leaf);
        if (lg_builder_push(&b, leaf, keep, NULL, &e) != WR_OK)
            abort();
    }
    lg_tile_encode(&truth, sound);
    sound[LG_FULL_BLOB] = 3;
    memcpy(sound + LG_FULL_BLOB + 8, "WRLGTILE", 8);
    memcpy(top, b.lv[1].h[3], 32);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        setup();
        ready = 1;
    }
    uint8_t rec[LG_TFILE_REC], out[32];
    memcpy(rec, sound, sizeof rec);
    size_t k = size < LG_TFILE_REC ? size : LG_TFILE_REC;
    for (size_t i = 0; i < k; i++)
        rec[i] ^= data[i];
    lg_tfile f;
    lg_tfile_init(&f);
    if (!lg_tfile_take(&f, 3, rec, top))
        return 0;
    for (size_t i = k; i < size && f.held != UINT64_MAX; i++) {
        if (data[i] == 0xff) {
            lg_tile t;
            if (lg_tfile_tile(&f, &t) && memcmp(t.h, truth.h, (LG_TILE_SLOTS - 1) * 32) != 0)
                abort();
            continue;
        }
        unsigned r = (data[i] >> 4) & 3, j = data[i] & (LG_TILE_W - 1);
        if (j >= (unsigned)(LG_TILE_W >> r))
            continue;
        if (lg_tfile_node(&f, r, j, out) && memcmp(out, truth.h[lg_sub_off(r) + j], 32) != 0)
            abort();
    }
    return 0;
}
