/*
 * fuzz_note.c — fuzzes the parsing and verification of signed checkpoint
 * notes (C2SP signed-note + tlog-checkpoint) and of verifier keys.
 *
 * Input: the first line is a verifier key ("name+hash+base64key"), the rest
 * is the note.  Verification must answer WR_OK only for a note signed by
 * that key, and otherwise fail cleanly — never crash, never read out of
 * bounds, whatever the bytes.
 */
#include "warrant/ledger.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    char *buf = malloc(size + 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0';
    char *nl = memchr(buf, '\n', size);
    const char *vkey = buf, *note = "";
    if (nl) {
        *nl = '\0';
        note = nl + 1;
    }
    uint64_t tree_size = 0;
    uint8_t root[32];
    wr_err err = {0};
    int rc = wr_ledger_checkpoint_verify(note, vkey, &tree_size, root, &err);
    if (rc != WR_OK && err.msg[0] == '\0')
        abort();   /* every refusal says why */
    free(buf);
    return 0;
}
