/*
 * cedar.h — internal data structures of the Cedar engine (not public).
 *
 * The engine is split one concept per file:
 *   arena.c     bump allocator (parse-time storage and per-decision scratch)
 *   uidmap.c    hash map keyed by entity uid (type, id)
 *   lexer.c     tokens with line:col positions and string unescaping
 *   parser.c    policy text -> AST (cexpr) and scope constraints
 *   value.c     Cedar values: equality, containment, JSON conversion
 *   eval.c      expression evaluator (Cedar reference semantics)
 *   entities.c  entity JSON + transitive ancestor index
 *   schema.c    human-readable .cedarschema parser
 *   validate.c  policy validation against a schema
 *   policyset.c policy set, templates and links, annotations, scope index
 *   authorize.c wr_authz scratch and wr_authorize
 *
 * Every structure built at load time lives in an arena owned by its
 * object (policy set, entity store, schema) and is immutable afterwards,
 * so evaluation only reads it and is thread-safe.  The one exception is
 * the entity store's ancestor arrays, computed on first use under the
 * store's mutex and published atomically (entities.c).  Evaluation allocates
 * only from the caller's wr_authz arena, which is reset (not freed) per
 * decision: after warm-up a decision performs no malloc.
 */
#ifndef WARRANT_POLICY_CEDAR_H
#define WARRANT_POLICY_CEDAR_H

#include "policy/ext.h"
#include "warrant/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- arena ----------------------------------------------------------------- */
typedef struct carena_chunk carena_chunk;
typedef struct carena {
    carena_chunk *head, *cur;
    size_t total;   /* bytes obtained from malloc */
    size_t max;     /* cap on total (0: 1 GiB) */
} carena;

void *ca_alloc(carena *a, size_t n);                 /* zeroed; NULL when over cap */
void *ca_alloc_nz(carena *a, size_t n);              /* not zeroed (hot path) */
char *ca_strndup(carena *a, const char *s, size_t n); /* NUL-terminated copy */
void ca_reset(carena *a);                            /* keeps the chunks */
void ca_free(carena *a);

/* ---- values ------------------------------------------------------------------ */
enum cv_kind {
    CV_BOOL, CV_LONG, CV_STR, CV_ENT, CV_SET, CV_REC, CV_IP, CV_DEC, CV_DT, CV_DUR
};

typedef struct cv cv;
struct cv {
    uint8_t k;
    union {
        bool b;
        int64_t i;          /* long, decimal (1/10000), datetime/duration (ms) */
        struct { const char *p; size_t n; } s;
        /* node caches the entity's index in the store the value came from:
         * 0 not resolved yet, i+1 node i, CNODE_ABSENT not in the store.
         * Values read from a store's attributes are resolved at load time
         * and request variables once per decision, so `in` and attribute
         * access on them need no hashing. */
        struct { const char *ty; const char *id; uint32_t idn; uint32_t node; } e;
        struct { size_t n; cv *v; } set;
        struct { size_t n; const char **keys; cv *v; } rec; /* keys sorted (strcmp) */
        wr_ipaddr ip;
    } u;
};

const char *cv_kind_name(int k);
bool cv_equal(const cv *a, const cv *b);
/* Record lookup; NULL when absent. */
const cv *cv_rec_get(const cv *rec, const char *key);
/* Sorts record keys and rejects duplicates (returns the duplicate key). */
const char *cv_rec_sort(carena *a, cv *rec);
/* Builds an extension value from its constructor name index (CFN_IP..) and
 * text; returns WR_OK, WR_EINVAL (malformed) or WR_ELIMIT (overflow). */
int cv_ext_parse(int fn, const char *s, size_t n, cv *out);
/* Set membership by Cedar equality. */
bool cv_set_has(const cv *set, const cv *x);
/* Renders a value as Cedar JSON (for messages and tests); caller decrefs. */
json_t *cv_to_json(const cv *v);

/* ---- uid hash map ------------------------------------------------------------ */
typedef struct cuid_slot {
    const char *ty, *id;
    uint64_t hash;               /* cuid_hash of the key; 0 marks an empty slot */
    uint32_t idn;
    uint32_t val;
} cuid_slot;
typedef struct cuidmap {
    cuid_slot *slots;
    size_t cap, n;
} cuidmap;
uint64_t cuid_hash(const char *ty, const char *id, size_t idn);
/* Returns the value for (ty,id) or UINT32_MAX. */
uint32_t cuidmap_get(const cuidmap *m, const char *ty, const char *id, size_t idn);
/* Same with the key's precomputed cuid_hash. */
uint32_t cuidmap_get_h(const cuidmap *m, uint64_t h, const char *ty, const char *id, size_t idn);
/* Inserts if absent (key strings must outlive the map); returns the stored
 * value (the existing one if present) or UINT32_MAX on allocation failure. */
