/*
 * lexer.h — tokens shared by the policy and schema parsers.
 */
#ifndef WARRANT_POLICY_LEXER_H
#define WARRANT_POLICY_LEXER_H

#include "policy/cedar.h"

enum ctok {
    T_EOF, T_IDENT, T_STR, T_INT, T_SLOT, T_LP, T_RP, T_LB, T_RB, T_LBK, T_RBK,
    T_COMMA, T_SEMI, T_DOT, T_COLON2, T_COLON, T_AT, T_EQ, T_NE, T_LT, T_LE, T_GT,
    T_GE, T_AND, T_OR, T_NOT, T_PLUS, T_MINUS, T_STAR, T_ASSIGN, T_QUESTION, T_ERR
};

typedef struct ctoken {
    int t;
    const char *p;               /* raw text (strings: between the quotes) */
    size_t n;
    uint32_t line, col;
} ctoken;

typedef struct clexer {
    const char *src, *file;
    size_t len, pos;
    uint32_t line, col;
    ctoken tok;                  /* current token */
    const char *errmsg;          /* set with T_ERR */
} clexer;

void clex_init(clexer *L, const char *src, size_t len, const char *file);
void clex_next(clexer *L);
/* The token after the current one, without consuming. */
ctoken clex_peek(clexer *L);
bool clex_is(const ctoken *t, const char *word);   /* identifier equal to word */
/* Consume the current token if it is tt / the identifier word. */
bool clex_accept(clexer *L, int tt);
bool clex_accept_word(clexer *L, const char *word);
const char *clex_tokname(int t);
/* "expected WANT, found ..." for the current token (or the lexer error). */
void clex_expected(const clexer *L, const char *want, char *buf, size_t n);
/* Decodes a string literal's escapes into arena memory.  pattern: `\*` is a
 * literal star and a bare `*` is a wildcard (flags in *star).  On a bad
 * escape returns -1 and *bad is the byte offset of the backslash. */
int clex_unescape(carena *a, const char *raw, size_t n, bool pattern, char **out,
                  size_t *outn, uint8_t **star, size_t *bad);

#endif
