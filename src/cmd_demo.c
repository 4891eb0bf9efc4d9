/*
 * cmd_demo.c — `warrant demo run|generate`: the whole governance loop,
 * narrated, on a realistic sample organisation.
 *
 * run builds a fresh data directory: a synthetic enterprise from the
 * generator (people, departments, twelve applications with owners,
 * accounts, skewed entitlements, service accounts, planted orphans and
 * dormant accounts, secrets in code), imported into the inventory; the
 * people of the story as principals, one copilot per analyst, two agents
 * with mandates and a rotation service; the default policy set.  Then it
 * plays the loop, each step through the same public API the CLI uses:
 * readiness, a copilot that drafts and recommends but is refused
 * execution, an agent that proposes revocations of orphaned accounts under
 * its mandate, owner and security approvals, execution, validation and
 * closure with evidence, separation-of-duties refusals, a step outside the
 * mandate, a readiness gate, the sandbox, a rollback, expiry of a
 * time-bound grant, the lineage of one change and verification of the
 * whole log.  Given a directory (--ldap-config), it also brings that
 * directory under governance: first sync, an orphan's admin rights
 * revoked on the real server after approval, read back, and a second sync
 * that finds no drift.
 */
#include "cli.h"
#include "warrant/connector.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_demo_summary[] = "run the narrated demo, or generate a synthetic enterprise";

static const char usage[] =
    "usage: warrant demo run [--data DIR] [--identities N] [--seed S] [--ldap-config FILE]\n"
    "       warrant demo generate --out DIR [--identities N] [--seed S]\n\n"
    "run initialises DIR (it must not hold a store yet), loads a synthetic\n"
    "organisation of N identities (default 600) and plays the governance loop.\n"
    "--ldap-config FILE adds the LDAP leg: FILE is an ldap connector\n"
    "configuration (docs/connectors.md) of a directory loaded with\n"
    "examples/demo/directory.ldif; scripts/demo.sh starts one when slapd is\n"
    "installed.\n"
    "generate only writes the organisation as CSV files into DIR.\n";

typedef struct demo {
    wr_ctx *ctx;
    int step;
    int failures;   /* expectations of the story that did not hold */
} demo;

static void chapter(demo *d, const char *title)
{
    int tty = isatty(STDOUT_FILENO);
    printf("\n%s%d. %s%s\n", tty ? "\033[1m" : "", ++d->step, title, tty ? "\033[0m" : "");
}