uint32_t cuidmap_put(cuidmap *m, const char *ty, const char *id, size_t idn, uint32_t val);
uint32_t cuidmap_put_h(cuidmap *m, uint64_t h, const char *ty, const char *id, size_t idn,
                       uint32_t val);
/* Sizes the table for n keys without growing (0, or -1 out of memory). */
int cuidmap_reserve(cuidmap *m, size_t n);
void cuidmap_free(cuidmap *m);

/* ---- schema -------------------------------------------------------------------- */
enum cst_kind {
    CST_BOOL, CST_LONG, CST_STRING, CST_SET, CST_RECORD, CST_ENTITY,
    CST_IP, CST_DECIMAL, CST_DATETIME, CST_DURATION, CST_NAME /* unresolved */
};
typedef struct cstype cstype;
struct cstype {
    int k;
    const char *name;            /* CST_ENTITY: entity type; CST_NAME: reference */
    const char *ns;              /* namespace the reference appeared in */
    cstype *elem;                /* CST_SET */
    size_t nattr;                /* CST_RECORD */
    const char **attr_names;
    cstype **attr_types;
    bool *attr_required;
    uint32_t line, col;
};

typedef struct csentity {
    const char *name;            /* fully qualified */
    size_t nparents;
    const char **parents;        /* fully qualified entity type names */
    cstype *attrs;               /* CST_RECORD (possibly empty) */
    cstype *tags;                /* NULL when the type has no tags */
    size_t nenum;                /* enumerated entity type: allowed ids */
    const char **enums;
} csentity;

typedef struct csaction {
    const char *type;            /* "Action" or "NS::Action" */
    const char *id;
    size_t nparents;
    const char **parent_types, **parent_ids;
    size_t nprincipals, nresources;
    const char **principals, **resources;
    cstype *context;             /* CST_RECORD */
    bool applies;                /* has an appliesTo clause */
} csaction;

struct wr_schema {
    carena arena;
    size_t nentities, nactions;
    csentity *entities;
    csaction *actions;
};

const csentity *cschema_entity(const wr_schema *s, const char *name);
const csaction *cschema_action(const wr_schema *s, const char *ty, const char *id);
/* ---- compact JSON tree (jtree.c) -------------------------------------------------
 * Entity and context JSON reach the engine as text (decoded by yajl's event
 * parser) or as a jansson value; both are turned into the same compact tree
 * (one contiguous node array in pre-order, no per-node allocation, no
 * hashing) and interpreted by one set of functions (value.c, entities.c). */
enum cj_kind { CJ_NULL, CJ_FALSE, CJ_TRUE, CJ_INT, CJ_BIGINT, CJ_REAL, CJ_STR, CJ_ARR, CJ_OBJ };
#define CJ_NONE UINT32_MAX
typedef struct cjnode {
    const char *key;             /* object member: its key (not NUL-terminated) */
    union {
        int64_t i;               /* CJ_INT */
        struct { const char *p; size_t n; } s; /* CJ_STR; CJ_BIGINT/CJ_REAL: number text */
    } u;
    uint32_t pos;                /* object member: key length; array element: index */
    uint32_t up;                 /* enclosing container, CJ_NONE for the root */
    uint32_t end;                /* one past the last node of this subtree */
    uint32_t n;                  /* CJ_ARR / CJ_OBJ: number of children */
    uint8_t k;
} cjnode;

typedef struct cjtree cjtree;
/* Called for each element of the root array once it is complete (streaming
 * mode); the element's nodes are discarded when it returns. */
typedef int (*cj_item_fn)(void *ctx, const cjtree *t, uint32_t node, wr_err *err);
/* Documented limits: nesting depth WR_CEDAR_MAX_DEPTH + CJ_DEPTH_SLACK
 * (the interpreters report WR_CEDAR_MAX_DEPTH first, with the value's path),
 * CJ_MAX_NODES nodes per streamed element or whole document. */
