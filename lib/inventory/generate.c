/*
 * generate.c — a synthetic enterprise for demos, tests and benchmarks.
 *
 * Writes identities.csv, systems.csv, accounts.csv, entitlements.csv,
 * grants.csv, credentials.csv and roles.csv (the CSV import format of
 * README-inventory.md) describing an organisation of `identities`
 * identities: about 85 % people in seven departments (finance, hr,
 * engineering, sales, it, security, legal) with joiners and leavers, and
 * 15 % non-human identities (service accounts, API keys, bots, AI agents)
 * with owners — some without.  Accounts follow each department's systems,
 * grants follow a Zipf-like popularity of each system's entitlements, and
 * the readiness problems are planted on purpose: leavers whose accounts
 * stay active and accounts with no identity (orphans), accounts and grants
 * unused for months (dormant, excessive), privileged grants held by
 * non-human identities, secrets in code/config/CI and unrotated secrets.
 * Planted values stay far from every threshold (a "recent" use is within
 * 30 days, a stale one older than 120), so the counts do not depend on
 * the second the metrics are computed, as long as it is within a few
 * weeks of generation.
 *
 * Everything comes from one xoshiro256** stream seeded by splitmix64 from
 * `seed`, and every timestamp is relative to wr_now(): the same seed and
 * WARRANT_NOW give byte-identical files.  While writing, the generator
 * counts what it planted by the metric definitions and returns those
 * counts as ground truth.
 *
 * Always present, for every seed and size (demo scripts may rely on them):
 *   systems (always all 12): payroll (domain finance, owner alice.nguyen,
 *     critical), hr-portal (hr, carol.diaz), github (engineering, dave.kim),
 *     salesforce (sales, erin.lopez), aws-prod (engineering, dave.kim,
 *     critical, privileged entitlements), okta and slack (it, bob.martin),
 *     netsuite (finance, alice.nguyen), jira (engineering, dave.kim),
 *     workday (hr, carol.diaz), crowdstrike (security, frank.osei),
 *     docusign (legal, grace.okafor).
 *   people: alice.nguyen (finance, Payroll Application Owner), bob.martin
 *     (it), carol.diaz (hr), dave.kim (engineering), erin.lopez (sales),
 *     frank.osei (security), grace.okafor (legal) — all active; and
 *     mallory.reed (finance, terminated, her payroll:mallory.reed account
 *     still active: a planted orphan) and henry.walsh (finance, on leave).
 *   non-human: svc-payroll-sync (service_account, owner alice.nguyen,
 *     account payroll:svc-payroll-sync holding payroll:admin),
 *     agent-access-copilot (ai_agent, owner dave.kim), and
 *     apikey-salesforce-export (api_key, no owner, secret in code).
 *   entitlements: payroll:viewer, payroll:approver, payroll:admin,
 *     github:read, github:write, github:admin, aws-prod:readonly,
 *     aws-prod:admin, ... (see the table below).
 * Other people are first-name.last-name[N] drawn from the seed.
 */
#include "inventory_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- PRNG: splitmix64 seeding xoshiro256** ------------------------------ */
typedef struct rng {
    uint64_t s[4];
} rng;

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t next(rng *r)
{
    uint64_t res = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = rotl(r->s[3], 45);
    return res;
}

/* Uniform in [0, n). */
static uint64_t below(rng *r, uint64_t n)
{
    return n ? next(r) % n : 0;
}

/* True with probability pct/1000. */
static int chance(rng *r, unsigned permille)
{
    return below(r, 1000) < permille;
}

/* ---- the organisation's shape ---------------------------------------------- */
enum { FIN, HR, ENG, SALES, IT, SEC, LEGAL, NDEPT };
static const char *const dept_name[NDEPT] = {"finance", "hr", "engineering", "sales", "it",
                                             "security", "legal"};
static const unsigned dept_weight[NDEPT] = {12, 8, 30, 20, 10, 6, 4};

