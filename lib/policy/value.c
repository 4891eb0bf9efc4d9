/*
 * value.c — Cedar runtime values.
 *
 * A cv is a small tagged union; sets and records point at arrays in an
 * arena.  Record keys are kept sorted so lookup is a binary search and
 * equality a linear walk.  Sets are not deduplicated: equality and
 * membership follow set semantics (mutual containment), which is what
 * Cedar's `==`, `contains`, `containsAll` and `containsAny` need.
 *
 * cv_from_cj turns Cedar's JSON value format (as a jtree.c tree) into values.  With a schema
 * type it interprets the JSON the way the schema says (a string declared
 * ipaddr becomes an ip value, {"type","id"} declared as an entity becomes
 * an entity reference) and rejects JSON of the wrong shape; attributes not
 * declared in the schema are converted without schema guidance.
 */
#include "policy/cedar.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cv_kind_name(int k)
{
    static const char *const n[] = {"bool", "long", "string", "entity", "set", "record",
                                    "ipaddr", "decimal", "datetime", "duration"};
    return k >= 0 && k <= CV_DUR ? n[k] : "?";
}

bool cv_set_has(const cv *set, const cv *x)
{
    for (size_t i = 0; i < set->u.set.n; i++)
        if (cv_equal(&set->u.set.v[i], x))
            return true;
    return false;
}

bool cv_equal(const cv *a, const cv *b)
{
    if (a->k != b->k)
        return false;
    switch (a->k) {
    case CV_BOOL:
        return a->u.b == b->u.b;
    case CV_LONG: case CV_DEC: case CV_DT: case CV_DUR:
        return a->u.i == b->u.i;
    case CV_STR:
        return a->u.s.n == b->u.s.n && memcmp(a->u.s.p, b->u.s.p, a->u.s.n) == 0;
    case CV_ENT:
        return a->u.e.idn == b->u.e.idn && strcmp(a->u.e.ty, b->u.e.ty) == 0 &&
               memcmp(a->u.e.id, b->u.e.id, a->u.e.idn) == 0;
    case CV_IP:
        return wr_ext_ip_equal(&a->u.ip, &b->u.ip);
    case CV_SET:
        for (size_t i = 0; i < a->u.set.n; i++)
            if (!cv_set_has(b, &a->u.set.v[i]))
                return false;
        for (size_t i = 0; i < b->u.set.n; i++)
            if (!cv_set_has(a, &b->u.set.v[i]))
                return false;
        return true;
    case CV_REC:
        if (a->u.rec.n != b->u.rec.n)
            return false;
        for (size_t i = 0; i < a->u.rec.n; i++)
            if (strcmp(a->u.rec.keys[i], b->u.rec.keys[i]) != 0 ||
                !cv_equal(&a->u.rec.v[i], &b->u.rec.v[i]))
                return false;
        return true;
    default:
        return false;
    }
}