static void say(const char *fmt, ...) WR_PRINTF(1, 2);
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("   ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

static const char *js(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* Reports an outcome the story expects; a surprise counts as a failure so
 * the demo exits non-zero rather than narrating something untrue. */
static void expect(demo *d, int ok, const char *what, const wr_err *err)
{
    if (ok)
        return;
    d->failures++;
    printf("   !! unexpected: %s%s%s\n", what, err && err->msg[0] ? ": " : "", err ? err->msg : "");
}

static json_t *principal(const char *id, const char *kind, const char *name, const char *obo, const char *owner,
                         const char *role1, const char *role2)
{
    json_t *p = json_pack("{s:s,s:s,s:s,s:s?,s:s?,s:[]}", "id", id, "kind", kind, "name", name, "on_behalf_of", obo,
                          "owner", owner, "roles");
    if (role1)
        json_array_append_new(json_object_get(p, "roles"), json_string(role1));
    if (role2)
        json_array_append_new(json_object_get(p, "roles"), json_string(role2));
    return p;
}

static void print_decision(const json_t *c)
{
    json_t *dec = json_object_get(c, "decision");
    size_t i;
    json_t *v;
    printf("   -> %s", js(dec, "outcome"));
    if (json_object_get(c, "state"))
        printf(" (change %s is %s)", js(c, "id"), js(c, "state"));
    printf("\n");
    json_array_foreach(json_object_get(dec, "explanation"), i, v)
        printf("      %s\n", json_string_value(v));
}

/* Proposes as `who`; returns the change (caller decrefs) or NULL. */
static json_t *propose(demo *d, const char *who, const char *mode, const char *env, json_t *ops, const char *rec,
                       const char *why, json_t *inputs, wr_err *err)
{
    json_t *req = json_pack("{s:s,s:s,s:o,s:s,s:s,s:o}", "mode", mode, "environment", env, "operations", ops,
                            "recommendation", rec, "rationale", why, "inputs", inputs ? inputs : json_array());
    wr_actor a = {who, "cli"};
    json_t *out = NULL;
    int rc = wr_change_propose(d->ctx, &a, req, &out, err);
    json_decref(req);
    return rc == WR_OK ? out : NULL;
}

static int act(demo *d, const char *who, const char *verb, const char *id, const char *reason, json_t **out,
               wr_err *err)
{
    wr_actor a = {who, "cli"};
    json_t *res = NULL;
    int rc;
    if (strcmp(verb, "approve") == 0)
        rc = wr_change_approve(d->ctx, &a, id, reason, &res, err);
    else if (strcmp(verb, "reject") == 0)
        rc = wr_change_reject(d->ctx, &a, id, reason, &res, err);
    else if (strcmp(verb, "execute") == 0)
        rc = wr_change_execute(d->ctx, &a, id, &res, err);
    else if (strcmp(verb, "validate") == 0)
        rc = wr_change_validate(d->ctx, &a, id, &res, err);
    else
        rc = wr_change_rollback(d->ctx, &a, id, reason, &res, err);
    if (out)
        *out = res;
    else
        json_decref(res);
    return rc;
}

static int close_with(demo *d, const char *who, const char *id, const char *kind, const char *ref, wr_err *err)
{
    wr_actor a = {who, "cli"};
    json_t *ev = json_pack("[{s:s,s:s}]", "kind", kind, "ref", ref), *out = NULL;
    int rc = wr_change_close(d->ctx, &a, id, ev, &out, err);
    json_decref(ev);
    json_decref(out);
    return rc;
}

static int load_org(demo *d, const char *dir, uint64_t n, uint64_t seed, wr_err *err)
{
    char orgdir[4200];
    snprintf(orgdir, sizeof orgdir, "%s/sample-org", dir);
    json_t *truth = NULL;
    int rc = wr_inventory_generate(orgdir, n, seed, &truth, err);
    json_decref(truth);
    if (rc)
        return rc;
    static const char *const files[] = {"identities", "systems", "entitlements", "accounts",
                                        "grants", "credentials", "roles"};
    uint64_t rows = 0;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/%s.csv", orgdir, files[i]);
        wr_import_opts opts = {0};
        opts.kind = files[i];
        opts.source = "sample-org";
        wr_import_stats st = {0};
        if ((rc = wr_inventory_import_file(wr_ctx_store(d->ctx), path, &opts, &st, NULL, err)))
            return rc;
        rows += st.added;
    }
    say("imported %llu records (identities, applications, accounts, entitlements, grants, secrets) from %s",
        (unsigned long long)rows, orgdir);
    return wr_sandbox_reset(d->ctx, err);
}

static void readiness_line(demo *d, const char *system, json_t **cedar_out)
{
    json_t *m = NULL;
    wr_err err = {0};
    if (wr_readiness_compute(wr_ctx_store(d->ctx), "system", system, &m, &err) != WR_OK) {
        expect(d, 0, "readiness", &err);
        return;
    }
    json_t *c = json_object_get(m, "cedar");
    say("%-12s ownership %3lld%%  orphans %3lld%% (%lld)  dormant %3lld%%  entitlement accuracy %3lld%%", system,
        (long long)json_integer_value(json_object_get(c, "ownership_completeness")),
        (long long)json_integer_value(json_object_get(c, "orphan_rate")),
        (long long)json_integer_value(json_object_get(c, "orphaned_accounts")),
        (long long)json_integer_value(json_object_get(c, "dormant_rate")),
        (long long)json_integer_value(json_object_get(c, "entitlement_accuracy")));
    if (cedar_out)
        *cedar_out = json_incref(c);
    json_decref(m);
}

/* Sum of the counts of some drift lists of a sync report. */
static json_int_t drift_count(const json_t *report, const char *const *lists, size_t n)
{
    json_int_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += json_integer_value(json_object_get(json_object_get(json_object_get(report, "drift"), lists[i]),
                                                    "count"));
    return total;
}

/* The LDAP leg: a real directory (examples/demo/directory.ldif served by
 * a throwaway slapd) becomes system corp-directory.  Every step goes to
 * the server through the ldap connector; nothing here touches LDAP
 * directly, so what the demo shows is what a deployment does. */
static void ldap_leg(demo *d, const json_t *cfg)
{
    wr_err err = {0};
    chapter(d, "A real directory under governance (LDAP)");
    const char *sys = "corp-directory";
    static const char systems[] = "{\"systems\":[{\"id\":\"corp-directory\",\"name\":\"Corporate directory\","
                                  "\"domain\":\"it\",\"owner\":\"bob.martin\",\"criticality\":\"high\"}]}";
    wr_import_opts io = {0};
    io.source = "demo";
    wr_import_stats st = {0};
    int rc = wr_inventory_import_buffer(wr_ctx_store(d->ctx), "corp-directory.json", systems, sizeof systems - 1,
                                        &io, &st, NULL, &err);
    if (rc == WR_OK)
        rc = wr_inventory_system_set_connector(wr_ctx_store(d->ctx), sys, "ldap", cfg, &err);
    expect(d, rc == WR_OK, "registering the directory", &err);
    if (rc)
        return;
    say("system corp-directory (owner bob.martin) now executes through the ldap connector:");
    say("%s, base %s; the bind password stays in its file, never in the store or the log",
        js(cfg, "url"), js(cfg, "base_dn"));

    wr_actor bob = {"bob.martin", "cli"};
    wr_sync_opts so = {0};
    json_t *rep = NULL;
    rc = wr_sync(d->ctx, &bob, sys, &so, &rep, &err);
    expect(d, rc == WR_OK, "first sync", &err);
    if (rc)
        return;
    static const char *const orphan_list[] = {"orphans"};
    json_int_t orphans = drift_count(rep, orphan_list, 1);
    say("first sync read %lld accounts and %lld group memberships into the inventory;",
        (long long)json_integer_value(json_object_get(rep, "target_accounts")),
        (long long)json_integer_value(json_object_get(rep, "target_memberships")));
    say("%lld account(s) match no identity (orphans), recorded as sync.drift in the log:", (long long)orphans);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(json_object_get(json_object_get(rep, "drift"), "orphans"), "items"), i, v)
        say("  %s", json_is_string(v) ? json_string_value(v) : js(v, "account"));
    expect(d, orphans == 2, "two orphans in the directory", NULL);
    json_decref(rep);
    readiness_line(d, sys, NULL);
    say("(a directory records no last use and no certification, so its accounts count as dormant");
    say("and its grants as unreviewed until an access review runs: readiness says so, honestly)");

    say("sam.rivera (security operations) finds an orphan still in domain-admins and recommends");
    say("removing it and locking the account:");
    json_t *c = propose(d, "sam.rivera", "recommend", "production",
                        json_pack("[{s:s,s:s,s:s},{s:s,s:s}]", "op", "revoke", "account",
                                  "corp-directory:temp.contractor7", "entitlement", "corp-directory:domain-admins",
                                  "op", "disable", "account", "corp-directory:temp.contractor7"),
                        "revoke domain-admins from temp.contractor7 and disable the account",
                        "the account matches no identity (the contract ended) yet holds directory admin rights",
                        NULL, &err);
    expect(d, c != NULL, "proposal on the directory", &err);
    if (!c)
        return;
    print_decision(c);
    char id[64];
    snprintf(id, sizeof id, "%s", js(c, "id"));
    json_decref(c);
    /* the decision names the stages; approve with the owner, then security if asked */
    static const char *const approvers[] = {"bob.martin", "frank.osei"};
    for (size_t a = 0; a < 2 && rc == WR_OK; a++) {
        json_t *res = NULL;
        rc = act(d, approvers[a], "approve", id, "orphaned admin account; contract ended (ticket SEC-2207)", &res,
                 &err);
        if (rc == WR_OK)
            say("%s approves -> %s", approvers[a], js(res, "state"));
        int done = rc == WR_OK && strcmp(js(res, "state"), "approved") == 0;
        json_decref(res);
        if (done)
            break;
    }
    expect(d, rc == WR_OK, "approvals on the directory change", &err);
    json_t *out = NULL;
    rc = act(d, "sam.rivera", "execute", id, NULL, &out, &err);
    expect(d, rc == WR_OK && strcmp(js(out, "state"), "executed") == 0, "execution on LDAP", &err);
    if (rc == WR_OK) {
        say("executed on the directory server; each operation was read back from LDAP at once,");
        say("and its inverse (re-add to domain-admins, unlock) was logged before it ran:");
        json_array_foreach(json_object_get(out, "result"), i, v) {
            char *t = json_dumps(v, JSON_COMPACT);
            say("  %s", t);
            free(t);
        }
    }
    json_decref(out);
    rc = act(d, "sam.rivera", "validate", id, NULL, NULL, &err);
    expect(d, rc == WR_OK, "validation against LDAP", &err);
    rc = close_with(d, "sam.rivera", id, "ticket", "SEC-2207", &err);
    expect(d, rc == WR_OK, "closure of the directory change", &err);
    say("validated by reading the directory again, closed with ticket SEC-2207");

    so.dry_run = 1;
    rc = wr_sync(d->ctx, &bob, sys, &so, &rep, &err);
    expect(d, rc == WR_OK, "second sync", &err);
    if (rc)
        return;
    static const char *const changes[] = {"unmanaged", "missing", "new_accounts", "new_groups", "status_changed"};
    json_int_t drift = drift_count(rep, changes, sizeof changes / sizeof changes[0]);
    say("a second sync compares directory and inventory again: %lld difference(s) besides the", (long long)drift);
    say("orphans — the inventory already knows what Warrant changed on the server");
    expect(d, drift == 0, "no drift after a governed change", NULL);
    json_decref(rep);
}