#define MAXENT 12
static const struct gsys {
    const char *id, *name, *domain, *owner, *criticality;
    unsigned use[NDEPT];           /* permille of each department with an account */
    const char *ents[MAXENT];      /* by popularity; privilege from the name */
    int nhi;                       /* non-human identities get accounts here */
} systems[] = {
    {"payroll", "Payroll", "finance", "alice.nguyen", "critical", {1000, 300, 0, 0, 50, 0, 0},
     {"viewer", "payslip-self", "approver", "payrun-operator", "admin"}, 1},
    {"hr-portal", "HR Portal", "hr", "carol.diaz", "high", {150, 1000, 100, 100, 100, 100, 100},
     {"employee", "manager-view", "hr-partner", "compensation-edit", "admin"}, 0},
    {"github", "GitHub", "engineering", "dave.kim", "high", {0, 0, 1000, 0, 500, 400, 0},
     {"read", "write", "maintain", "actions-deployer", "admin"}, 1},
    {"salesforce", "Salesforce", "sales", "erin.lopez", "high", {200, 0, 0, 1000, 50, 0, 100},
     {"sales-user", "report-viewer", "opportunity-edit", "data-export", "admin"}, 1},
    {"aws-prod", "AWS production", "engineering", "dave.kim", "critical", {0, 0, 400, 0, 500, 500, 0},
     {"readonly", "developer", "deployer", "iam-admin", "admin"}, 1},
    {"okta", "Okta", "it", "bob.martin", "critical", {1000, 1000, 1000, 1000, 1000, 1000, 1000},
     {"user", "helpdesk", "app-admin", "admin"}, 0},
    {"slack", "Slack", "it", "bob.martin", "medium", {1000, 1000, 1000, 1000, 1000, 1000, 1000},
     {"member", "channel-manager", "workspace-admin"}, 1},
    {"netsuite", "NetSuite", "finance", "alice.nguyen", "high", {800, 0, 0, 50, 0, 0, 0},
     {"read", "ap-clerk", "gl-write", "approver", "admin"}, 0},
    {"jira", "Jira", "engineering", "dave.kim", "medium", {0, 0, 900, 100, 600, 300, 0},
     {"user", "project-lead", "admin"}, 1},
    {"workday", "Workday", "hr", "carol.diaz", "high", {50, 1000, 0, 0, 0, 0, 0},
     {"worker", "hr-analyst", "payroll-partner", "admin"}, 0},
    {"crowdstrike", "CrowdStrike", "security", "frank.osei", "critical", {0, 0, 0, 0, 400, 1000, 0},
     {"analyst", "responder", "admin"}, 1},
    {"docusign", "DocuSign", "legal", "grace.okafor", "medium", {100, 0, 0, 300, 0, 0, 1000},
     {"sender", "template-admin", "admin"}, 0},
};
#define NSYS (sizeof systems / sizeof systems[0])

static const char *privilege_of(const char *ent)
{
    if (strstr(ent, "admin"))
        return "admin";
    if (strstr(ent, "approver") || strstr(ent, "deployer") || strstr(ent, "operator") ||
        strstr(ent, "write") || strstr(ent, "edit") || strstr(ent, "export") ||
        strstr(ent, "responder") || strstr(ent, "maintain"))
        return "privileged";
    if (strstr(ent, "read") || strstr(ent, "viewer") || strstr(ent, "self") || strstr(ent, "view"))
        return "low";
    return "standard";
}

static int is_high(const char *ent)
{
    const char *p = privilege_of(ent);
    return p[0] == 'a' || p[0] == 'p';
}

static int nents(const struct gsys *g)
{
    int n = 0;
    while (n < MAXENT && g->ents[n])
        n++;
    return n;
}

/* Zipf-like: rank r with weight 1/(r+1). */
static int zipf(rng *r, int n)
{
    double total = 0, x;
    for (int i = 0; i < n; i++)
        total += 1.0 / (i + 1);
    x = (double)(next(r) >> 11) / 9007199254740992.0 * total;
    for (int i = 0; i < n; i++) {
        x -= 1.0 / (i + 1);
        if (x < 0)
            return i;
    }
    return n - 1;
}

