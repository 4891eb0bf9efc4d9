/*
 * cedar_cli.h — file loading and request/response JSON shared by the
 * `cedar` and `policy` subcommands.
 */
#ifndef WARRANT_CEDAR_CLI_H
#define WARRANT_CEDAR_CLI_H

#include "cli.h"

int cedar_load_schema(const char *path, wr_schema **out, wr_err *err) WR_MUST_CHECK;
/* Parses each file into one set (NULL-terminated array of paths). */
int cedar_load_policies(const char *const *paths, size_t n, wr_policy_set **out,
                        wr_err *err) WR_MUST_CHECK;
int cedar_load_entities(const char *path, const wr_schema *s, wr_entities **out,
                        wr_err *err) WR_MUST_CHECK;
/* Fills req from {"principal":{type,id},"action":..,"resource":..,"context":{}};
 * the strings are borrowed from j. */
int cedar_request_from_json(const json_t *j, wr_request *req, wr_err *err) WR_MUST_CHECK;
/* {"decision":..,"reason":[..],"errors":[..]}; caller decrefs. */
json_t *cedar_response_json(const wr_response *r);

#endif
