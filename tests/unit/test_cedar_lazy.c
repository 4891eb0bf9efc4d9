/*
 * test_cedar_lazy.c — the entity store's lazily computed ancestor arrays
 * (lib/policy/entities.c): answers against an independent model of the
 * hierarchy, computed in different orders, from several threads at once on
 * one fresh store, with cycles discovered lazily, and with the memo over
 * its memory cap (arrays computed per decision in the scratch instead).
 *
 * Hierarchy: users u0..u{NU-1}, user ui in group g(i % NG); groups form a
 * binary tree (g k's parent is g (k-1)/2); a cycle c0 -> c1 -> c2 -> c0 and
 * g0 -> c0 (so every group and user is also in the cycle); x -> c1.
 */
#include "check.h"
#include "policy/cedar.h"
#include "warrant/policy.h"

#include <pthread.h>
#include <stdatomic.h>

#define NU 400
#define NG 63
#define NTHREADS 6

static const char *policy_text =
    "permit(principal in Group::\"c0\", action, resource) when { principal in resource };";

static char *hierarchy_json(void)
{
    wr_buf b = WR_BUF_INIT;
    int ok = wr_buf_puts(&b, "[") == WR_OK;
    for (int i = 0; i < NU; i++)
        ok &= wr_buf_printf(&b, "{\"uid\":{\"type\":\"User\",\"id\":\"u%d\"},\"parents\":"
                                "[{\"type\":\"Group\",\"id\":\"g%d\"}]},", i, i % NG) == WR_OK;
    for (int k = 0; k < NG; k++) {
        if (k)
            ok &= wr_buf_printf(&b, "{\"uid\":{\"type\":\"Group\",\"id\":\"g%d\"},\"parents\":"
                                    "[{\"type\":\"Group\",\"id\":\"g%d\"}]},", k, (k - 1) / 2) == WR_OK;
        else
            ok &= wr_buf_puts(&b, "{\"uid\":{\"type\":\"Group\",\"id\":\"g0\"},\"parents\":"
                                  "[{\"type\":\"Group\",\"id\":\"c0\"}]},") == WR_OK;
    }
    for (int c = 0; c < 3; c++)
        ok &= wr_buf_printf(&b, "{\"uid\":{\"type\":\"Group\",\"id\":\"c%d\"},\"parents\":"
                                "[{\"type\":\"Group\",\"id\":\"c%d\"}]},", c, (c + 1) % 3) == WR_OK;
    ok &= wr_buf_puts(&b, "{\"uid\":{\"type\":\"Group\",\"id\":\"x\"},\"parents\":"
                          "[{\"type\":\"Group\",\"id\":\"c1\"}]}]") == WR_OK;
    if (!ok)
        abort();
    return b.data;
}

/* Resources queried: the groups, then c0..c2, then x. */
#define NR (NG + 4)
static void resource_id(int r, char *buf, size_t n)
{
    if (r < NG)
        snprintf(buf, n, "g%d", r);
    else if (r < NG + 3)
        snprintf(buf, n, "c%d", r - NG);
    else
        snprintf(buf, n, "x");
}

/* The model: is user u (or, for u < 0, cycle member c{-u-1} / x for -4)
 * in resource r? */
static int expected(int u, int r)
{
    if (r >= NG + 3)                 /* x: nobody is below x */
        return u == -4;
    if (r >= NG)                     /* cycle members: everyone reaches the cycle */
        return 1;
    if (u < 0)                       /* cycle members and x are below no group */
        return 0;
    for (int g = u % NG;; g = (g - 1) / 2) {
        if (g == r)
            return 1;
        if (g == 0)
            return 0;
    }
}

static int decide(wr_authz *az, const wr_policy_set *ps, const wr_entities *e, const char *pty,
                  const char *pid, int r)
{
    char rid[32];
    resource_id(r, rid, sizeof rid);
    wr_request req = {pty, pid, "Action", "view", "Group", rid, NULL, NULL};
    wr_response out;
    wr_err err = {0};
    if (wr_authorize(az, ps, e, &req, &out, &err) != WR_OK || out.nerror)
        return -1;
    return out.allow;
}

typedef struct worker {
    const wr_policy_set *ps;
    const wr_entities *ents;
    int start;
    int wrong;                   /* answers that differ from the model */
} worker;

/* Every (user, resource) pair, starting at a per-thread offset so threads
 * race to compute the same arrays. */
static void *work(void *arg)
{
    worker *w = arg;
    wr_authz *az;
    if (wr_authz_new(&az) != WR_OK) {
        w->wrong = -1;
        return NULL;
    }
    for (int k = 0; k < NU * NR; k++) {
        int idx = (k + w->start) % (NU * NR), u = idx / NR, r = idx % NR;
        char uid[32];
        snprintf(uid, sizeof uid, "u%d", u);
        w->wrong += decide(az, w->ps, w->ents, "User", uid, r) != expected(u, r);
    }
    wr_authz_free(az);
    return NULL;
}