/* The role model: each department that uses a system is expected to hold
 * its two most popular entitlements there. */
static int in_role(int dept, size_t sys, int rank)
{
    return dept >= 0 && systems[sys].use[dept] > 0 && rank < 2;
}

static const char *const first_names[] = {
    "amir", "beatriz", "chen", "dana", "emeka", "fatima", "gabriel", "hana", "ivan", "jasmine",
    "kofi", "lena", "mateo", "nadia", "omar", "priya", "quentin", "rosa", "sanjay", "tara",
    "umar", "valeria", "wei", "ximena", "yusuf", "zoe", "aaron", "bianca", "carlos", "deepa",
    "elias", "freya", "gustavo", "helen", "isaac", "julia", "kenji", "laila", "marco", "nora",
    "oscar", "paula", "rahul", "sofia", "tomas", "ursula", "victor", "wanda", "yara", "zain"};
static const char *const last_names[] = {
    "abara", "berg", "costa", "dubois", "eriksen", "fischer", "garcia", "haddad", "ito", "jensen",
    "kowalski", "larsen", "moreau", "novak", "okonkwo", "patel", "quinn", "rossi", "schmidt",
    "tanaka", "ueda", "varga", "weber", "xu", "yilmaz", "zhang", "adeyemi", "bauer", "castro",
    "demir", "evans", "ferreira", "gomez", "horvat", "ibrahim", "johansson", "kim", "lopez",
    "meyer", "nakamura", "olsen", "popescu", "reyes", "silva", "torres", "usman", "vogel",
    "wang", "young", "ziegler"};
#define NFIRST (sizeof first_names / sizeof first_names[0])
#define NLAST (sizeof last_names / sizeof last_names[0])

/* ---- ground truth ----------------------------------------------------------- */
typedef struct truth {
    int64_t accounts, active, owned, orphaned, dormant;
    int64_t grants, accurate, excessive;
} truth;

typedef struct gen {
    rng r;
    int64_t now;
    FILE *f[7];
    truth all, by_sys[NSYS];
    int64_t nhi, nhi_owned, creds, outside_vault, stale;
    /* people: status (0 active, 1 leave, 2 terminated) and department */
    uint8_t *status, *dept;
    char (*ids)[48];
    uint64_t npeople;
    int io_error;
} gen;
enum { F_ID, F_SYS, F_ACC, F_ENT, F_GRANT, F_CRED, F_ROLE };
static const char *const file_names[7] = {"identities.csv", "systems.csv", "accounts.csv",
                                          "entitlements.csv", "grants.csv", "credentials.csv",
                                          "roles.csv"};

static void ts(int64_t t, char out[21])
{
    if (t <= 0)
        out[0] = '\0';
    else
        wr_time_format(t, out);
}

static int64_t days_ago(gen *g, int64_t lo, int64_t hi)
{
    return g->now - (lo + (int64_t)below(&g->r, (uint64_t)(hi - lo + 1))) * INV_DAY -
           (int64_t)below(&g->r, INV_DAY);
}

/* One grant of entitlement rank `rank` of system sys to an account whose
 * holder has status hstatus (-1: no holder), department dept (-1: none),
 * non-human nhi. */