#define CJ_DEPTH_SLACK 8
#define CJ_MAX_NODES ((uint32_t)1 << 24)
struct cjtree {
    cjnode *v;
    uint32_t n, cap;
    const char *root;            /* name of the root in paths ("entities", "context") */
    carena *mem;                 /* node array (grown by copying) */
    carena strs;                 /* escaped strings copied out of yajl's buffer */
    cj_item_fn item;             /* NULL: keep the whole tree */
    void *item_ctx;
    /* building state */
    uint32_t open;               /* innermost open container or CJ_NONE */
    int depth;
    const char *key;             /* pending object key */
    uint32_t keyn;
    const char *in;              /* text being decoded (strings inside it are not copied) */
    size_t inlen;
    bool dom;                    /* input is a jansson value (keys unique already) */
    void *yh;                    /* yajl handle while decoding text */
    int rc;
    wr_err *err;
};
/* Decodes JSON text / walks a jansson value into t (zeroed by the caller
 * except root, mem, item, item_ctx).  Text errors are
 * "<root> JSON:line:col: message" or "<path>: message". */
int cjtree_parse(cjtree *t, const char *text, size_t len, wr_err *err) WR_MUST_CHECK;
int cjtree_from_json(cjtree *t, const json_t *j, wr_err *err) WR_MUST_CHECK;
void cjtree_free(cjtree *t);     /* the string arena (nodes live in t->mem) */
/* JSON path of node i for messages ("entities[3].attrs.x"). */
const char *cjtree_path(const cjtree *t, uint32_t i, char *buf, size_t n);
/* Index of the member of object node o named key, or CJ_NONE. */
uint32_t cjtree_member(const cjtree *t, uint32_t o, const char *key);
/* Iterates the children c of container node i. */
#define CJ_EACH(t, i, c) for (uint32_t c = (i) + 1; c < (t)->v[i].end; c = (t)->v[c].end)
static inline bool cj_key_is(const cjnode *x, const char *lit, size_t litn)
{
    return x->pos == litn && memcmp(x->key, lit, litn) == 0;
}

/* Converts tree node i to a value following the schema type ty (NULL:
 * schemaless); depth is the nesting depth of node i for the limit. */
int cv_from_cj(carena *a, const cjtree *t, uint32_t i, const cstype *ty, const wr_schema *s,
               int depth, cv *out, wr_err *err) WR_MUST_CHECK;
/* Entity reference from {"type","id"} or {"__entity":{...}}. */
int cv_uid_from_cj(carena *a, const cjtree *t, uint32_t i, cv *out, wr_err *err) WR_MUST_CHECK;
/* Converts a jansson value (the request context) through the same tree. */
int cv_from_json(carena *a, const json_t *j, const cstype *ty, const wr_schema *s,
                 const char *path, cv *out, wr_err *err) WR_MUST_CHECK;

/* ---- policies ------------------------------------------------------------------ */
enum cop {
    OP_LIT, OP_VAR, OP_SLOT, OP_NOT, OP_NEG, OP_MUL, OP_ADD, OP_SUB,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE, OP_IN, OP_AND, OP_OR, OP_IF,
    OP_HAS, OP_LIKE, OP_IS, OP_ATTR, OP_METHOD, OP_CALL, OP_SET, OP_REC
};
enum cvar { VAR_PRINCIPAL, VAR_ACTION, VAR_RESOURCE, VAR_CONTEXT };

typedef struct cexpr cexpr;
struct cexpr {
    uint8_t op;
    uint8_t var;                 /* OP_VAR / OP_SLOT */
    uint8_t fn;                  /* OP_METHOD / OP_CALL: CFN_* */
    uint32_t line, col;
    uint32_t height;             /* AST height, bounded at parse time */
    size_t nk;
    cexpr **k;                   /* operands */
    const char *name;            /* OP_HAS/OP_ATTR: attribute; OP_IS: type */
    const char **keys;           /* OP_REC: keys of k[i] */
    const uint8_t *star;         /* OP_LIKE: 1 where pattern byte is a wildcard */
    size_t patn;
    const char *pat;
    cv lit;                      /* OP_LIT */
};