static void story(demo *d, const char *dir, uint64_t n, uint64_t seed, const json_t *ldap)
{
    wr_err err = {0};
    json_t *c = NULL, *out = NULL;
    int rc;

    chapter(d, "A sample organisation");
    if (load_org(d, dir, n, seed, &err) != WR_OK) {
        expect(d, 0, "loading the sample organisation", &err);
        return;
    }
    json_t *people[] = {
        principal("alice.nguyen", "human", "Alice Nguyen (Payroll application owner)", NULL, NULL, NULL, NULL),
        principal("frank.osei", "human", "Frank Osei (Security)", NULL, NULL, "security", NULL),
        principal("sam.rivera", "human", "Sam Rivera (Security operations)", NULL, NULL, "security", NULL),
        principal("grace.okafor", "human", "Grace Okafor (Compliance)", NULL, NULL, "compliance", "audit"),
        principal("bob.martin", "human", "Bob Martin (IAM analyst, IT)", NULL, NULL, "it", NULL),
        principal("erin.lopez", "human", "Erin Lopez (IAM analyst, Sales ops)", NULL, NULL, NULL, NULL),
        principal("carol.diaz", "human", "Carol Diaz (HR systems owner)", NULL, NULL, NULL, NULL),
        principal("dave.kim", "human", "Dave Kim (Engineering, owns the agents)", NULL, NULL, NULL, NULL),
        principal("copilot-bob.martin", "copilot", "Bob's IAM copilot", "bob.martin", NULL, NULL, NULL),
        principal("copilot-erin.lopez", "copilot", "Erin's IAM copilot", "erin.lopez", NULL, NULL, NULL),
        principal("agent-orphan-sweeper", "agent", "Digital employee: orphaned-account remediation", NULL,
                  "dave.kim", NULL, NULL),
        principal("agent-access-reviewer", "agent", "Digital employee: HR access review", NULL, "grace.okafor",
                  NULL, NULL),
        principal("svc-secrets-rotator", "service", "Secrets rotation service", NULL, "bob.martin", NULL, NULL),
    };
    for (size_t i = 0; i < sizeof people / sizeof people[0]; i++) {
        rc = wr_principal_add(d->ctx, NULL, people[i], NULL, &err);
        expect(d, rc == WR_OK, "adding a principal", &err);
        json_decref(people[i]);
    }
    say("principals: 8 people (owners, security, compliance, two IAM analysts), a copilot per analyst,");
    say("two agents with accountable owners, and a secrets-rotation service");

    chapter(d, "Identity data readiness gates autonomy");
    json_t *payroll_ready = NULL;
    readiness_line(d, "payroll", &payroll_ready);
    readiness_line(d, "hr-portal", NULL);
    readiness_line(d, "github", NULL);
    say("policy 'agent-remediation' lets agents execute only while ownership_completeness >= 80");
    say("and orphan_rate <= 25 on the system they touch; below that AI may advise but not execute.");

    /* the orphaned payroll accounts the agent will remediate */
    /* orphaned accounts in the finance applications the agent will cover */
    json_t *orphans = json_array();
    static const char *const finance[] = {"payroll", "netsuite"};
    for (size_t f = 0; f < 2; f++) {
        json_t *some = NULL;
        if (wr_readiness_offenders(wr_ctx_store(d->ctx), "orphan_rate", "system", finance[f], 5, &some, &err)) {
            expect(d, 0, "listing orphaned accounts", &err);
            json_decref(orphans);
            return;
        }
        json_array_extend(orphans, some);
        json_decref(some);
    }
    say("orphaned accounts in finance applications (%zu):", json_array_size(orphans));
    size_t i;
    json_t *o;
    json_array_foreach(orphans, i, o)
        say("  %s — %s", js(o, "id"), js(o, "reason"));
    char *orphans_text = json_dumps(orphans, JSON_COMPACT);

    chapter(d, "A copilot drafts and recommends for its human");
    json_t *ops = json_pack("[{s:s,s:s,s:s}]", "op", "revoke", "account", "payroll:mallory.reed", "entitlement",
                            "payroll:approver");
    say("copilot-bob.martin drafts a revocation of payroll:approver from mallory.reed (a leaver):");
    c = propose(d, "copilot-bob.martin", "draft", "production", json_deep_copy(ops), "revoke payroll:approver",
                "mallory.reed left the company; her payroll account is still active", NULL, &err);
    expect(d, c != NULL, "copilot draft", &err);
    if (c)
        print_decision(c);
    json_decref(c);
    say("... and recommends it, with the HR feed as input signal (only its digest is kept):");
    json_t *inputs = json_pack("[{s:s,s:s}]", "source", "hr-feed:leavers", "content", orphans_text);
    c = propose(d, "copilot-bob.martin", "recommend", "production", ops, "revoke payroll:approver",
                "mallory.reed left the company; her payroll account is still active", inputs, &err);
    expect(d, c && strcmp(js(c, "state"), "awaiting_approval") == 0, "copilot recommendation awaiting approval", &err);
    char copilot_change[64] = "";
    if (c) {
        print_decision(c);
        snprintf(copilot_change, sizeof copilot_change, "%s", js(c, "id"));
    }
    json_decref(c);
    say("bob.martin, the human behind the copilot, tries to approve it:");
    rc = act(d, "bob.martin", "approve", copilot_change, "looks right", NULL, &err);
    expect(d, rc == WR_EDENIED, "self-approval refused", NULL);
    say("-> refused: %s", err.msg);
    say("alice.nguyen, payroll's owner, approves:");
    rc = act(d, "alice.nguyen", "approve", copilot_change, "confirmed leaver with HR (ticket HR-4411)", NULL, &err);
    expect(d, rc == WR_OK, "owner approval", &err);
    say("the copilot tries to execute it:");
    rc = act(d, "copilot-bob.martin", "execute", copilot_change, NULL, NULL, &err);
    expect(d, rc == WR_EDENIED, "copilot refused execution", NULL);
    say("-> refused: %s", err.msg);
    say("bob.martin executes it himself:");
    rc = act(d, "bob.martin", "execute", copilot_change, NULL, &out, &err);
    expect(d, rc == WR_OK, "human execution", &err);
    if (out)
        say("-> %s; rollback plan recorded before it ran", js(out, "state"));
    json_decref(out);
    out = NULL;
    rc = act(d, "bob.martin", "validate", copilot_change, NULL, NULL, &err);
    expect(d, rc == WR_OK, "validation", &err);
    rc = close_with(d, "bob.martin", copilot_change, "ticket", "HR-4411", &err);
    expect(d, rc == WR_OK, "closure with ticket", &err);
    say("validated against the inventory and closed with evidence ticket HR-4411");

    chapter(d, "A digital employee gets a mandate");
    json_t *mspec = json_pack("{s:s,s:s,s:[s,s],s:[s,s],s:i,s:s,s:s,s:[s]}", "agent", "agent-orphan-sweeper",
                              "purpose", "remove orphaned accounts in finance applications", "systems", "payroll",
                              "netsuite", "actions", "revoke", "disable", "max_changes", 4, "duration", "14d",
                              "readiness_floor", "ownership_completeness>=60", "evidence", "ticket");
    wr_actor dave = {"dave.kim", "cli"};
    json_t *mandate = NULL;
    rc = wr_mandate_create(d->ctx, &dave, mspec, &mandate, &err);
    json_decref(mspec);
    expect(d, rc == WR_OK, "mandate", &err);
    char mandate_id[64] = "";
    if (mandate)
        snprintf(mandate_id, sizeof mandate_id, "%s", js(mandate, "id"));
    json_decref(mandate);
    say("dave.kim gives agent-orphan-sweeper mandate %s: payroll and netsuite, revoke and disable,", mandate_id);
    say("at most 4 changes within 14 days, closure evidence: ticket");

    chapter(d, "The agent remediates orphaned accounts, with human approval");
    char agent_changes[2][64] = {"", ""};
    size_t k = 0;
    json_array_foreach(orphans, i, o) {
        if (k == 2)
            break;
        const char *acct = js(o, "id");
        if (strcmp(acct, "payroll:mallory.reed") == 0)
            continue;
        json_t *dops = json_pack("[{s:s,s:s}]", "op", "disable", "account", acct);
        json_t *in = json_pack("[{s:s,s:s}]", "source", "warrant:readiness:orphan_rate", "content", orphans_text);
        c = propose(d, "agent-orphan-sweeper", "recommend", "production", dops, "disable orphaned account",
                    "account has no active owner in the HR source of truth", in, &err);
        expect(d, c && strcmp(js(c, "state"), "awaiting_approval") == 0, "agent proposal", &err);
        if (c) {
            say("agent proposes: disable %s", acct);
            print_decision(c);
            snprintf(agent_changes[k++], sizeof agent_changes[0], "%s", js(c, "id"));
        }
        json_decref(c);
    }
    if (k < 2) {
        expect(d, 0, "two orphaned accounts to remediate", NULL);
        free(orphans_text);
        json_decref(orphans);
        json_decref(payroll_ready);
        return;
    }
    say("dave.kim, accountable for the agent, tries to approve its change:");
    rc = act(d, "dave.kim", "approve", agent_changes[0], "fine by me", NULL, &err);
    expect(d, rc == WR_EDENIED, "owner-of-agent approval refused", NULL);
    say("-> refused: %s", err.msg);
    say("the agent tries to approve its own change:");
    rc = act(d, "agent-orphan-sweeper", "approve", agent_changes[0], "approved", NULL, &err);
    expect(d, rc == WR_EDENIED, "AI approval refused", NULL);
    say("-> refused: %s", err.msg);
    for (k = 0; k < 2; k++) {
        rc = act(d, "alice.nguyen", "approve", agent_changes[k], "orphaned per HR feed; no business need", NULL, &err);
        expect(d, rc == WR_OK, "owner approval", &err);
        say("alice.nguyen (owner) approves %s", agent_changes[k]);
        rc = act(d, "alice.nguyen", "approve", agent_changes[k], "again", NULL, &err);
        expect(d, rc == WR_EDENIED || rc == WR_ESTATE, "second approval by the same person refused", NULL);
        rc = act(d, "frank.osei", "approve", agent_changes[k], "no active sessions; safe to disable", NULL, &err);
        expect(d, rc == WR_OK, "security approval", &err);
        say("frank.osei (security) approves %s", agent_changes[k]);
        rc = act(d, "agent-orphan-sweeper", "execute", agent_changes[k], NULL, &out, &err);
        expect(d, rc == WR_OK, "agent execution", &err);
        say("agent executes %s -> %s", agent_changes[k], out ? js(out, "state") : err.msg);
        json_decref(out);
        out = NULL;
        rc = act(d, "agent-orphan-sweeper", "validate", agent_changes[k], NULL, NULL, &err);
        expect(d, rc == WR_OK, "agent validation", &err);
    }
    rc = close_with(d, "agent-orphan-sweeper", agent_changes[0], "ticket", "INC-20417", &err);
    expect(d, rc == WR_OK, "agent closure", &err);
    say("the agent validates both and closes %s with ticket INC-20417", agent_changes[0]);
    wr_actor agent = {"agent-orphan-sweeper", "cli"};
    json_t *none = json_array();
    rc = wr_change_close(d->ctx, &agent, agent_changes[1], none, &out, &err);
    json_decref(none);
    expect(d, rc == WR_EINVAL, "closure without evidence refused", NULL);
    say("closing %s without its ticket is refused: %s", agent_changes[1], err.msg);
    rc = close_with(d, "agent-orphan-sweeper", agent_changes[1], "ticket", "INC-20418", &err);
    expect(d, rc == WR_OK, "agent closure", &err);

    chapter(d, "Outside the mandate");
    c = propose(d, "agent-orphan-sweeper", "recommend", "production",
                json_pack("[{s:s,s:s}]", "op", "disable", "account", "github:dave.kim"), "disable",
                "tidy up", NULL, &err);
    expect(d, c && strcmp(js(c, "state"), "denied") == 0, "out-of-mandate denial", &err);
    say("the agent proposes to disable an account in github:");
    if (c)
        print_decision(c);
    json_decref(c);
    c = propose(d, "agent-orphan-sweeper", "recommend", "production",
                json_pack("[{s:s,s:s,s:s}]", "op", "grant", "account", "payroll:svc-payroll-sync", "entitlement",
                          "payroll:approver"), "grant", "needed for sync", NULL, &err);
    say("the agent proposes to grant access in payroll:");
    expect(d, c && strcmp(js(c, "state"), "denied") == 0, "agent grant denied", &err);
    if (c)
        print_decision(c);
    json_decref(c);

    chapter(d, "Readiness gate: below the bar, AI may advise but not execute");
    json_t *hr_ready = NULL;
    readiness_line(d, "hr-portal", &hr_ready);
    long own = (long)json_integer_value(json_object_get(hr_ready, "ownership_completeness"));
    char floor[96];
    snprintf(floor, sizeof floor, "ownership_completeness>=%ld", own + 1);
    json_decref(hr_ready);
    json_t *rspec = json_pack("{s:s,s:s,s:[s],s:[s],s:i,s:s,s:s}", "agent", "agent-access-reviewer", "purpose",
                              "revoke stale HR portal access", "systems", "hr-portal", "actions", "revoke",
                              "max_changes", 2, "duration", "7d", "readiness_floor", floor);
    wr_actor grace = {"grace.okafor", "cli"};
    rc = wr_mandate_create(d->ctx, &grace, rspec, &out, &err);
    json_decref(rspec);
    json_decref(out);
    out = NULL;
    expect(d, rc == WR_OK, "reviewer mandate", &err);
    say("grace.okafor's mandate for agent-access-reviewer demands %s; hr-portal is at %ld%%", floor, own);
    json_t *hr_grant = NULL;
    wr_inventory_query q = {"grants", "hr-portal", NULL, NULL, 1, 0};
    if (wr_inventory_search(wr_ctx_store(d->ctx), &q, &hr_grant, &err) == WR_OK &&
        json_array_size(json_object_get(hr_grant, "items"))) {
        json_t *g = json_array_get(json_object_get(hr_grant, "items"), 0);
        json_t *gop = json_pack("[{s:s,s:s,s:s}]", "op", "revoke", "account", js(g, "account"), "entitlement",
                                js(g, "entitlement"));
        c = propose(d, "agent-access-reviewer", "advise", "production", json_deep_copy(gop), "revoke",
                    "unused for 120 days", NULL, &err);
        say("the agent asks for advice on revoking %s from %s (mode advise):", js(g, "entitlement"), js(g, "account"));
        expect(d, c != NULL, "advice", &err);
        if (c)
            print_decision(c);
        json_decref(c);
        wr_actor rev = {"agent-access-reviewer", "cli"};
        json_t *dreq = json_pack("{s:s,s:O}", "mode", "execute", "operations", gop), *dec = NULL;
        rc = wr_decide(d->ctx, &rev, dreq, &dec, &err);
        expect(d, rc == WR_OK && strcmp(js(dec, "outcome"), "deny") == 0, "execution gated by readiness", &err);
        say("could it execute that itself?");
        if (dec) {
            json_t *wrapped = json_pack("{s:O}", "decision", dec);
            print_decision(wrapped);
            json_decref(wrapped);
        }
        json_decref(dec);
        json_decref(dreq);
        json_decref(gop);
    } else {
        expect(d, 0, "an hr-portal grant", &err);
    }
    json_decref(hr_grant);

    chapter(d, "Sandbox rehearsal never touches production");
    c = propose(d, "agent-orphan-sweeper", "execute", "sandbox",
                json_pack("[{s:s,s:s}]", "op", "disable", "account", "payroll:svc-payroll-sync"),
                "rehearse disabling the sync service", "what breaks if the sync account is off?", NULL, &err);
    expect(d, c && strcmp(js(c, "state"), "executed") == 0, "sandbox execution", &err);
    say("the agent disables payroll:svc-payroll-sync in the sandbox: %s, no approvals needed", c ? js(c, "state") : err.msg);
    json_decref(c);
    json_t *acct = NULL;
    wr_inventory_query aq = {"accounts", "payroll", "svc-payroll-sync", NULL, 5, 0};
    if (wr_inventory_search(wr_ctx_store(d->ctx), &aq, &acct, &err) == WR_OK) {
        json_t *a = json_array_get(json_object_get(acct, "items"), 0);
        say("in production the account is still %s", js(a, "status"));
        expect(d, strcmp(js(a, "status"), "active") == 0, "production untouched", NULL);
    }
    json_decref(acct);

    chapter(d, "A rollback is itself a governed change");
    rc = act(d, "sam.rivera", "rollback", agent_changes[1], "contractor account still needed until month end", &out,
             &err);
    expect(d, rc == WR_OK, "rollback proposal", &err);
    char rb[64] = "";
    if (out) {
        snprintf(rb, sizeof rb, "%s", js(out, "id"));
        say("sam.rivera (security) asks to roll back %s: new change %s (%s)", agent_changes[1], rb, js(out, "state"));
    }
    json_decref(out);
    out = NULL;
    rc = act(d, "alice.nguyen", "approve", rb, "agreed: re-enable until 31st", NULL, &err);
    expect(d, rc == WR_OK, "rollback approval", &err);
    rc = act(d, "sam.rivera", "execute", rb, NULL, &out, &err);
    expect(d, rc == WR_OK, "rollback execution", &err);
    json_decref(out);
    out = NULL;
    json_t *orig = NULL;
    if (wr_change_get(d->ctx, agent_changes[1], &orig, &err) == WR_OK) {
        say("alice.nguyen approves, sam.rivera executes: %s is now %s", agent_changes[1], js(orig, "state"));
        expect(d, strcmp(js(orig, "state"), "rolled_back") == 0, "original rolled back", NULL);
    }
    json_decref(orig);

    chapter(d, "Time-bound privileged access expires by itself");
    c = propose(d, "bob.martin", "recommend", "production",
                json_pack("[{s:s,s:s,s:s}]", "op", "grant", "account", "aws-prod:dave.kim", "entitlement",
                          "aws-prod:admin"), "grant break-glass admin", "incident INC-20500", NULL, &err);
    expect(d, c && strcmp(js(c, "state"), "awaiting_approval") == 0, "privileged grant routed", &err);
    char grant_change[64] = "";
    if (c) {
        snprintf(grant_change, sizeof grant_change, "%s", js(c, "id"));
        say("bob.martin asks for aws-prod:admin for dave.kim:");
        print_decision(c);
    }
    json_decref(c);
    rc = act(d, "dave.kim", "approve", grant_change, "incident response", NULL, &err);
    expect(d, rc == WR_OK, "owner approval (aws-prod)", &err);
    rc = act(d, "frank.osei", "approve", grant_change, "time-bound, incident open", NULL, &err);
    expect(d, rc == WR_OK, "security approval", &err);
    rc = act(d, "bob.martin", "execute", grant_change, NULL, &out, &err);
    expect(d, rc == WR_OK, "grant execution", &err);
    if (out) {
        json_t *op0 = json_array_get(json_object_get(json_object_get(out, "request"), "operations"), 0);
        say("approved by dave.kim (owner) and frank.osei (security), executed; expires %s", js(op0, "expires_at"));
    }
    json_decref(out);
    out = NULL;
    char later[32];
    wr_time_format(wr_now() + 31 * 86400, later);
    setenv("WARRANT_NOW", later, 1);
    rc = wr_expire(d->ctx, &out, &err);
    unsetenv("WARRANT_NOW");
    expect(d, rc == WR_OK && json_array_size(json_object_get(out, "grants")) >= 1, "grant expiry", &err);
    say("31 days later the timer revokes %zu expired grant(s), each recorded with its inverse",
        out ? json_array_size(json_object_get(out, "grants")) : 0);
    json_decref(out);
    out = NULL;

    chapter(d, "The mandate closes with a summary");
    json_t *mev = json_pack("[{s:s,s:s}]", "kind", "attestation", "ref", "Q4 orphan remediation sign-off");
    rc = wr_mandate_close(d->ctx, &dave, mandate_id, mev, &out, &err);
    json_decref(mev);
    expect(d, rc == WR_OK, "mandate closure", &err);
    if (out) {
        char *sum = json_dumps(json_object_get(json_object_get(out, "summary"), "by_state"), JSON_COMPACT);
        say("mandate %s closed: %lld of %lld changes used, by state %s", mandate_id,
            (long long)json_integer_value(json_object_get(out, "used")),
            (long long)json_integer_value(json_object_get(out, "max_changes")), sum);
        free(sum);
    }
    json_decref(out);
    out = NULL;

    chapter(d, "Decision lineage of one change, verified");
    if (wr_change_lineage(d->ctx, agent_changes[0], &out, &err) == WR_OK) {
        json_t *item;
        json_array_foreach(json_object_get(out, "entries"), i, item) {
            json_t *e = json_object_get(item, "entry");
            json_t *a = json_object_get(e, "actor");
            json_t *ap = json_object_get(e, "approval");
            printf("   #%-4lld %-24s %-22s %s%s%s\n", (long long)json_integer_value(json_object_get(item, "index")),
                   js(e, "kind"), js(a, "id"), ap ? "\"" : "", ap ? js(ap, "reason") : "", ap ? "\"" : "");
        }
        say("every entry's inclusion proof checks against the signed tree of size %lld",
            (long long)json_integer_value(json_object_get(out, "tree_size")));
    } else {
        expect(d, 0, "lineage", &err);
    }
    json_decref(out);
    out = NULL;

    if (ldap)
        ldap_leg(d, ldap);

    chapter(d, "Left for a person to decide in the console");
    c = propose(d, "bob.martin", "recommend", "production",
                json_pack("[{s:s,s:s,s:s}]", "op", "revoke", "account", "payroll:svc-payroll-sync", "entitlement",
                          "payroll:admin"),
                "revoke payroll:admin from the payroll sync service",
                "a non-human identity holding admin rights counts as excessive privilege; the sync job needs "
                "payroll:viewer only", NULL, &err);
    expect(d, c && strcmp(js(c, "state"), "awaiting_approval") == 0, "pending change for the console", &err);
    if (c) {
        say("bob.martin asks to revoke payroll:admin from svc-payroll-sync (%s); admin rights are", js(c, "id"));
        say("off limits to AI by policy, so a person proposes it. It waits for alice.nguyen, the owner:");
        say("decide it in the approver console (below).");
    }
    json_decref(c);

    chapter(d, "The whole log verifies");
    uint64_t bad = 0;
    rc = wr_ledger_verify(wr_ctx_ledger(d->ctx), &bad, &err);
    expect(d, rc == WR_OK, "log verification", &err);
    char *note = NULL;
    if (wr_ledger_checkpoint(wr_ctx_ledger(d->ctx), &note, &err) == WR_OK) {
        say("%llu entries recomputed; checkpoint signature valid. The signed checkpoint:",
            (unsigned long long)wr_ledger_size(wr_ctx_ledger(d->ctx)));
        for (char *line = strtok(note, "\n"); line; line = strtok(NULL, "\n"))
            printf("      %s\n", line);
    }
    free(note);
    free(orphans_text);
    json_decref(orphans);
    json_decref(payroll_ready);
}

