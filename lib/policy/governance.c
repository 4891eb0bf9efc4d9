/*
 * governance.c — obligations from governance annotations (see
 * warrant/governance.h for the annotation language).
 *
 * An obligation set is a plain struct of fixed-size arrays, so combining
 * the obligations of several determining policies and several operations
 * never allocates, and a decision can carry it by value.
 */
#include "warrant/governance.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"advise", "draft", "recommend", "execute"};
static const char *const risk_names[] = {"low", "medium", "high", "critical"};
/* Canonical stage order: the people closest to the resource decide first. */
static const char *const role_order[] = {"owner", "manager", "it", "security", "risk", "compliance", "audit"};
#define NROLES (sizeof role_order / sizeof role_order[0])

int wr_mode_parse(const char *s)
{
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, mode_names[i]) == 0)
            return 1 << i;
    return 0;
}

const char *wr_mode_name(int mode)
{
    for (int i = 0; i < 4; i++)
        if (mode == 1 << i)
            return mode_names[i];
    return "unknown";
}

const char *wr_risk_name(int risk)
{
    return risk >= 0 && risk < 4 ? risk_names[risk] : "unknown";
}

static int role_rank(const char *role)
{
    for (size_t i = 0; i < NROLES; i++)
        if (strcmp(role, role_order[i]) == 0)
            return (int)i;
    return -1;
}

void wr_obligations_init(wr_obligations *o)
{
    memset(o, 0, sizeof *o);
    o->modes = WR_MODE_ALL;
}

/* Splits s at any of seps, trimming blanks; calls fn for each non-empty
 * item.  Items longer than 63 bytes are an error. */
static int each_item(const char *s, const char *seps, int (*fn)(const char *item, void *arg),
                     void *arg)
{
    char item[64];
    const char *p = s;
    while (*p) {
        while (*p && (strchr(seps, *p) || isspace((unsigned char)*p)))
            p++;
        if (!*p)
            break;
        const char *start = p;
        while (*p && !strchr(seps, *p))
            p++;
        const char *end = p;
        while (end > start && isspace((unsigned char)end[-1]))
            end--;
        if ((size_t)(end - start) >= sizeof item)
            return WR_ELIMIT;
        memcpy(item, start, (size_t)(end - start));
        item[end - start] = '\0';
        int rc = fn(item, arg);
        if (rc)
            return rc;
    }
    return WR_OK;
}

static int add_mode(const char *item, void *arg)
{
    int m = wr_mode_parse(item);
    if (!m)
        return WR_EINVAL;
    *(int *)arg |= m;
    return WR_OK;
}

static int add_stage(const char *item, void *arg)
{
    wr_obligations *o = arg;
    if (o->nstages >= WR_GOV_MAX_STAGES)
        return WR_ELIMIT;
    wr_gov_stage *st = &o->stages[o->nstages];
    const char *colon = strchr(item, ':');
    size_t rlen = colon ? (size_t)(colon - item) : strlen(item);
    if (rlen == 0 || rlen >= sizeof st->role)
        return WR_EINVAL;
    memcpy(st->role, item, rlen);
    st->role[rlen] = '\0';
    if (role_rank(st->role) < 0)
        return WR_EINVAL;
    st->count = 1;
    if (colon) {
        if (strcmp(colon + 1, "all") == 0) {
            st->count = -1;
        } else {
            char *end;
            long n = strtol(colon + 1, &end, 10);
            if (*end || n < 1 || n > 16)
                return WR_EINVAL;
            st->count = (int)n;
        }
    }
    for (size_t i = 0; i < o->nstages; i++)
        if (strcmp(o->stages[i].role, st->role) == 0)
            return WR_EINVAL;   /* a role appears once; use ROLE:N */
    o->nstages++;
    return WR_OK;
}

static int add_evidence(const char *item, void *arg)
{
    wr_obligations *o = arg;
    for (size_t i = 0; i < o->nevidence; i++)
        if (strcmp(o->evidence[i], item) == 0)
            return WR_OK;
    if (o->nevidence >= WR_GOV_MAX_EVIDENCE || strlen(item) >= sizeof o->evidence[0])
        return WR_ELIMIT;
    for (const char *c = item; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_' || *c == '-'))
            return WR_EINVAL;
    strcpy(o->evidence[o->nevidence++], item);
    return WR_OK;
}

static int add_floor(const char *item, void *arg)
{
    wr_obligations *o = arg;
    if (o->nfloors >= WR_GOV_MAX_FLOORS)
        return WR_ELIMIT;
    wr_gov_floor *f = &o->floors[o->nfloors];
    const char *op = strpbrk(item, "<>");
    if (!op || op[1] != '=')
        return WR_EINVAL;
    size_t mlen = (size_t)(op - item);
    while (mlen > 0 && isspace((unsigned char)item[mlen - 1]))
        mlen--;
    if (mlen == 0 || mlen >= sizeof f->metric)
        return WR_EINVAL;
    memcpy(f->metric, item, mlen);
    f->metric[mlen] = '\0';
    for (const char *c = f->metric; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '_'))
            return WR_EINVAL;
    f->at_least = op[0] == '>';
    char *end;
    const char *num = op + 2;
    while (isspace((unsigned char)*num))
        num++;
    f->bound = strtol(num, &end, 10);
    if (end == num || *end)
        return WR_EINVAL;
    o->nfloors++;
    return WR_OK;
}

