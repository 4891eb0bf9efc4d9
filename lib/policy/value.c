/*
 * value.c — Cedar runtime values.
 *
 * A cv is a small tagged union; sets and records point at arrays in an
 * arena.  Record keys are kept sorted so lookup is a binary search and
 * equality a linear walk.  Sets are not deduplicated: equality and
 * membership follow set semantics (mutual containment), which is what
 * Cedar's `==`, `contains`, `containsAll` and `containsAny` need.
 *
 * cv_from_json turns Cedar's JSON value format into values.  With a schema
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

/* ---- JSON -> value ------------------------------------------------------------- */
static const char *jtype(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE: case JSON_FALSE: return "boolean";
    default: return "null";
    }
}

static int ext_fn_index(const char *name)
{
    if (strcmp(name, "ip") == 0 || strcmp(name, "ipaddr") == 0)
        return CFN_IP;
    if (strcmp(name, "decimal") == 0)
        return CFN_DECIMAL;
    if (strcmp(name, "datetime") == 0)
        return CFN_DATETIME;
    if (strcmp(name, "duration") == 0)
        return CFN_DURATION;
    return -1;
}

static int ext_from_text(int fn, const char *s, size_t n, const char *path, cv *out, wr_err *err)
{
    int rc = cv_ext_parse(fn, s, n, out);
    if (rc != WR_OK)
        return wr_fail(err, rc == WR_ELIMIT ? WR_ELIMIT : WR_EINVAL, "%s: invalid %s literal \"%.*s\"",
                       path, cfn_table[fn].name, (int)(n > 80 ? 80 : n), s);
    return WR_OK;
}

/* {"fn":..,"arg":..} of an __extn escape */
static int ext_escape(const json_t *e, const char *path, cv *out, wr_err *err)
{
    const json_t *fn = json_object_get(e, "fn"), *arg = json_object_get(e, "arg");
    if (!json_is_object(e) || !json_is_string(fn) || !json_is_string(arg))
        return wr_fail(err, WR_EINVAL, "%s: __extn needs {\"fn\": string, \"arg\": string}", path);
    int f = ext_fn_index(json_string_value(fn));
    if (f < 0)
        return wr_fail(err, WR_EINVAL, "%s: unknown extension function \"%s\"", path,
                       json_string_value(fn));
    return ext_from_text(f, json_string_value(arg), json_string_length(arg), path, out, err);
}

int cv_uid_from_json(carena *a, const json_t *j, const char *path, cv *out, wr_err *err)
{
    const json_t *e = json_object_get(j, "__entity");
    if (e)
        j = e;
    const json_t *ty = json_object_get(j, "type"), *id = json_object_get(j, "id");
    if (!json_is_object(j) || !json_is_string(ty) || !json_is_string(id))
        return wr_fail(err, WR_EINVAL, "%s: entity reference needs {\"type\": string, \"id\": string}",
                       path);
    if (json_string_length(id) > UINT32_MAX)
        return wr_fail(err, WR_ELIMIT, "%s: entity id too long", path);
    memset(out, 0, sizeof *out);
    out->k = CV_ENT;
    out->u.e.ty = ca_strndup(a, json_string_value(ty), json_string_length(ty));
    out->u.e.idn = json_string_length(id);
    out->u.e.id = ca_strndup(a, json_string_value(id), out->u.e.idn);
    if (!out->u.e.ty || !out->u.e.id)
        return wr_fail(err, WR_ENOMEM, "%s: out of memory", path);
    if (!out->u.e.ty[0] || strlen(out->u.e.ty) != json_string_length(ty))
        return wr_fail(err, WR_EINVAL, "%s: invalid entity type name", path);
    return WR_OK;
}

static const cstype *rec_attr(const cstype *t, const char *key, bool *req)
{
    for (size_t i = 0; t && i < t->nattr; i++)
        if (strcmp(t->attr_names[i], key) == 0) {
            if (req)
                *req = t->attr_required[i];
            return t->attr_types[i];
        }
    return NULL;
}