static void emit_grant(gen *g, size_t sys, const char *acc, int rank, int dept, int nhi)
{
    char granted[21], used[21], cert[21];
    int64_t granted_at = days_ago(g, 100, 1500), last_used = 0, certified = 0;
    int unused = chance(&g->r, 80);
    if (unused)
        last_used = chance(&g->r, 500) ? 0 : days_ago(g, 120, 700);
    else if (chance(&g->r, 50))
        granted_at = days_ago(g, 1, 30);   /* new, not used yet: not unused */
    else
        last_used = days_ago(g, 0, 30);
    unsigned c = (unsigned)below(&g->r, 100);
    int recent_cert = c < 30;
    if (recent_cert)
        certified = days_ago(g, 1, 200);
    else if (c < 40)
        certified = days_ago(g, 500, 900);
    ts(granted_at, granted);
    ts(last_used, used);
    ts(certified, cert);
    const char *ent = systems[sys].ents[rank];
    fprintf(g->f[F_GRANT], "%s,%s:%s,%s,%s,%s,,%s\n", acc, systems[sys].id, ent, granted,
            g->ids[below(&g->r, g->npeople < 7 ? g->npeople : 7)], used, cert);
    int accurate = recent_cert || in_role(dept, sys, rank);
    int excessive = unused || (nhi && is_high(ent));
    truth *t[2] = {&g->all, &g->by_sys[sys]};
    for (int i = 0; i < 2; i++) {
        t[i]->grants++;
        t[i]->accurate += accurate;
        t[i]->excessive += excessive;
    }
}

/* One account; holder_status -1 = no identity. */
static void emit_account(gen *g, size_t sys, const char *login, const char *identity,
                         int holder_status, int dept, int nhi, int force_active)
{
    char acc[128], used[21], created[21];
    snprintf(acc, sizeof acc, "%s:%s", systems[sys].id, login);
    int active = force_active || holder_status != 2 || chance(&g->r, 350);
    int64_t created_at = days_ago(g, 100, 2000), last_used = 0;
    int dormant = 0;
    if (active) {
        unsigned c = (unsigned)below(&g->r, 1000);
        if (c < 60) {
            dormant = 1;                       /* unused for months */
            last_used = days_ago(g, 120, 600);
        } else if (c < 80) {
            dormant = 1;                       /* created long ago, never used */
        } else if (c < 100) {
            created_at = days_ago(g, 1, 30);   /* a joiner: not used yet */
        } else {
            last_used = days_ago(g, 0, 30);
        }
    } else {
        last_used = days_ago(g, 120, 900);
    }
    ts(created_at, created);
    ts(last_used, used);
    fprintf(g->f[F_ACC], "%s,%s,%s,%s,%s,%s,%s\n", acc, systems[sys].id, login,
            identity ? identity : "", active ? "active" : "disabled", used, created);
    truth *t[2] = {&g->all, &g->by_sys[sys]};
    for (int i = 0; i < 2; i++) {
        t[i]->accounts++;
        if (!active)
            continue;
        t[i]->active++;
        t[i]->owned += holder_status == 0;
        t[i]->orphaned += holder_status == -1 || holder_status == 2;
        t[i]->dormant += dormant;
    }
    /* grants: the role entitlement first, then Zipf picks, no repeats */
    int n = nents(&systems[sys]), k = 2 + (int)below(&g->r, 6), taken = 0;
    for (int i = 0; i < k; i++) {
        int rank = i == 0 && !nhi ? 0 : zipf(&g->r, n);
        if (nhi && chance(&g->r, 200))
            rank = n - 1;                      /* planted: admin held by a machine */
        if (taken & (1 << rank))
            continue;
        taken |= 1 << rank;
        emit_grant(g, sys, acc, rank, dept, nhi);
    }
}

static size_t sys_index(const char *id)
{
    for (size_t i = 0; i < NSYS; i++)
        if (strcmp(systems[i].id, id) == 0)
            return i;
    return 0;
}