int wr_obligations_from_policy(const wr_policy_set *ps, const char *policy_id,
                               wr_obligations *o, wr_err *err)
{
    const char *v;
    int rc;
    if ((v = wr_policy_annotation(ps, policy_id, "modes"))) {
        int modes = 0;
        if ((rc = each_item(v, ",", add_mode, &modes)) || !modes)
            return wr_fail(err, WR_EINVAL, "policy %s: @modes(\"%s\"): expected a list of "
                           "advise, draft, recommend, execute", policy_id, v);
        o->modes = modes;
    }
    if ((v = wr_policy_annotation(ps, policy_id, "approvals"))) {
        if ((rc = each_item(v, ";,", add_stage, o)))
            return wr_fail(err, WR_EINVAL, "policy %s: @approvals(\"%s\"): expected stages like "
                           "\"owner; security:2\" with roles owner, manager, it, security, risk, "
                           "compliance, audit (each once, at most %d stages)",
                           policy_id, v, WR_GOV_MAX_STAGES);
    }
    if ((v = wr_policy_annotation(ps, policy_id, "approval_timeout"))) {
        if (wr_span_parse(v, &o->approval_timeout) || o->approval_timeout == 0)
            return wr_fail(err, WR_EINVAL, "policy %s: @approval_timeout(\"%s\"): expected a span "
                           "like \"72h\" or \"3d\"", policy_id, v);
    }
    if ((v = wr_policy_annotation(ps, policy_id, "grant_ttl"))) {
        if (wr_span_parse(v, &o->grant_ttl) || o->grant_ttl == 0)
            return wr_fail(err, WR_EINVAL, "policy %s: @grant_ttl(\"%s\"): expected a span like "
                           "\"30d\"", policy_id, v);
    }
    if ((v = wr_policy_annotation(ps, policy_id, "evidence"))) {
        if ((rc = each_item(v, ",;", add_evidence, o)))
            return wr_fail(err, WR_EINVAL, "policy %s: @evidence(\"%s\"): expected kinds like "
                           "\"ticket, validation_report, attestation\"", policy_id, v);
    }
    if ((v = wr_policy_annotation(ps, policy_id, "readiness_floor"))) {
        if ((rc = each_item(v, ",;", add_floor, o)))
            return wr_fail(err, WR_EINVAL, "policy %s: @readiness_floor(\"%s\"): expected bounds "
                           "like \"ownership_completeness>=95, orphan_rate<=2\"", policy_id, v);
    }
    if ((v = wr_policy_annotation(ps, policy_id, "risk"))) {
        int r = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(v, risk_names[i]) == 0)
                r = i;
        if (r < 0)
            return wr_fail(err, WR_EINVAL, "policy %s: @risk(\"%s\"): expected low, medium, high "
                           "or critical", policy_id, v);
        o->risk = r;
    }
    return WR_OK;
}

int wr_obligations_add_floors(wr_obligations *o, const char *spec)
{
    wr_obligations tmp;
    wr_obligations_init(&tmp);
    int rc = each_item(spec, ",;", add_floor, &tmp);
    if (rc == WR_OK)
        wr_obligations_combine(o, &tmp);
    return rc;
}

int wr_obligations_add_evidence(wr_obligations *o, const json_t *kinds)
{
    size_t i;
    json_t *k;
    if (!json_is_array(kinds))
        return WR_EINVAL;
    json_array_foreach(kinds, i, k) {
        int rc = json_is_string(k) ? add_evidence(json_string_value(k), o) : WR_EINVAL;
        if (rc)
            return rc;
    }
    return WR_OK;
}

int wr_obligations_check_set(const wr_policy_set *ps, wr_err *err)
{
    for (size_t i = 0; i < wr_policy_set_count(ps); i++) {
        const char *id = wr_policy_set_id_at(ps, i);
        if (wr_policy_effect(ps, id) != 1)
            continue;
        wr_obligations o;
        wr_obligations_init(&o);
        int rc = wr_obligations_from_policy(ps, id, &o, err);
        if (rc)
            return rc;
    }
    return WR_OK;
}