static wr_entities *load(void);

/* A fresh store (nothing memoised) and the policy. */
static wr_entities *setup(wr_policy_set **ps)
{
    wr_err err = {0};
    wr_entities *e = NULL;
    *ps = NULL;
    if (wr_policy_set_parse(policy_text, strlen(policy_text), "p", ps, &err) != WR_OK)
        fprintf(stderr, "policy: %s\n", err.msg);
    else
        e = load();
    return e;
}

static wr_entities *load(void)
{
    char *j = hierarchy_json();
    wr_entities *e = NULL;
    wr_err err = {0};
    if (wr_entities_parse(j, strlen(j), NULL, &e, &err) != WR_OK)
        fprintf(stderr, "entities: %s\n", err.msg);
    free(j);
    return e;
}

static bool memoised(const wr_entities *e, const char *ty, const char *id)
{
    const cnode *n = centities_get(e, ty, id, strlen(id));
    return n && atomic_load(&((cnode *)n)->anc) != NULL;
}

TEST(concurrent_threads_on_one_fresh_store)
{
    wr_policy_set *ps;
    wr_entities *e = setup(&ps);
    CHECK(e != NULL && ps != NULL);
    CHECK(!memoised(e, "User", "u5"));     /* nothing computed at load time */
    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        w[t] = (worker){ps, e, t * 997, 0};
        CHECK_EQ_INT(pthread_create(&th[t], NULL, work, &w[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++) {
        pthread_join(th[t], NULL);
        CHECK_EQ_INT(w[t].wrong, 0);
    }
    CHECK(memoised(e, "User", "u5"));
    CHECK(memoised(e, "Group", "g7"));
    wr_policy_set_free(ps);
    wr_entities_free(e);
}

TEST(cycles_discovered_lazily_in_any_order)
{
    wr_policy_set *ps;
    wr_err err = {0};
    CHECK_OK(wr_policy_set_parse(policy_text, strlen(policy_text), "p", &ps, &err));
    wr_authz *az;
    CHECK_OK(wr_authz_new(&az));
    /* order 0: the cycle members first; order 1: x and the users first, so
     * their walks run into the cycle before any member is memoised */
    for (int order = 0; order < 2; order++) {
        wr_entities *e = load();
        CHECK(e != NULL);
        const char *first[] = {"c1", "c0", "c2"};
        for (int pass = 0; pass < 2; pass++) {
            if ((pass == 0) == (order == 0)) {
                for (int c = 0; c < 3; c++)
                    for (int r = 0; r < NR; r++)
                        CHECK_EQ_INT(decide(az, ps, e, "Group", first[c], r),
                                     expected(-(first[c][1] - '0') - 1, r));
            } else {
                for (int r = NR - 1; r >= 0; r--) {
                    CHECK_EQ_INT(decide(az, ps, e, "Group", "x", r), expected(-4, r));
                    CHECK_EQ_INT(decide(az, ps, e, "User", "u70", r), expected(70, r));
                }
            }
        }
        /* a cycle member is its own ancestor: c0's array holds c0 */
        const cnode *c0 = centities_get(e, "Group", "c0", 2);
        const canc *a = centities_anc(e, (uint32_t)(c0 - e->nodes), NULL);
        CHECK(a && a->n == 3);
        wr_entities_free(e);
    }
    wr_authz_free(az);
    wr_policy_set_free(ps);
}

TEST(memo_over_its_cap_uses_the_scratch)
{
    wr_policy_set *ps;
    wr_entities *e = setup(&ps);
    CHECK(e != NULL && ps != NULL);
    centities_memo_cap(e, 1);              /* nothing fits: every array goes to scratch */
    wr_authz *az;
    CHECK_OK(wr_authz_new(&az));
    for (int u = 0; u < NU; u += 7)
        for (int r = 0; r < NR; r++) {
            char uid[32];
            snprintf(uid, sizeof uid, "u%d", u);
            CHECK_EQ_INT(decide(az, ps, e, "User", uid, r), expected(u, r));
        }
    CHECK(!memoised(e, "User", "u7"));
    CHECK(!memoised(e, "Group", "c0"));
    /* without a scratch there is nowhere to put them */
    const cnode *u7 = centities_get(e, "User", "u7", 2);
    CHECK(centities_anc(e, (uint32_t)(u7 - e->nodes), NULL) == NULL);
    wr_authz_free(az);
    wr_policy_set_free(ps);
    wr_entities_free(e);
}

RUN_TESTS(T(concurrent_threads_on_one_fresh_store), T(cycles_discovered_lazily_in_any_order),
          T(memo_over_its_cap_uses_the_scratch))
