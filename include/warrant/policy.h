/*
 * warrant/policy.h — the Cedar policy engine.
 *
 * Warrant evaluates policies written in the Cedar language with its own
 * engine.  Objects:
 *   wr_policy_set  parsed policies (and templates/links); immutable after
 *                  loading, safe to evaluate from many threads at once.
 *   wr_schema      a parsed .cedarschema; used to interpret entity and
 *                  context JSON (e.g. a string where the schema says
 *                  ipaddr becomes an ip value) and to validate policies.
 *   wr_entities    an entity store (uids, attributes, parents, tags);
 *                  immutable after loading except for its ancestor index,
 *                  which is computed per entity on first use and memoised
 *                  under an internal lock, so a store can still be shared
 *                  by threads evaluating concurrently.
 *   wr_authz       per-thread scratch space for evaluation, reused across
 *                  decisions so the hot path does not allocate.
 *
 * Evaluation follows the Cedar reference semantics: forbid overrides
 * permit, default deny, a policy whose condition errors is skipped and
 * reported by id, and the reason lists the determining policies.  Policies
 * without an @id annotation are named policy0, policy1, ... by position.
 *
 * Governance (obligations read from annotations on the determining permit
 * policies) is layered on top in warrant/governance.h.
 */
#ifndef WARRANT_POLICY_H
#define WARRANT_POLICY_H

#include "warrant/core.h"

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wr_policy_set wr_policy_set;
typedef struct wr_schema wr_schema;
typedef struct wr_entities wr_entities;
typedef struct wr_authz wr_authz;

/* Documented limits (inputs beyond them fail with WR_ELIMIT). */
#define WR_CEDAR_MAX_DEPTH 128          /* expression / JSON nesting */
#define WR_CEDAR_MAX_POLICY_BYTES (64u << 20)

/* ---- schema -------------------------------------------------------------- */
/* Parses the human-readable schema format.  filename is used in messages
 * ("file:line:col: message"). */
int wr_schema_parse(const char *text, size_t len, const char *filename,
                    wr_schema **out, wr_err *err) WR_MUST_CHECK;
void wr_schema_free(wr_schema *s);

/* ---- policies ------------------------------------------------------------ */
/* Parses a policy file (policies, templates, annotations, comments).
 * Errors are "file:line:col: message". */
int wr_policy_set_parse(const char *text, size_t len, const char *filename,
                        wr_policy_set **out, wr_err *err) WR_MUST_CHECK;
/* Parses more policy text into an existing set (ids continue to be unique;
 * auto-generated ids continue policyN numbering per file as Cedar does). */
int wr_policy_set_add(wr_policy_set *ps, const char *text, size_t len,
                      const char *filename, wr_err *err) WR_MUST_CHECK;
/* Links a template: slots ?principal / ?resource bound to entity uids. */
int wr_policy_set_link(wr_policy_set *ps, const char *template_id, const char *new_id,
                       const char *principal_type, const char *principal_id,
                       const char *resource_type, const char *resource_id,
                       wr_err *err) WR_MUST_CHECK;
/* Validates every policy against a schema (unknown entity types, actions,
 * attributes, type errors).  Errors are "file:line:col: message". */
int wr_policy_set_validate(const wr_policy_set *ps, const wr_schema *schema,
                           wr_err *err) WR_MUST_CHECK;
void wr_policy_set_free(wr_policy_set *ps);
size_t wr_policy_set_count(const wr_policy_set *ps);
/* Id of the i-th policy, template or link (0 <= i < count), else NULL. */
const char *wr_policy_set_id_at(const wr_policy_set *ps, size_t i);
/* Value of annotation @key(...) on policy id, or NULL if absent (borrowed). */
const char *wr_policy_annotation(const wr_policy_set *ps, const char *policy_id,
                                 const char *key);
/* Effect of a policy: 1 permit, 0 forbid, -1 unknown id. */
int wr_policy_effect(const wr_policy_set *ps, const char *policy_id);

/* ---- entities ------------------------------------------------------------ */
/* Parses Cedar's entity JSON format (array of {uid, attrs, parents, tags},
 * with __entity / __extn escapes).  schema may be NULL. */
int wr_entities_parse(const char *json, size_t len, const wr_schema *schema,
                      wr_entities **out, wr_err *err) WR_MUST_CHECK;
int wr_entities_from_json(const json_t *array, const wr_schema *schema,
                          wr_entities **out, wr_err *err) WR_MUST_CHECK;
void wr_entities_free(wr_entities *e);

/* ---- authorization ------------------------------------------------------- */
typedef struct wr_request {
    const char *principal_type, *principal_id;
    const char *action_type, *action_id;      /* usually "Action", "name" */
    const char *resource_type, *resource_id;
    const json_t *context;                    /* a JSON object or NULL */
    const wr_schema *schema;                  /* NULL: no schema-based parsing */
} wr_request;

typedef struct wr_response {
    int allow;                      /* 1 allow, 0 deny */
    size_t nreason;
    const char *const *reason;      /* determining policy ids */
    size_t nerror;
    const char *const *error;       /* ids of policies that errored */
    const char *const *error_msg;   /* one message per errored policy */
} wr_response;

int wr_authz_new(wr_authz **out) WR_MUST_CHECK;
void wr_authz_free(wr_authz *a);

/* Decides one request.  The response's arrays live in the scratch `a` and
 * stay valid until the next call with the same `a`.  Fails only when the
 * request itself cannot be interpreted (e.g. context JSON that does not
 * match the schema); policy errors are reported in the response. */
int wr_authorize(wr_authz *a, const wr_policy_set *ps, const wr_entities *ents,
                 const wr_request *req, wr_response *out, wr_err *err) WR_MUST_CHECK;

#ifdef __cplusplus
}
#endif
#endif