static void emit_person(gen *g, uint64_t i, const char *id, int dept, int status,
                        const char *title)
{
    char created[21], term[21];
    snprintf(g->ids[i], sizeof g->ids[i], "%s", id);
    g->status[i] = (uint8_t)status;
    g->dept[i] = (uint8_t)dept;
    ts(days_ago(g, 100, 3000), created);
    ts(status == 2 ? days_ago(g, 10, 300) : 0, term);
    char first[48], *dot;
    snprintf(first, sizeof first, "%s", id);
    if ((dot = strchr(first, '.')))
        *dot = ' ';
    if (first[0] >= 'a' && first[0] <= 'z')
        first[0] = (char)(first[0] - 32);
    if (dot && dot[1] >= 'a' && dot[1] <= 'z')
        dot[1] = (char)(dot[1] - 32);
    const char *manager = i > 0 ? g->ids[below(&g->r, i < 9 ? i : 9)] : "";
    fprintf(g->f[F_ID], "%s,human,%s,%s@example.com,%s,%s,%s,%s,,%s,%s\n", id, first, id,
            dept_name[dept], title, manager, status == 0 ? "active" : status == 1 ? "leave"
            : "terminated", created, term);
    for (size_t s = 0; s < NSYS; s++) {
        int want = strcmp(id, "mallory.reed") == 0 ? s == 0 : chance(&g->r, systems[s].use[dept]);
        if (strcmp(id, systems[s].owner) == 0)
            want = 1;
        if (want)
            emit_account(g, s, id, id, status, dept, 0, strcmp(id, "mallory.reed") == 0);
    }
}

static void emit_nhi(gen *g, const char *id, const char *kind, int owner_ix, int status,
                     size_t sys, const char *location)
{
    char created[21], rotated[21];
    const char *owner = owner_ix >= 0 ? g->ids[owner_ix] : "";
    int owner_status = owner_ix >= 0 ? g->status[owner_ix] : -1;
    int dept = owner_ix >= 0 ? g->dept[owner_ix] : -1;
    ts(days_ago(g, 100, 1500), created);
    fprintf(g->f[F_ID], "%s,%s,%s,,%s,,,%s,%s,%s,\n", id, kind, id, dept >= 0 ? dept_name[dept] : "",
            status == 2 ? "terminated" : "active", owner, created);
    if (status != 2) {
        g->nhi++;
        g->nhi_owned += owner_status == 0;
    }
    emit_account(g, sys, id, id, status, dept, 1, 0);
    if (chance(&g->r, 300)) {
        size_t other = sys;
        while (other == sys || !systems[other].nhi)
            other = below(&g->r, NSYS);
        emit_account(g, other, id, id, status, dept, 1, 0);
    }
    /* its credential */
    static const char *const locs[] = {"vault", "code", "config", "ci"};
    if (!location)
        location = chance(&g->r, 700) ? "vault" : locs[1 + below(&g->r, 3)];
    int64_t created_at = days_ago(g, 100, 1000), rotated_at = 0;
    int stale = 0;
    unsigned c = (unsigned)below(&g->r, 100);
    if (c < 60)
        rotated_at = days_ago(g, 0, 60);
    else if (c < 85)
        rotated_at = days_ago(g, 120, 700), stale = 1;
    else
        stale = 1;                             /* never rotated, created long ago */
    ts(created_at, created);
    ts(rotated_at, rotated);
    const char *ref = location[0] == 'v' ? "secret/data/" : location[0] == 'c' && location[1] == 'o'
                      ? "github.com/acme/monorepo/blob/main/" : location[0] == 'c'
                      ? "config/app-settings/" : "ci/pipelines/";
    fprintf(g->f[F_CRED], "cred-%s,%s,%s,%s,%s,%s%s,%s,%s\n", id, id, systems[sys].id,
            strcmp(kind, "api_key") == 0 ? "api_key" : strcmp(kind, "service_account") == 0
            ? "password" : "token", location, ref, id, created, rotated);
    g->creds++;
    g->outside_vault += location[0] != 'v';
    g->stale += stale;
}

static json_t *truth_json(const truth *t)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "accounts", (json_int_t)t->accounts,
                     "active_accounts", (json_int_t)t->active, "owned_accounts", (json_int_t)t->owned,
                     "orphaned_accounts", (json_int_t)t->orphaned, "dormant_accounts",
                     (json_int_t)t->dormant, "grants", (json_int_t)t->grants, "accurate_grants",
                     (json_int_t)t->accurate, "excessive_grants", (json_int_t)t->excessive);
}

