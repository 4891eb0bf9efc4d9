/*
 * connector_internal.h — the connector kind table entry (a vtable) that
 * every connector implementation fills, and helpers they share.
 *
 * A kind is a row of the static table in connector.c, in the manner of
 * nginx's module tables: a name, declared capabilities and function
 * pointers.  open receives the system's configuration (borrowed JSON) and
 * returns the kind's private state.
 */
#ifndef WARRANT_CONNECTOR_INTERNAL_H
#define WARRANT_CONNECTOR_INTERNAL_H

#include "warrant/connector.h"
#include "warrant/inventory.h"

typedef struct conn_kind {
    const char *name;
    unsigned caps;
    int (*check)(const json_t *config, wr_err *err);
    int (*open)(const json_t *config, const char *system, void **state, wr_err *err);
    void (*close)(void *state);
    int (*plan)(void *state, const json_t *op, json_t **plan, wr_err *err);
    /* The inverse as the target sees it (op type only matters: the generic
     * layer prefers the inventory's richer inverse when they agree). */
    int (*inverse)(void *state, const json_t *op, json_t **inverse, wr_err *err);
    int (*apply)(void *state, const json_t *op, const char *actor, json_t **result, wr_err *err);
    int (*readback)(void *state, const json_t *op, int *matches, wr_err *err);
    int (*list)(void *state, const wr_connector_visitor *v, wr_err *err);
    /* The capabilities a configuration leaves (a subset of caps); NULL:
     * caps.  config has passed check. */
    unsigned (*caps_of)(const json_t *config);
} conn_kind;

extern const conn_kind conn_kind_ldap;
extern const conn_kind conn_kind_exec;
extern const conn_kind conn_kind_scim;

/* The name after "<system>:" in an account or entitlement id, checked to
 * belong to system; NULL (with err) otherwise.  Borrowed from id. */
const char *conn_local_name(const char *id, const char *system, const char *what, wr_err *err);
/* Reads the secret named by config's "<prefix>_file" or "<prefix>_env"
 * (at most WR_CONN_SECRET_MAX bytes, trailing newline dropped).  *out
 * (caller wipes and frees) is NULL when the config names no secret. */
int conn_secret_read(const json_t *config, const char *prefix, char **out, wr_err *err);
/* Free a secret: wipe then free. */
void conn_secret_free(char *s);
/* Integer option in milliseconds (>0, <= 1 hour), default dflt. */
int conn_opt_ms(const json_t *config, const char *key, int dflt, int *out, wr_err *err);
/* WR_CONN_CAP_* of an operation name ("grant", ..., "rotate_credential",
 * "transfer_ownership") or "list"; 0 when unknown. */
unsigned conn_cap_of(const char *name);
/* The op's "op" string, or "" */
const char *conn_op_name(const json_t *op);
/* qsort comparator for arrays of strings (members are listed sorted). */
int conn_str_cmp(const void *a, const void *b);
/* The operation that restores what the target holds now (caller decrefs):
 * for grant/revoke, grant if cur (a member) else revoke; for
 * disable/enable, disable if cur (disabled) else enable. */
json_t *conn_inverse_of(const json_t *op, int cur);
/* {"changed":b,"detail":s} (caller decrefs). */
json_t *conn_result(int changed, const char *detail);

#endif
