/*
 * cmd_version.c — `warrant version`: the tool's version and the versions of
 * the libraries it was built with.
 */
#include "cli.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <sqlite3.h>

const char cmd_version_summary[] = "print version information";

int cmd_version(int argc, char **argv, wr_cli *cli)
{
    (void)argc;
    (void)argv;
    if (cli_help(cli, "usage: warrant version [--json]\n"))
        return 0;
    if (cli->json) {
        json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s}", "warrant", WARRANT_VERSION,
                              "sqlite", sqlite3_libversion(), "libsodium", sodium_version_string(),
                              "openssl", OpenSSL_version(OPENSSL_VERSION), "jansson", JANSSON_VERSION);
        cli_print_json(o);
        json_decref(o);
    } else {
        printf("warrant %s (sqlite %s, libsodium %s, %s, jansson %s)\n", WARRANT_VERSION,
               sqlite3_libversion(), sodium_version_string(), OpenSSL_version(OPENSSL_VERSION),
               JANSSON_VERSION);
    }
    return 0;
}