const cv *cv_rec_get(const cv *rec, const char *key)
{
    size_t lo = 0, hi = rec->u.rec.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(rec->u.rec.keys[mid], key);
        if (c == 0)
            return &rec->u.rec.v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

typedef struct ckv { const char *k; cv v; } ckv;
static int kv_cmp(const void *a, const void *b)
{
    return strcmp(((const ckv *)a)->k, ((const ckv *)b)->k);
}

const char *cv_rec_sort(carena *a, cv *rec)
{
    size_t n = rec->u.rec.n;
    bool sorted = true;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = strcmp(rec->u.rec.keys[i - 1], rec->u.rec.keys[i]) < 0;
    if (sorted)
        return NULL;
    ckv *kv = n > 16 ? ca_alloc(a, n * sizeof *kv) : NULL;
    if (!kv) {
        /* small records (or no room): insertion sort in place */
        for (size_t i = 1; i < n; i++)
            for (size_t j = i; j > 0 && strcmp(rec->u.rec.keys[j - 1], rec->u.rec.keys[j]) > 0; j--) {
                const char *tk = rec->u.rec.keys[j];
                cv tv = rec->u.rec.v[j];
                rec->u.rec.keys[j] = rec->u.rec.keys[j - 1];
                rec->u.rec.v[j] = rec->u.rec.v[j - 1];
                rec->u.rec.keys[j - 1] = tk;
                rec->u.rec.v[j - 1] = tv;
            }
    } else {
        for (size_t i = 0; i < n; i++) {
            kv[i].k = rec->u.rec.keys[i];
            kv[i].v = rec->u.rec.v[i];
        }
        qsort(kv, n, sizeof *kv, kv_cmp);
        for (size_t i = 0; i < n; i++) {
            rec->u.rec.keys[i] = kv[i].k;
            rec->u.rec.v[i] = kv[i].v;
        }
    }
    for (size_t i = 1; i < n; i++)
        if (strcmp(rec->u.rec.keys[i - 1], rec->u.rec.keys[i]) == 0)
            return rec->u.rec.keys[i];
    return NULL;
}

int cv_ext_parse(int fn, const char *s, size_t n, cv *out)
{
    int rc;
    memset(out, 0, sizeof *out);
    switch (fn) {
    case CFN_IP:
        out->k = CV_IP;
        return wr_ext_ip_parse(s, n, &out->u.ip);
    case CFN_DECIMAL:
        out->k = CV_DEC;
        return wr_ext_decimal_parse(s, n, &out->u.i);
    case CFN_DATETIME:
        out->k = CV_DT;
        return wr_ext_datetime_parse(s, n, &out->u.i);
    case CFN_DURATION:
        out->k = CV_DUR;
        rc = wr_ext_duration_parse(s, n, &out->u.i);
        return rc;
    default:
        return WR_EINVAL;
    }
}

json_t *cv_to_json(const cv *v)
{
    char buf[96];
    json_t *o;
    switch (v->k) {
    case CV_BOOL:
        return json_boolean(v->u.b);
    case CV_LONG:
        return json_integer(v->u.i);
    case CV_STR:
        return json_stringn(v->u.s.p, v->u.s.n);
    case CV_ENT:
        return json_pack("{s:{s:s,s:s%}}", "__entity", "type", v->u.e.ty, "id", v->u.e.id,
                         v->u.e.idn);
    case CV_SET:
        o = json_array();
        for (size_t i = 0; o && i < v->u.set.n; i++)
            json_array_append_new(o, cv_to_json(&v->u.set.v[i]));
        return o;
    case CV_REC:
        o = json_object();
        for (size_t i = 0; o && i < v->u.rec.n; i++)
            json_object_set_new(o, v->u.rec.keys[i], cv_to_json(&v->u.rec.v[i]));
        return o;
    case CV_IP:
        wr_ext_ip_format(&v->u.ip, buf, sizeof buf);
        return json_pack("{s:{s:s,s:s}}", "__extn", "fn", "ip", "arg", buf);
    case CV_DEC:
        wr_ext_decimal_format(v->u.i, buf, sizeof buf);
        return json_pack("{s:{s:s,s:s}}", "__extn", "fn", "decimal", "arg", buf);
    case CV_DT:
        wr_ext_datetime_format(v->u.i, buf, sizeof buf);
        return json_pack("{s:{s:s,s:s}}", "__extn", "fn", "datetime", "arg", buf);
    case CV_DUR:
        wr_ext_duration_format(v->u.i, buf, sizeof buf);
        return json_pack("{s:{s:s,s:s}}", "__extn", "fn", "duration", "arg", buf);
    default:
        return json_null();
    }
}

/* ---- JSON -> value -------------------------------------------------------------
 * One interpreter for JSON text and jansson values alike: both arrive as a
 * compact tree (jtree.c).  Paths for messages are formatted from the tree
 * only when an error is reported. */
static const char *jtype(const cjnode *j)
{
    static const char *const n[] = {[CJ_NULL] = "null", [CJ_FALSE] = "boolean", [CJ_TRUE] = "boolean",
                                    [CJ_INT] = "integer", [CJ_BIGINT] = "integer", [CJ_REAL] = "number",
                                    [CJ_STR] = "string", [CJ_ARR] = "array", [CJ_OBJ] = "object"};
    return n[j->k];
}

static int ext_fn_index(const char *name, size_t n)
{
    static const struct { const char *s; int fn; } names[] = {
        {"ip", CFN_IP}, {"ipaddr", CFN_IP}, {"decimal", CFN_DECIMAL},
        {"datetime", CFN_DATETIME}, {"duration", CFN_DURATION}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strlen(names[i].s) == n && memcmp(names[i].s, name, n) == 0)
            return names[i].fn;
    return -1;
}

/* The formatted path of node i (only on errors). */
#define PATH(i) cjtree_path(t, (i), pbuf, sizeof pbuf)

static int ext_from_text(const cjtree *t, uint32_t i, int fn, const char *s, size_t n, cv *out,
                         wr_err *err)
{
    char pbuf[512];
    int rc = cv_ext_parse(fn, s, n, out);
    if (rc != WR_OK)
        return wr_fail(err, rc == WR_ELIMIT ? WR_ELIMIT : WR_EINVAL, "%s: invalid %s literal \"%.*s\"",
                       PATH(i), cfn_table[fn].name, (int)(n > 80 ? 80 : n), s);
    return WR_OK;
}

/* {"fn":..,"arg":..} of an __extn escape at node e (i: the escape object) */
static int ext_escape(const cjtree *t, uint32_t i, uint32_t e, cv *out, wr_err *err)
{
    char pbuf[512];
    uint32_t fn = t->v[e].k == CJ_OBJ ? cjtree_member(t, e, "fn") : CJ_NONE;
    uint32_t arg = t->v[e].k == CJ_OBJ ? cjtree_member(t, e, "arg") : CJ_NONE;
    if (fn == CJ_NONE || arg == CJ_NONE || t->v[fn].k != CJ_STR || t->v[arg].k != CJ_STR)
        return wr_fail(err, WR_EINVAL, "%s: __extn needs {\"fn\": string, \"arg\": string}", PATH(i));
    const cjnode *f = &t->v[fn], *a = &t->v[arg];
    int fi = ext_fn_index(f->u.s.p, f->u.s.n);
    if (fi < 0)
        return wr_fail(err, WR_EINVAL, "%s: unknown extension function \"%.*s\"", PATH(i),
                       (int)(f->u.s.n > 80 ? 80 : f->u.s.n), f->u.s.p);
    return ext_from_text(t, i, fi, a->u.s.p, a->u.s.n, out, err);
}

int cv_uid_from_cj(carena *a, const cjtree *t, uint32_t i, cv *out, wr_err *err)
{
    char pbuf[512];
    uint32_t j = i;
    if (t->v[i].k == CJ_OBJ) {
        uint32_t e = cjtree_member(t, i, "__entity");
        if (e != CJ_NONE)
            j = e;
    }
    uint32_t ty = t->v[j].k == CJ_OBJ ? cjtree_member(t, j, "type") : CJ_NONE;
    uint32_t id = t->v[j].k == CJ_OBJ ? cjtree_member(t, j, "id") : CJ_NONE;
    if (ty == CJ_NONE || id == CJ_NONE || t->v[ty].k != CJ_STR || t->v[id].k != CJ_STR)
        return wr_fail(err, WR_EINVAL, "%s: entity reference needs {\"type\": string, \"id\": string}",
                       PATH(i));
    const cjnode *tn = &t->v[ty], *in = &t->v[id];
    if (!tn->u.s.n || memchr(tn->u.s.p, 0, tn->u.s.n))
        return wr_fail(err, WR_EINVAL, "%s: invalid entity type name", PATH(i));
    memset(out, 0, sizeof *out);
    out->k = CV_ENT;
    out->u.e.ty = ca_strndup(a, tn->u.s.p, tn->u.s.n);
    out->u.e.idn = (uint32_t)in->u.s.n;
    out->u.e.id = ca_strndup(a, in->u.s.p, in->u.s.n);
    if (!out->u.e.ty || !out->u.e.id)
        return wr_fail(err, WR_ENOMEM, "%s: out of memory", PATH(i));
    return WR_OK;
}

static const cstype *rec_attr(const cstype *t, const char *key, size_t n)
{
    for (size_t i = 0; t && i < t->nattr; i++)
        if (strncmp(t->attr_names[i], key, n) == 0 && t->attr_names[i][n] == '\0')
            return t->attr_types[i];
    return NULL;
}

static int mismatch(wr_err *err, const char *path, const char *want, const cjnode *j)
{
    return wr_fail(err, WR_EINVAL, "%s: expected %s, found %s", path, want, jtype(j));
}

/* The only member of a one-member object, if its key is `key`. */
static uint32_t sole(const cjtree *t, uint32_t i, const char *key, size_t kn)
{
    return t->v[i].k == CJ_OBJ && t->v[i].n == 1 && cj_key_is(&t->v[i + 1], key, kn) ? i + 1
                                                                                     : CJ_NONE;
}

int cv_from_cj(carena *a, const cjtree *t, uint32_t i, const cstype *ty, const wr_schema *s,
               int depth, cv *out, wr_err *err)
{
    char pbuf[512];
    const cjnode *j = &t->v[i];
    if (depth > WR_CEDAR_MAX_DEPTH)
        return wr_fail(err, WR_ELIMIT, "%s: JSON nested deeper than %d", PATH(i), WR_CEDAR_MAX_DEPTH);
    memset(out, 0, sizeof *out);
    /* escapes are accepted whatever the schema says, then checked */
    uint32_t e;
    if ((e = sole(t, i, "__extn", 6)) != CJ_NONE) {
        int rc = ext_escape(t, i, e, out, err);
        if (rc)
            return rc;
        static const int map[] = {[CST_IP] = CV_IP, [CST_DECIMAL] = CV_DEC,
                                  [CST_DATETIME] = CV_DT, [CST_DURATION] = CV_DUR};
        if (ty && (ty->k < CST_IP || ty->k > CST_DURATION || map[ty->k] != out->k))
            return wr_fail(err, WR_EINVAL, "%s: extension value %s does not match the schema type",
                           PATH(i), cv_kind_name(out->k));
        return WR_OK;
    }
    if (j->k == CJ_OBJ && cjtree_member(t, i, "__expr") != CJ_NONE)
        return wr_fail(err, WR_EINVAL, "%s: __expr escapes are not supported", PATH(i));
    bool escaped = (e = sole(t, i, "__entity", 8)) != CJ_NONE;
    if (escaped && ty && ty->k != CST_ENTITY)
        return wr_fail(err, WR_EINVAL, "%s: entity reference where the schema expects another type",
                       PATH(i));
    if (escaped || (ty && ty->k == CST_ENTITY)) {
        if (j->k != CJ_OBJ)
            return mismatch(err, PATH(i), "an entity reference", j);
        int rc = cv_uid_from_cj(a, t, i, out, err);
        if (rc)
            return rc;
        if (ty && strcmp(out->u.e.ty, ty->name) != 0)
            return wr_fail(err, WR_EINVAL, "%s: entity of type %s where the schema expects %s", PATH(i),
                           out->u.e.ty, ty->name);
        return WR_OK;
    }
    if (ty) {
        switch (ty->k) {
        case CST_BOOL:
            if (j->k != CJ_TRUE && j->k != CJ_FALSE)
                return mismatch(err, PATH(i), "a boolean", j);
            break;
        case CST_LONG:
            if (j->k != CJ_INT && j->k != CJ_BIGINT)
                return mismatch(err, PATH(i), "an integer", j);
            break;
        case CST_STRING:
            if (j->k != CJ_STR)
                return mismatch(err, PATH(i), "a string", j);
            break;
        case CST_SET:
            if (j->k != CJ_ARR)
                return mismatch(err, PATH(i), "an array (set)", j);
            break;
        case CST_RECORD:
            if (j->k != CJ_OBJ)
                return mismatch(err, PATH(i), "an object (record)", j);
            break;
        case CST_IP: case CST_DECIMAL: case CST_DATETIME: case CST_DURATION:
            if (j->k != CJ_STR)
                return mismatch(err, PATH(i), "a string (extension value)", j);
            return ext_from_text(t, i,
                                 ty->k == CST_IP ? CFN_IP : ty->k == CST_DECIMAL ? CFN_DECIMAL
                                 : ty->k == CST_DATETIME ? CFN_DATETIME : CFN_DURATION,
                                 j->u.s.p, j->u.s.n, out, err);
        default:
            return wr_fail(err, WR_EINTERNAL, "%s: unresolved schema type", PATH(i));
        }
    }
    switch (j->k) {
    case CJ_TRUE: case CJ_FALSE:
        out->k = CV_BOOL;
        out->u.b = j->k == CJ_TRUE;
        return WR_OK;
    case CJ_INT:
        out->k = CV_LONG;
        out->u.i = j->u.i;
        return WR_OK;
    case CJ_BIGINT:
        return wr_fail(err, WR_EINVAL, "%s: integer %.*s is out of Cedar's 64-bit range", PATH(i),
                       (int)(j->u.s.n > 40 ? 40 : j->u.s.n), j->u.s.p);
    case CJ_STR:
        out->k = CV_STR;
        out->u.s.n = j->u.s.n;
        if (!(out->u.s.p = ca_strndup(a, j->u.s.p, j->u.s.n)))
            return wr_fail(err, WR_ENOMEM, "%s: out of memory", PATH(i));
        return WR_OK;
    case CJ_ARR: {
        size_t n = j->n, k = 0;
        out->k = CV_SET;
        out->u.set.n = n;
        if (n && !(out->u.set.v = ca_alloc(a, n * sizeof(cv))))
            return wr_fail(err, WR_ENOMEM, "%s: out of memory", PATH(i));
        CJ_EACH(t, i, c) {
            int rc = cv_from_cj(a, t, c, ty ? ty->elem : NULL, s, depth + 1, &out->u.set.v[k++], err);
            if (rc)
                return rc;
        }
        return WR_OK;
    }
    case CJ_OBJ: {
        size_t n = j->n, k = 0;
        out->k = CV_REC;
        out->u.rec.n = n;
        if (n && (!(out->u.rec.v = ca_alloc(a, n * sizeof(cv))) ||
                  !(out->u.rec.keys = ca_alloc(a, n * sizeof(char *)))))
            return wr_fail(err, WR_ENOMEM, "%s: out of memory", PATH(i));
        CJ_EACH(t, i, c) {
            const cjnode *m = &t->v[c];
            const cstype *at = ty ? rec_attr(ty, m->key, m->pos) : NULL;
            if (!(out->u.rec.keys[k] = ca_strndup(a, m->key, m->pos)))
                return wr_fail(err, WR_ENOMEM, "%s: out of memory", PATH(i));
            int rc = cv_from_cj(a, t, c, at, s, depth + 1, &out->u.rec.v[k++], err);
            if (rc)
                return rc;
        }
        const char *dup = cv_rec_sort(a, out);
        if (dup)
            return wr_fail(err, WR_EINVAL, "%s: duplicate key \"%s\"", PATH(i), dup);
        for (size_t q = 0; ty && q < ty->nattr; q++)
            if (ty->attr_required[q] && !cv_rec_get(out, ty->attr_names[q]))
                return wr_fail(err, WR_EINVAL, "%s: required attribute '%s' is missing", PATH(i),
                               ty->attr_names[q]);
        return WR_OK;
    }
    case CJ_REAL:
        return wr_fail(err, WR_EINVAL, "%s: floating-point numbers are not Cedar values (use decimal)",
                       PATH(i));
    default:
        return wr_fail(err, WR_EINVAL, "%s: null is not a Cedar value", PATH(i));
    }
}
#undef PATH

int cv_from_json(carena *a, const json_t *j, const cstype *ty, const wr_schema *s, const char *path,
                 cv *out, wr_err *err)
{
    /* the tree's nodes go to the caller's arena (per-decision scratch):
     * no malloc once it has warmed up */
    cjtree t;
    memset(&t, 0, sizeof t);
    t.root = path;
    t.mem = a;
    int rc = cjtree_from_json(&t, j, err);
    if (rc == WR_OK)
        rc = cv_from_cj(a, &t, 0, ty, s, 1, out, err);
    cjtree_free(&t);
    return rc;
}