static int open_files(gen *g, const char *outdir, wr_err *err)
{
    static const char *const headers[7] = {
        "id,kind,name,email,department,title,manager,status,owner,created_at,terminated_at",
        "id,name,domain,owner,connector,connector_config,criticality",
        "id,system,login,identity,status,last_used_at,created_at",
        "id,system,name,privilege,description",
        "account,entitlement,granted_at,granted_by,last_used_at,expires_at,certified_at",
        "id,identity,system,kind,location,location_ref,created_at,rotated_at",
        "department,entitlement"};
    for (int i = 0; i < 7; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", outdir, file_names[i]);
        if (!(g->f[i] = fopen(path, "w+")))
            return wr_fail(err, WR_EIO, "%s: %s", path, strerror(errno));
        setvbuf(g->f[i], NULL, _IOFBF, 1 << 20);
        fprintf(g->f[i], "%s\n", headers[i]);
    }
    return WR_OK;
}

/* The sample systems are managed through Warrant's own inventory (the
 * "inventory" connector): a generated organisation has no real directory
 * behind it. */
static void write_static(gen *g)
{
    for (size_t s = 0; s < NSYS; s++) {
        const struct gsys *y = &systems[s];
        fprintf(g->f[F_SYS], "%s,%s,%s,%s,inventory,\"{\"\"base_url\"\":\"\"https://%s.example.com\"\"}\",%s\n",
                y->id, y->name, y->domain, y->owner, y->id, y->criticality);
        for (int e = 0; e < nents(y); e++) {
            fprintf(g->f[F_ENT], "%s:%s,%s,%s,%s,%s %s\n", y->id, y->ents[e], y->id, y->ents[e],
                    privilege_of(y->ents[e]), y->name, y->ents[e]);
            for (int d = 0; d < NDEPT; d++)
                if (in_role(d, s, e))
                    fprintf(g->f[F_ROLE], "%s,%s:%s\n", dept_name[d], y->id, y->ents[e]);
        }
    }
}