/* Built-in methods and extension functions. */
enum cfn {
    CFN_CONTAINS, CFN_CONTAINSALL, CFN_CONTAINSANY, CFN_ISEMPTY, CFN_GETTAG, CFN_HASTAG,
    CFN_LESSTHAN, CFN_LESSTHANOREQUAL, CFN_GREATERTHAN, CFN_GREATERTHANOREQUAL,
    CFN_ISIPV4, CFN_ISIPV6, CFN_ISLOOPBACK, CFN_ISMULTICAST, CFN_ISINRANGE,
    CFN_OFFSET, CFN_DURATIONSINCE, CFN_TODATE, CFN_TOTIME,
    CFN_TOMILLISECONDS, CFN_TOSECONDS, CFN_TOMINUTES, CFN_TOHOURS, CFN_TODAYS,
    CFN_IP, CFN_DECIMAL, CFN_DATETIME, CFN_DURATION, CFN__COUNT
};
typedef struct cfninfo { const char *name; int nargs; bool method; } cfninfo;
extern const cfninfo cfn_table[CFN__COUNT];

/* Scope constraint on principal or resource (action uses the same shape
 * with CS_IN over a list). */
enum cscope { CS_ANY, CS_EQ, CS_IN, CS_IS, CS_IS_IN };
typedef struct cuid { const char *ty, *id; size_t idn; } cuid;
typedef struct cscopec {
    uint8_t kind;
    bool slot;                   /* ?principal / ?resource instead of uid */
    const char *is_type;         /* CS_IS, CS_IS_IN */
    cuid uid;                    /* CS_EQ, CS_IN, CS_IS_IN (action CS_EQ) */
    size_t nlist;                /* action `in [..]` / `in uid` */
    cuid *list;
    uint32_t line, col;
} cscopec;

typedef struct ccond { bool when; cexpr *e; } ccond;

typedef struct cpolicy {
    const char *id;
    int effect;                  /* 1 permit, 0 forbid */
    bool is_template;
    size_t nannot;
    const char **annot_keys, **annot_vals;
    cscopec principal, action, resource;
    size_t ncond;
    ccond *conds;
    const char *file;
    uint32_t line, col;
} cpolicy;

/* ---- scope index (policyset.c; used by authorize.c) ----------------------------
 * Policies with the same compiled scope and the same leading `when`
 * conjunct (structurally equal, see cexpr_equal) form a group: the scope
 * check and that conjunct are evaluated once per group, so a thousand
 * policies that differ only in a later constant cost one evaluation when
 * the shared part is false.  Every scope uid gets a key id and every scope
 * type (`is T`) a type id; a group lives in exactly one place of the index:
 *   both principal and resource uids  -> pair lists (under both keys)
 *   else principal uid / resource uid -> that key's home list
 *   else action uid(s)                -> home lists of the action keys
 *   else resource type / principal type -> that type's list
 *   else                              -> the wildcard list
 * A decision marks the keys its principal, action and resource are `in`
 * (the entity itself and its ancestors), so every scope test on a group is
 * an O(1) array read and candidate gathering is bounded by the request's
 * ancestor counts, not by the number of policies. */
enum { CD_P, CD_A, CD_R };
typedef struct cindex_list { uint32_t n, cap; uint32_t *v; } cindex_list;
typedef struct cpair { uint32_t other, group; } cpair;
typedef struct cpairs { uint32_t n, cap; cpair *v; } cpairs;
typedef struct cscopek {
    uint8_t kind;                /* CS_* */
    bool list;                   /* action `in [..]`: any of keys[] */
    uint32_t key;                /* CS_EQ / CS_IN / CS_IS_IN */
    uint32_t tkey;               /* CS_IS / CS_IS_IN */
    uint32_t nkeys;
    uint32_t *keys;              /* list form */
} cscopek;
typedef struct cgroup {
    cscopek dim[3];
    const cexpr *guard;          /* leftmost conjunct of the first `when`, or NULL */
    cindex_list pol;             /* member policies, ascending */
} cgroup;
typedef struct ckey {
    cindex_list home[3];         /* groups homed under this key, per dimension */
    cpairs pair[2];              /* [0] under the principal key (other = resource
                                  * key), [1] under the resource key */
} ckey;
typedef struct cindex {
    cuidmap keys;                /* scope uid -> key id */
    ckey *k;
    size_t nk, capk;
    cuidmap types;               /* (type, "") -> type id */
    cindex_list *tlist;          /* 2 per type id: [2t] principal, [2t+1] resource */
    size_t nt, capt;
    cgroup *g;
    size_t ng, capg;
    cindex_list wildcard;
} cindex;