int cmd_demo(int argc, char **argv, wr_cli *cli)
{
    if (argc < 2 || cli->help) {
        fputs(usage, cli->help ? stdout : stderr);
        return cli->help ? 0 : 2;
    }
    const char *ids = "600", *seed_s = "7", *outdir = NULL, *ldap_file = NULL, *pos[1];
    int npos = 0;
    cli_opt opts[] = {{"identities", 1, &ids, NULL}, {"seed", 1, &seed_s, NULL}, {"out", 1, &outdir, NULL},
                      {"ldap-config", 1, &ldap_file, NULL}, {NULL, 0, NULL, NULL}};
    int run = strcmp(argv[1], "run") == 0;
    if (!run && strcmp(argv[1], "generate") != 0)
        return cli_usage_error("demo", "unknown subcommand '%s'", argv[1]);
    if (cli_parse(argc - 1, argv + 1, run ? opts + 0 : opts, pos, 0, &npos))
        return 2;
    char *end;
    unsigned long long n = strtoull(ids, &end, 10), seed;
    if (*end || n < 100 || n > 10000000)
        return cli_usage_error("demo", "--identities must be a number from 100 to 10000000");
    seed = strtoull(seed_s, &end, 10);
    if (*end)
        return cli_usage_error("demo", "--seed must be a number");
    wr_err err = {0};
    if (!run) {
        if (!outdir)
            return cli_usage_error("demo", "generate needs --out DIR");
        json_t *truth = NULL;
        if (wr_inventory_generate(outdir, n, seed, &truth, &err) != WR_OK)
            return cli_fail(&err);
        if (cli->json)
            cli_print_json(truth);
        else
            printf("wrote a synthetic enterprise of %llu identities to %s\n", n, outdir);
        json_decref(truth);
        return 0;
    }
    if (outdir)
        return cli_usage_error("demo", "run takes --data, not --out");
    json_t *ldap = NULL;
    if (ldap_file) {
        json_error_t je;
        ldap = json_load_file(ldap_file, JSON_REJECT_DUPLICATES, &je);
        if (!json_is_object(ldap)) {
            json_decref(ldap);
            return cli_usage_error("demo", "--ldap-config %s:%d:%d: %s", ldap_file, je.line, je.column,
                                   ldap ? "not a JSON object" : je.text);
        }
    }
    printf("Warrant demo: AI in identity governance, end to end\n");
    printf("data directory: %s\n", cli->data_dir);
    demo d = {0};
    if (wr_ctx_init(cli->data_dir, NULL, &err) != WR_OK || wr_ctx_open(cli->data_dir, 0, &d.ctx, &err) != WR_OK) {
        json_decref(ldap);
        return cli_fail(&err);
    }
    story(&d, cli->data_dir, n, seed, ldap);
    json_decref(ldap);
    wr_ctx_close(d.ctx);
    if (d.failures) {
        printf("\n%d step(s) of the story did not go as expected\n", d.failures);
        return 1;
    }
    const char *dd = cli->data_dir;
    printf("\nDone. Explore it yourself, e.g.:\n"
           "  warrant --data %s change list\n"
           "  warrant --data %s lineage <change id>\n"
           "  warrant --data %s readiness --html readiness.html\n"
           "  warrant --data %s log verify\n"
           "Open the approver console as alice.nguyen:\n"
           "  warrant --data %s token create --as alice.nguyen\n"
           "  warrant --data %s serve --listen 127.0.0.1:8080\n"
           "  then browse to http://127.0.0.1:8080/ and paste the token\n", dd, dd, dd, dd, dd, dd);
    return 0;
}