int wr_inventory_generate(const char *outdir, uint64_t identities, uint64_t seed,
                          json_t **ground_truth, wr_err *err)
{
    if (identities < 20 || identities > 100000000)
        return wr_fail(err, WR_EINVAL, "generate: identities must be between 20 and 100000000");
    int rc = wr_mkdirs(outdir, 0755, err);
    if (rc)
        return rc;
    gen *g = calloc(1, sizeof *g);
    uint64_t npeople = identities - identities * 15 / 100;
    if (!g)
        return wr_fail(err, WR_ENOMEM, "out of memory");
    g->status = calloc(npeople, 1);
    g->dept = calloc(npeople, 1);
    g->ids = calloc(npeople, sizeof *g->ids);
    if (!g->status || !g->dept || !g->ids) {
        rc = wr_fail(err, WR_ENOMEM, "out of memory");
        goto out;
    }
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        g->r.s[i] = splitmix64(&x);
    g->now = wr_now();
    if ((rc = open_files(g, outdir, err)))
        goto out;
    write_static(g);
    static const struct { const char *id, *title; int dept, status; } fixed[] = {
        {"alice.nguyen", "Payroll Application Owner", FIN, 0}, {"bob.martin", "IT Manager", IT, 0},
        {"carol.diaz", "HR Director", HR, 0}, {"dave.kim", "Engineering Manager", ENG, 0},
        {"erin.lopez", "Sales Operations Lead", SALES, 0}, {"frank.osei", "Security Lead", SEC, 0},
        {"grace.okafor", "General Counsel", LEGAL, 0}, {"mallory.reed", "Payroll Specialist", FIN, 2},
        {"henry.walsh", "Accountant", FIN, 1}};
    uint64_t nfixed = sizeof fixed / sizeof fixed[0];
    for (uint64_t i = 0; i < nfixed; i++)
        emit_person(g, i, fixed[i].id, fixed[i].dept, fixed[i].status, fixed[i].title);
    g->npeople = nfixed;
    uint8_t used[NFIRST * NLAST] = {0};
    for (uint64_t i = nfixed; i < npeople; i++) {
        char id[48];
        uint64_t combo = below(&g->r, NFIRST * NLAST);
        /* first-name.last-name; a pair already taken gets the person's
         * (unique) index appended, so ids never clash */
        snprintf(id, sizeof id, "%s.%s", first_names[combo % NFIRST], last_names[combo / NFIRST]);
        if (used[combo])
            snprintf(id + strlen(id), sizeof id - strlen(id), "%llu", (unsigned long long)i);
        used[combo] = 1;
        uint64_t w = below(&g->r, 90), d = 0;
        while (w >= dept_weight[d])
            w -= dept_weight[d++];
        unsigned c = (unsigned)below(&g->r, 100);
        g->npeople = i + 1;
        emit_person(g, i, id, (int)d, c < 88 ? 0 : c < 92 ? 1 : 2, "Staff");
    }
    /* Accounts nobody owns: shared, legacy and break-glass logins. */
    uint64_t nnoid = npeople / 200 + 2;
    for (uint64_t i = 0; i < nnoid; i++) {
        char login[48];
        snprintf(login, sizeof login, "%s-%llu", i % 3 == 0 ? "breakglass" : i % 3 == 1 ? "legacy"
                 : "shared", (unsigned long long)i);
        emit_account(g, below(&g->r, NSYS), login, NULL, -1, -1, 0, 0);
    }
    emit_nhi(g, "svc-payroll-sync", "service_account", 0, 0, sys_index("payroll"), "vault");
    emit_nhi(g, "agent-access-copilot", "ai_agent", 3, 0, sys_index("okta"), "vault");
    emit_nhi(g, "apikey-salesforce-export", "api_key", -1, 0, sys_index("salesforce"), "code");
    static const char *const kinds[] = {"service_account", "service_account", "api_key", "bot",
                                        "ai_agent"};
    for (uint64_t i = npeople + 3; i < identities; i++) {
        char id[64];
        const char *kind = kinds[below(&g->r, 5)];
        size_t sys = below(&g->r, NSYS);
        while (!systems[sys].nhi)
            sys = below(&g->r, NSYS);
        snprintf(id, sizeof id, "%s-%s-%llu", kind[0] == 's' ? "svc" : kind[0] == 'a' && kind[1] == 'p'
                 ? "apikey" : kind[0] == 'b' ? "bot" : "agent", systems[sys].id, (unsigned long long)i);
        unsigned c = (unsigned)below(&g->r, 100);
        int owner = c < 8 ? -1 : (int)below(&g->r, g->npeople);
        emit_nhi(g, id, kind, owner, chance(&g->r, 50) ? 2 : 0, sys, NULL);
    }
    for (int i = 0; i < 7; i++)
        if (ferror(g->f[i]))
            g->io_error = 1;
    if (g->io_error) {
        rc = wr_fail(err, WR_EIO, "generate: write error in %s", outdir);
        goto out;
    }
    if (ground_truth) {
        json_t *t = truth_json(&g->all), *per = json_object();
        json_object_set_new(t, "nhi", json_integer(g->nhi));
        json_object_set_new(t, "nhi_owned", json_integer(g->nhi_owned));
        json_object_set_new(t, "nhi_without_owner", json_integer(g->nhi - g->nhi_owned));
        json_object_set_new(t, "credentials", json_integer(g->creds));
        json_object_set_new(t, "secrets_outside_vault", json_integer(g->outside_vault));
        json_object_set_new(t, "stale_secrets", json_integer(g->stale));
        json_object_set_new(t, "identities", json_integer((json_int_t)identities));
        for (size_t s = 0; s < NSYS; s++)
            json_object_set_new(per, systems[s].id, truth_json(&g->by_sys[s]));
        json_object_set_new(t, "systems", per);
        *ground_truth = t;
    }
out:
    for (int i = 0; i < 7; i++)
        if (g->f[i] && fclose(g->f[i]) != 0 && rc == WR_OK)
            rc = wr_fail(err, WR_EIO, "generate: cannot write %s/%s", outdir, file_names[i]);
    free(g->status);
    free(g->dept);
    free(g->ids);
    free(g);
    return rc;
}