struct wr_policy_set {
    carena arena;
    cpolicy **pol;               /* all policies, templates and links */
    size_t n, cap;
    size_t nfiles;               /* files added (for messages) */
    cuidmap ids;                 /* ("", policy id) -> index in pol[] */
    /* scope index over non-template policies, rebuilt when the set changes */
    bool index_ok;
    cindex ix;
};

/* Structural equality and hash of expressions (positions ignored). */
bool cexpr_equal(const cexpr *a, const cexpr *b);
uint64_t cexpr_hash(const cexpr *x);

int cpolicy_parse_text(wr_policy_set *ps, const char *text, size_t len, const char *file,
                       wr_err *err);
int cpolicy_index_build(wr_policy_set *ps, wr_err *err);
/* Appends a parsed policy (rejecting duplicate ids); cps_truncate drops the
 * policies from index n on (rolling back a failed parse). */
int cps_append(wr_policy_set *ps, cpolicy *p, wr_err *err);
void cps_truncate(wr_policy_set *ps, size_t n);
void cpolicy_index_free(wr_policy_set *ps);

/* ---- entities -------------------------------------------------------------------- */
/* Sorted node indices of all of a node's ancestors (its transitive parents;
 * the node itself only when it lies on a cycle). */
typedef struct canc { uint32_t n; uint32_t v[]; } canc;

typedef struct cnode {
    const char *ty, *id;
    uint64_t hash;               /* cuid_hash(ty, id): index lookups skip hashing */
    uint32_t idn;
    uint32_t nparents;
    bool present;                /* declared in the store (not only a parent) */
    cv attrs;                    /* CV_REC */
    const cv *tags;              /* CV_REC, NULL when the entity has none */
    uint32_t *parents;
    /* ancestors, computed on first use and published once (entities.c);
     * NULL until then.  Read with acquire, written under the memo lock. */
    _Atomic(const canc *) anc;
} cnode;

typedef struct canc_memo canc_memo;

struct wr_entities {
    carena arena;
    /* uid -> node index: open addressing over 8-byte slots, each the high
     * half of the uid hash and node index + 1 (0: empty); the node holds
     * the full hash and the strings.  Compact, so building the index for
     * 100k entities stays in cache. Capacity a power of two, half full. */
    uint64_t *slots;
    size_t scap;
    cnode *nodes;
    size_t n, cap;
    const char *types[32];       /* interned entity type names (first 32) */
    size_t ntypes;
    canc_memo *memo;             /* lazily computed ancestor arrays */
};

#define CNODE_ABSENT UINT32_MAX
/* Memory cap on one store's memoised ancestor arrays; beyond it, ancestor
 * arrays are computed per decision into the caller's scratch instead. */
#define CANC_MEMO_MAX ((size_t)1 << 30)
const cnode *centities_get(const wr_entities *e, const char *ty, const char *id, size_t idn);
/* Node index of an entity value (its cached node when resolved, else a
 * hash lookup); CNODE_ABSENT when not in the store. */
uint32_t centities_index(const wr_entities *e, const cv *v);
/* Caches v's node index in v (request variables, once per decision). */
void centities_resolve(const wr_entities *e, cv *v);
/* Ancestors of node i: memoised in the store on first use (thread-safe);
 * when the memo is over its cap, computed into `scratch` (may be NULL)
 * instead.  NULL only when no memory is left for them. */
const canc *centities_anc(const wr_entities *e, uint32_t i, carena *scratch);
/* a in b over the hierarchy (a == b counts): 1 yes, 0 no, -1 out of
 * memory computing a's ancestors. */
int centities_in(const wr_entities *e, const cv *a, const cv *b, carena *scratch);
/* Test hook: lowers the memo cap of a store (bytes). */
void centities_memo_cap(wr_entities *e, size_t max);

/* ---- evaluation ---------------------------------------------------------------------- */
typedef struct ceval {
    carena *arena;
    const wr_entities *ents;
    cv var[4];
    char msg[512];
    int depth;
} ceval;

/* Evaluates x; returns 0 or -1 with ev->msg set. */
int ceval_expr(ceval *ev, const cexpr *x, cv *out);
/* Evaluates the conditions of a policy whose scope matched (the caller
 * checks the scope through the index): 1 satisfied, 0 not, -1 error (msg
 * set). */
int ceval_conds(ceval *ev, const cpolicy *p);
bool cv_like(const char *s, size_t n, const char *pat, const uint8_t *star, size_t patn);

#endif
