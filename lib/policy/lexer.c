/*
 * lexer.c — tokenizer for Cedar policies and schemas.
 *
 * Tokens point into the source text (no copies); line and column are
 * 1-based, columns count characters (UTF-8 continuation bytes are not
 * counted) so messages match what an editor shows.  `//` comments run to
 * the end of the line.  String escapes follow Cedar: \n \r \t \\ \0 \' \"
 * \u{hex}, and in `like` patterns \* for a literal star.
 */
#include "policy/lexer.h"

#include <stdio.h>
#include <string.h>

void clex_init(clexer *L, const char *src, size_t len, const char *file)
{
    memset(L, 0, sizeof *L);
    L->src = src;
    L->len = len;
    L->file = file ? file : "<input>";
    L->line = 1;
    L->col = 1;
    clex_next(L);
}

static void adv(clexer *L)
{
    unsigned char c = (unsigned char)L->src[L->pos++];
    if (c == '\n') {
        L->line++;
        L->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        L->col++;
    }
}

static bool is_id0(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_id(int c) { return is_id0(c) || (c >= '0' && c <= '9'); }

void clex_next(clexer *L)
{
    const char *s = L->src;
    for (;;) {
        while (L->pos < L->len && (s[L->pos] == ' ' || s[L->pos] == '\t' || s[L->pos] == '\n' ||
                                   s[L->pos] == '\r'))
            adv(L);
        if (L->pos + 1 < L->len && s[L->pos] == '/' && s[L->pos + 1] == '/') {
            while (L->pos < L->len && s[L->pos] != '\n')
                adv(L);
            continue;
        }
        break;
    }
    ctoken *t = &L->tok;
    t->line = L->line;
    t->col = L->col;
    t->p = s + L->pos;
    t->n = 0;
    if (L->pos >= L->len) {
        t->t = T_EOF;
        return;
    }
    char c = s[L->pos];
    size_t start = L->pos;
    if (is_id0((unsigned char)c)) {
        while (L->pos < L->len && is_id((unsigned char)s[L->pos]))
            adv(L);
        t->t = T_IDENT;
        t->n = L->pos - start;
        return;
    }
    if (c >= '0' && c <= '9') {
        while (L->pos < L->len && s[L->pos] >= '0' && s[L->pos] <= '9')
            adv(L);
        t->t = T_INT;
        t->n = L->pos - start;
        return;
    }
    if (c == '"') {
        adv(L);
        size_t b = L->pos;
        while (L->pos < L->len && s[L->pos] != '"') {
            if (s[L->pos] == '\\' && L->pos + 1 < L->len)
                adv(L);
            adv(L);
        }
        if (L->pos >= L->len) {
            t->t = T_ERR;
            L->errmsg = "unterminated string literal";
            return;
        }
        t->t = T_STR;
        t->p = s + b;
        t->n = L->pos - b;
        adv(L);
        return;
    }
    if (c == '?') {
        adv(L);
        size_t b = L->pos;
        while (L->pos < L->len && is_id((unsigned char)s[L->pos]))
            adv(L);
        if (L->pos == b) {
            t->t = T_QUESTION;
            t->n = 1;
            return;
        }
        t->t = T_SLOT;
        t->p = s + b;
        t->n = L->pos - b;
        return;
    }
    char d = L->pos + 1 < L->len ? s[L->pos + 1] : 0;
    static const struct { char a, b; int t; } two[] = {
        {':', ':', T_COLON2}, {'=', '=', T_EQ}, {'!', '=', T_NE}, {'<', '=', T_LE},
        {'>', '=', T_GE}, {'&', '&', T_AND}, {'|', '|', T_OR},
    };
    for (size_t i = 0; i < sizeof two / sizeof two[0]; i++) {
        if (c == two[i].a && d == two[i].b) {
            adv(L);
            adv(L);
            t->t = two[i].t;
            t->n = 2;
            return;
        }
    }
    static const char one[] = "(){}[],;.:@<>!+-*=";
    static const int onet[] = {T_LP, T_RP, T_LB, T_RB, T_LBK, T_RBK, T_COMMA, T_SEMI, T_DOT,
                               T_COLON, T_AT, T_LT, T_GT, T_NOT, T_PLUS, T_MINUS, T_STAR,
                               T_ASSIGN};
    const char *f = c ? strchr(one, c) : NULL;
    if (f) {
        adv(L);
        t->t = onet[f - one];
        t->n = 1;
        return;
    }
    t->t = T_ERR;
    t->n = 1;
    L->errmsg = "unexpected character";
}

ctoken clex_peek(clexer *L)
{
    clexer save = *L;
    clex_next(L);
    ctoken t = L->tok;
    *L = save;
    return t;
}

bool clex_is(const ctoken *t, const char *word)
{
    return t->t == T_IDENT && strlen(word) == t->n && memcmp(t->p, word, t->n) == 0;
}

bool clex_accept(clexer *L, int tt)
{
    if (L->tok.t != tt)
        return false;
    clex_next(L);
    return true;
}

bool clex_accept_word(clexer *L, const char *word)
{
    if (!clex_is(&L->tok, word))
        return false;
    clex_next(L);
    return true;
}

const char *clex_tokname(int t)
{
    static const char *names[] = {
        "end of input", "identifier", "string", "integer", "template slot", "'('", "')'",
        "'{'", "'}'", "'['", "']'", "','", "';'", "'.'", "'::'", "':'", "'@'", "'=='",
        "'!='", "'<'", "'<='", "'>'", "'>='", "'&&'", "'||'", "'!'", "'+'", "'-'", "'*'",
        "'='", "'?'", "invalid token"};
    return t >= 0 && t <= T_ERR ? names[t] : "?";
}

void clex_expected(const clexer *L, const char *want, char *buf, size_t n)
{
    const ctoken *t = &L->tok;
    if (t->t == T_ERR)
        snprintf(buf, n, "%s", L->errmsg);
    else if (t->t == T_EOF)
        snprintf(buf, n, "expected %s, found end of input", want);
    else
        snprintf(buf, n, "expected %s, found '%.*s'", want, (int)(t->n > 40 ? 40 : t->n), t->p);
}

static int hexv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static size_t utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int clex_unescape(carena *a, const char *raw, size_t n, bool pattern, char **out,
                  size_t *outn, uint8_t **star, size_t *bad)
{
    char *o = ca_alloc(a, n + 1);
    uint8_t *st = pattern ? ca_alloc(a, n + 1) : NULL;
    if (!o || (pattern && !st)) {
        *bad = 0;
        return -2;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = raw[i];
        if (c == '*' && pattern) {
            st[k] = 1;
            o[k++] = '*';
            continue;
        }
        if (c != '\\') {
            o[k++] = c;
            continue;
        }
        *bad = i;
        if (i + 1 >= n)
            return -1;
        char e = raw[++i];
        switch (e) {
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case '\\': o[k++] = '\\'; break;
        case '0': o[k++] = '\0'; break;
        case '\'': o[k++] = '\''; break;
        case '"': o[k++] = '"'; break;
        case '*':
            if (!pattern)
                return -1;
            o[k++] = '*';
            break;
        case 'u': {
            if (i + 1 >= n || raw[i + 1] != '{')
                return -1;
            i += 2;
            uint32_t cp = 0;
            int nd = 0;
            while (i < n && raw[i] != '}') {
                int h = hexv(raw[i]);
                if (h < 0 || ++nd > 6)
                    return -1;
                cp = cp * 16 + (uint32_t)h;
                i++;
            }
            if (i >= n || nd == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return -1;
            /* the escape is at least 5 bytes long, the encoding at most 4 */
            k += utf8_put(o + k, cp);
            break;
        }
        default:
            return -1;
        }
    }
    o[k] = '\0';
    *out = o;
    *outn = k;
    if (star)
        *star = st;
    return 0;
}
