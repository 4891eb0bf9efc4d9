/*
 * cli_print.c — how a governed change reads on a terminal: who asked, for
 * whom, what, what policy said and why, who approved, what happens next.
 */
#include "cli.h"

#include <string.h>

static const char *s(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static void print_op(const json_t *op)
{
    const char *name = s(op, "op");
    if (strcmp(name, "grant") == 0)
        printf("    - grant %s to account %s%s%s\n", s(op, "entitlement"), s(op, "account"),
               json_object_get(op, "expires_at") ? ", expires " : "", s(op, "expires_at"));
    else if (strcmp(name, "revoke") == 0)
        printf("    - revoke %s from account %s\n", s(op, "entitlement"), s(op, "account"));
    else if (strcmp(name, "disable") == 0 || strcmp(name, "enable") == 0)
        printf("    - %s account %s\n", name, s(op, "account"));
    else if (strcmp(name, "transfer_ownership") == 0)
        printf("    - transfer ownership of %s to %s\n", s(op, "object"), s(op, "to"));
    else if (strcmp(name, "rotate_credential") == 0)
        printf("    - rotate credential %s\n", s(op, "credential"));
    else
        printf("    - %s\n", name);
}

static void print_actor(const char *label, const json_t *a)
{
    printf("  %-13s %s (%s", label, s(a, "id"), s(a, "kind"));
    if (json_object_get(a, "on_behalf_of"))
        printf(", acting for %s", s(a, "on_behalf_of"));
    if (json_object_get(a, "owner"))
        printf(", accountable owner %s", s(a, "owner"));
    printf(")\n");
}

int cli_change_exit(const json_t *c)
{
    const char *state = json_string_value(json_object_get(c, "state"));
    if (state && strcmp(state, "denied") == 0)
        return 5;
    if (state && strcmp(state, "failed") == 0)
        return 6;   /* validation found the target does not match */
    json_t *d = json_object_get(c, "decision");
    if (!state && d && strcmp(s(d, "outcome"), "deny") == 0)
        return 5;
    return 0;
}

void cli_print_change(const wr_cli *cli, const json_t *c)
{
    if (cli->json) {
        cli_print_json(c);
        return;
    }
    json_t *d = json_object_get(c, "decision");
    if (!json_object_get(c, "state")) {
        /* advice or a draft: a decision, no change */
        printf("%s %s: %s\n", s(c, "mode"), s(c, "id"), s(d, "outcome"));
    } else {
        printf("change %s  [%s]  risk %s\n", s(c, "id"), s(c, "state"), s(c, "risk"));
        print_actor("initiator", json_object_get(c, "initiator"));
        printf("  %-13s %s, %s, system %s\n", "mode", s(c, "mode"), s(c, "environment"), s(c, "system"));
        if (json_object_get(c, "mandate") && !json_is_null(json_object_get(c, "mandate")))
            printf("  %-13s %s\n", "mandate", s(c, "mandate"));
        if (json_object_get(c, "rollback_of") && !json_is_null(json_object_get(c, "rollback_of")))
            printf("  %-13s %s\n", "rolls back", s(c, "rollback_of"));
        json_t *req = json_object_get(c, "request");
        printf("  operations\n");
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(req, "operations"), i, v)
            print_op(v);
        if (json_object_get(req, "recommendation"))
            printf("  %-13s %s\n", "recommends", s(req, "recommendation"));
        if (json_object_get(req, "rationale"))
            printf("  %-13s %s\n", "because", s(req, "rationale"));
        json_array_foreach(json_object_get(req, "inputs"), i, v)
            printf("  %-13s %s %s\n", i ? "" : "informed by", s(v, "source"), s(v, "sha256"));
    }
    printf("  %-13s %s\n", "decision", s(d, "outcome"));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(d, "explanation"), i, v)
        printf("  %-13s %s\n", "", json_string_value(v));
    if (json_array_size(json_object_get(d, "policies"))) {
        printf("  %-13s", "policies");
        json_array_foreach(json_object_get(d, "policies"), i, v)
            printf("%s%s", i ? ", " : " ", json_string_value(v));
        printf("\n");
    }
    json_array_foreach(json_object_get(d, "errors"), i, v)
        printf("  %-13s %s\n", "policy error", json_string_value(v));
    json_t *ready = json_object_get(d, "readiness");
    if (json_object_size(ready)) {
        printf("  %-13s", "readiness");
        const char *k;
        json_object_foreach(ready, k, v)
            printf(" %s=%g", k, json_number_value(v));
        printf("\n");
    }
    json_array_foreach(json_object_get(d, "stages"), i, v) {
        printf("  %-13s %zu. %s (%lld needed; eligible:", i ? "" : "stages", i + 1, s(v, "role"),
               (long long)json_integer_value(json_object_get(v, "count")));
        size_t j;
        json_t *e;
        json_array_foreach(json_object_get(v, "eligible"), j, e)
            printf(" %s", json_string_value(e));
        printf(")\n");
    }
    json_array_foreach(json_object_get(c, "approvals"), i, v)
        printf("  %-13s %s %s stage %lld (%s): \"%s\"\n", i ? "" : "approvals", s(v, "approver"),
               strcmp(s(v, "verdict"), "approve") == 0 ? "approved" : "rejected",
               (long long)json_integer_value(json_object_get(v, "stage")) + 1, s(v, "role"), s(v, "reason"));
    json_t *pend = json_object_get(c, "pending_stage");
    if (pend) {
        printf("  %-13s stage %lld (%s), %lld of %lld approved; may approve now:",
               "waiting for", (long long)json_integer_value(json_object_get(pend, "index")) + 1, s(pend, "role"),
               (long long)json_integer_value(json_object_get(pend, "approved")),
               (long long)json_integer_value(json_object_get(pend, "count")));
        json_array_foreach(json_object_get(pend, "eligible_approvers"), i, v)
            printf(" %s", json_string_value(v));
        printf("  (deadline %s)\n", s(c, "stage_deadline"));
    }
    json_t *inv = json_object_get(c, "inverse");
    if (json_array_size(inv)) {
        printf("  rollback plan\n");
        json_array_foreach(inv, i, v)
            print_op(v);
    }
    json_array_foreach(json_object_get(c, "evidence"), i, v)
        printf("  %-13s %s %s\n", i ? "" : "evidence", s(v, "kind"), s(v, "ref"));
}