static int mismatch(wr_err *err, const char *path, const char *want, const json_t *j)
{
    return wr_fail(err, WR_EINVAL, "%s: expected %s, found %s", path, want, jtype(j));
}

/* The JSON path for messages is a chain of segments formatted only when
 * an error is reported: formatting it for every value dominated loading. */
static const char *cjpath_fmt(const cjpath *p, char *buf, size_t n)
{
    const cjpath *seg[WR_CEDAR_MAX_DEPTH + 8];
    size_t k = 0, at = 0;
    for (; p && k < sizeof seg / sizeof *seg; p = p->up)
        seg[k++] = p;
    buf[0] = '\0';
    while (k-- && at < n) {
        int w = seg[k]->key ? snprintf(buf + at, n - at, "%s%s", at ? "." : "", seg[k]->key)
                            : snprintf(buf + at, n - at, "[%zu]", seg[k]->idx);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    return buf;
}

int cv_from_json(carena *a, const json_t *j, const cstype *t, const wr_schema *s,
                 const char *path, int depth, cv *out, wr_err *err)
{
    cjpath root = {NULL, path, 0};
    return cv_from_json_p(a, j, t, s, &root, depth, out, err);
}

int cv_from_json_p(carena *a, const json_t *j, const cstype *t, const wr_schema *s,
                   const cjpath *pp, int depth, cv *out, wr_err *err)
{
    char pbuf[512];
#define path (cjpath_fmt(pp, pbuf, sizeof pbuf))
    if (depth > WR_CEDAR_MAX_DEPTH)
        return wr_fail(err, WR_ELIMIT, "%s: JSON nested deeper than %d", path, WR_CEDAR_MAX_DEPTH);
    memset(out, 0, sizeof *out);
    /* escapes are accepted whatever the schema says, then checked */
    if (json_is_object(j) && json_object_size(j) == 1 && json_object_get(j, "__extn")) {
        /* helpers get the formatted path only to report an error */
        int rc = ext_escape(json_object_get(j, "__extn"), "", out, NULL);
        if (rc)
            return ext_escape(json_object_get(j, "__extn"), path, out, err);
        if (rc)
            return rc;
        static const int map[] = {[CST_IP] = CV_IP, [CST_DECIMAL] = CV_DEC,
                                  [CST_DATETIME] = CV_DT, [CST_DURATION] = CV_DUR};
        if (t && (t->k < CST_IP || t->k > CST_DURATION || map[t->k] != out->k))
            return wr_fail(err, WR_EINVAL, "%s: extension value %s does not match the schema type",
                           path, cv_kind_name(out->k));
        return WR_OK;
    }
    if (json_is_object(j) && json_object_get(j, "__expr"))
        return wr_fail(err, WR_EINVAL, "%s: __expr escapes are not supported", path);
    if (json_is_object(j) && json_object_size(j) == 1 && json_object_get(j, "__entity")) {
        if (t && t->k != CST_ENTITY)
            return wr_fail(err, WR_EINVAL, "%s: entity reference where the schema expects another type",
                           path);
        int rc = cv_uid_from_json(a, j, "", out, NULL);
        if (rc)
            return cv_uid_from_json(a, j, path, out, err);
        if (t && strcmp(out->u.e.ty, t->name) != 0)
            return wr_fail(err, WR_EINVAL, "%s: entity of type %s where the schema expects %s", path,
                           out->u.e.ty, t->name);
        return rc;
    }
    if (t) {
        switch (t->k) {
        case CST_BOOL:
            if (!json_is_boolean(j))
                return mismatch(err, path, "a boolean", j);
            break;
        case CST_LONG:
            if (!json_is_integer(j))
                return mismatch(err, path, "an integer", j);
            break;
        case CST_STRING:
            if (!json_is_string(j))
                return mismatch(err, path, "a string", j);
            break;
        case CST_SET:
            if (!json_is_array(j))
                return mismatch(err, path, "an array (set)", j);
            break;
        case CST_RECORD:
            if (!json_is_object(j))
                return mismatch(err, path, "an object (record)", j);
            break;
        case CST_ENTITY: {
            if (!json_is_object(j))
                return mismatch(err, path, "an entity reference", j);
            int rc = cv_uid_from_json(a, j, "", out, NULL);
            if (rc)
                return cv_uid_from_json(a, j, path, out, err);
            if (strcmp(out->u.e.ty, t->name) != 0)
                return wr_fail(err, WR_EINVAL, "%s: entity of type %s where the schema expects %s",
                               path, out->u.e.ty, t->name);
            return rc;
        }
        case CST_IP: case CST_DECIMAL: case CST_DATETIME: case CST_DURATION:
            if (!json_is_string(j))
                return mismatch(err, path, "a string (extension value)", j);
        {
            int fn = t->k == CST_IP ? CFN_IP : t->k == CST_DECIMAL ? CFN_DECIMAL
                     : t->k == CST_DATETIME ? CFN_DATETIME : CFN_DURATION;
            if (ext_from_text(fn, json_string_value(j), json_string_length(j), "", out, NULL) == WR_OK)
                return WR_OK;
            return ext_from_text(fn, json_string_value(j), json_string_length(j), path, out, err);
        }
        default:
            return wr_fail(err, WR_EINTERNAL, "%s: unresolved schema type", path);
        }
    }
    switch (json_typeof(j)) {
    case JSON_TRUE: case JSON_FALSE:
        out->k = CV_BOOL;
        out->u.b = json_is_true(j);
        return WR_OK;
    case JSON_INTEGER:
        out->k = CV_LONG;
        out->u.i = (int64_t)json_integer_value(j);
        return WR_OK;
    case JSON_STRING:
        out->k = CV_STR;
        out->u.s.n = json_string_length(j);
        if (!(out->u.s.p = ca_strndup(a, json_string_value(j), out->u.s.n)))
            return wr_fail(err, WR_ENOMEM, "%s: out of memory", path);
        return WR_OK;
    case JSON_ARRAY: {
        size_t n = json_array_size(j);
        out->k = CV_SET;
        out->u.set.n = n;
        if (n && !(out->u.set.v = ca_alloc(a, n * sizeof(cv))))
            return wr_fail(err, WR_ENOMEM, "%s: out of memory", path);
        for (size_t i = 0; i < n; i++) {
            cjpath sub = {pp, NULL, i};
            int rc = cv_from_json_p(a, json_array_get(j, i), t ? t->elem : NULL, s, &sub, depth + 1,
                                  &out->u.set.v[i], err);
            if (rc)
                return rc;
        }
        return WR_OK;
    }
    case JSON_OBJECT: {
        size_t n = json_object_size(j), i = 0;
        out->k = CV_REC;
        out->u.rec.n = n;
        if (n && (!(out->u.rec.v = ca_alloc(a, n * sizeof(cv))) ||
                  !(out->u.rec.keys = ca_alloc(a, n * sizeof(char *)))))
            return wr_fail(err, WR_ENOMEM, "%s: out of memory", path);
        const char *key;
        const json_t *val;
        json_object_foreach((json_t *)j, key, val) {
            cjpath sub = {pp, key, 0};
            const cstype *at = t ? rec_attr(t, key, NULL) : NULL;
            if (!(out->u.rec.keys[i] = ca_strndup(a, key, strlen(key))))
                return wr_fail(err, WR_ENOMEM, "%s: out of memory", path);
            int rc = cv_from_json_p(a, val, at, s, &sub, depth + 1, &out->u.rec.v[i], err);
            if (rc)
                return rc;
            i++;
        }
        for (size_t k = 0; t && k < t->nattr; k++)
            if (t->attr_required[k] && !json_object_get(j, t->attr_names[k]))
                return wr_fail(err, WR_EINVAL, "%s: required attribute '%s' is missing", path,
                               t->attr_names[k]);
        cv_rec_sort(a, out);
        return WR_OK;
    }
    case JSON_REAL:
        return wr_fail(err, WR_EINVAL, "%s: floating-point numbers are not Cedar values (use decimal)",
                       path);
    default:
        return wr_fail(err, WR_EINVAL, "%s: null is not a Cedar value", path);
    }
#undef path
}
