/*
 * fuzz_config.c — fuzzes the server's configuration parsers: the config
 * file ("key = value" lines or one JSON object) and single settings
 * ("key=value", as given with --set).  Bad input must be refused with a
 * message; nothing may crash or overflow the fixed-size fields.
 */
#include "warrant/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 16)
        return 0;
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/warrant-fuzz-config-%ld", (long)getpid());
        atexit(remove_file);
    }
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    wr_server_config c;
    wr_server_config_init(&c);
    wr_err err = {0};
    if (wr_server_config_load(&c, path, &err) != WR_OK && err.msg[0] == '\0')
        abort();
    /* the same bytes as one --set KEY=VALUE */
    char *kv = malloc(size + 1);
    if (!kv)
        return 0;
    memcpy(kv, data, size);
    kv[size] = '\0';
    char *eq = strchr(kv, '=');
    if (eq) {
        *eq = '\0';
        wr_server_config_init(&c);
        memset(&err, 0, sizeof err);
        if (wr_server_config_set(&c, kv, eq + 1, &err) != WR_OK && err.msg[0] == '\0')
            abort();
    }
    free(kv);
    return 0;
}