static int64_t min_span(int64_t a, int64_t b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    return a < b ? a : b;
}

void wr_obligations_combine(wr_obligations *into, const wr_obligations *other)
{
    into->modes &= other->modes;
    /* merge stages by role, larger count wins (-1 = all beats any count) */
    for (size_t i = 0; i < other->nstages; i++) {
        const wr_gov_stage *s = &other->stages[i];
        size_t j;
        for (j = 0; j < into->nstages; j++) {
            if (strcmp(into->stages[j].role, s->role) == 0) {
                if (s->count == -1 || (into->stages[j].count != -1 && s->count > into->stages[j].count))
                    into->stages[j].count = s->count;
                break;
            }
        }
        if (j == into->nstages && into->nstages < WR_GOV_MAX_STAGES)
            into->stages[into->nstages++] = *s;
    }
    /* canonical order (insertion sort: at most 8 stages) */
    for (size_t i = 1; i < into->nstages; i++) {
        wr_gov_stage key = into->stages[i];
        size_t j = i;
        while (j > 0 && role_rank(into->stages[j - 1].role) > role_rank(key.role)) {
            into->stages[j] = into->stages[j - 1];
            j--;
        }
        into->stages[j] = key;
    }
    into->approval_timeout = min_span(into->approval_timeout, other->approval_timeout);
    into->grant_ttl = min_span(into->grant_ttl, other->grant_ttl);
    for (size_t i = 0; i < other->nevidence; i++)
        (void)add_evidence(other->evidence[i], into);
    for (size_t i = 0; i < other->nfloors; i++) {
        const wr_gov_floor *f = &other->floors[i];
        size_t j;
        for (j = 0; j < into->nfloors; j++) {
            wr_gov_floor *g = &into->floors[j];
            if (strcmp(g->metric, f->metric) == 0 && g->at_least == f->at_least) {
                if (f->at_least ? f->bound > g->bound : f->bound < g->bound)
                    g->bound = f->bound;
                break;
            }
        }
        if (j == into->nfloors && into->nfloors < WR_GOV_MAX_FLOORS)
            into->floors[into->nfloors++] = *f;
    }
    if (other->risk > into->risk)
        into->risk = other->risk;
}

int wr_obligations_floors_met(const wr_obligations *o, const json_t *readiness,
                              const wr_gov_floor **failed)
{
    for (size_t i = 0; i < o->nfloors; i++) {
        const wr_gov_floor *f = &o->floors[i];
        json_t *v = readiness ? json_object_get(readiness, f->metric) : NULL;
        /* an unknown metric never satisfies a floor: fail closed */
        int ok = v && json_is_number(v) &&
                 (f->at_least ? json_number_value(v) >= (double)f->bound
                              : json_number_value(v) <= (double)f->bound);
        if (!ok) {
            if (failed)
                *failed = f;
            return 0;
        }
    }
    return 1;
}

json_t *wr_obligations_to_json(const wr_obligations *o)
{
    json_t *modes = json_array(), *stages = json_array(), *evidence = json_array(),
           *floors = json_array();
    for (int i = 0; i < 4; i++)
        if (o->modes & (1 << i))
            json_array_append_new(modes, json_string(mode_names[i]));
    for (size_t i = 0; i < o->nstages; i++) {
        json_t *st = json_pack("{s:s}", "role", o->stages[i].role);
        json_object_set_new(st, "count", o->stages[i].count < 0 ? json_string("all")
                                                                : json_integer(o->stages[i].count));
        json_array_append_new(stages, st);
    }
    for (size_t i = 0; i < o->nevidence; i++)
        json_array_append_new(evidence, json_string(o->evidence[i]));
    for (size_t i = 0; i < o->nfloors; i++) {
        char expr[96];
        snprintf(expr, sizeof expr, "%s%s%ld", o->floors[i].metric,
                 o->floors[i].at_least ? ">=" : "<=", o->floors[i].bound);
        json_array_append_new(floors, json_string(expr));
    }
    json_t *out = json_pack("{s:o,s:o,s:o,s:o,s:s}", "modes", modes, "approvals", stages,
                            "evidence", evidence, "readiness_floor", floors,
                            "risk", wr_risk_name(o->risk));
    json_object_set_new(out, "approval_timeout_s",
                        json_integer(o->approval_timeout ? o->approval_timeout : 72 * 3600));
    if (o->grant_ttl)
        json_object_set_new(out, "grant_ttl_s", json_integer(o->grant_ttl));
    return out;
}
