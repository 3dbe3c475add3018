/*
 * wat.h - the text format (internal): the lexer shared by the module parser
 * (wat.c) and the .wast script runner (cli/wast.c), literal parsing
 * (wat_lex.c), and the module parser that encodes text into the binary
 * format (wat.c), which the ordinary decoder then loads.
 *
 * Errors: every function here reports an error by filling *lx->err (code
 * WB_ERR_MALFORMED, message "LINE:COL: reason", offset = byte offset in the
 * text) and longjmp-ing to *lx->jb, which the caller sets with setjmp before
 * the first call.  A function that fails frees what it allocated before it
 * jumps, so the caller only ever frees what it was handed.
 */
#ifndef WB_WAT_H
#define WB_WAT_H

#include "internal.h"

#include <setjmp.h>

/* ---- tokens ------------------------------------------------------------------------ */

typedef enum wb__tokkind {
    WB__TOK_EOF,
    WB__TOK_LPAREN,
    WB__TOK_RPAREN,
    WB__TOK_KEYWORD,  /* idchars starting with a-z: module, i32.add, offset=8, inf, nan:0x1 */
    WB__TOK_NUMBER,   /* idchars starting with a digit, '+' or '-': 1, -0x1p3, +inf, -nan */
    WB__TOK_ID,       /* '$' and at least one idchar; text includes the '$' */
    WB__TOK_STRING,   /* "..." with the quotes; wb__lit_string decodes it */
    WB__TOK_RESERVED, /* any other run of idchars (or a lone '$'): an error where used */
} wb__tokkind;

typedef struct wb__tok {
    wb__tokkind kind;
    const char *p; /* into the source text */
    uint32_t len;
    uint32_t line, col; /* 1-based; col counts bytes */
} wb__tok;

/* Comments (";; ...", nested "(; ... ;)") and annotations ("(@name ...)",
 * balanced) are skipped by the lexer and never reach the parser. */
typedef struct wb__lex {
    const char *src, *end; /* the whole text */
    const char *p;         /* where the token after cur starts */
    uint32_t line;         /* line of p */
    const char *bol;       /* start of that line */
    wb__tok cur;           /* the current token */
    wb_error *err;
    jmp_buf *jb;
} wb__lex;

/* Reads the first token into lx->cur. */
void wb__lex_init(wb__lex *lx, const char *text, size_t len, wb_error *err, jmp_buf *jb);
/* Advances lx->cur to the next token. */
void wb__lex_next(wb__lex *lx);
/* The token after cur, without consuming anything. */
wb__tok wb__lex_peek(wb__lex *lx);
/* Fails at token `at` (NULL: at cur): "LINE:COL: " + the formatted reason. */
_Noreturn void wb__lex_fail(wb__lex *lx, const wb__tok *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* True when t is the keyword kw exactly. */
bool wb__tok_is(const wb__tok *t, const char *kw);
/* Fails with "expected WHAT" / "unexpected token" unless cur has this kind
 * (and, for kw != NULL, is that keyword); then advances. */
void wb__lex_expect(wb__lex *lx, wb__tokkind kind, const char *kw);
/* Skips cur: an atom, or a whole balanced ( ... ). */
void wb__lex_skip(wb__lex *lx);

/* ---- literals ---------------------------------------------------------------------- */
/* Each parses token t (NUMBER, or KEYWORD for inf / nan / nan:0x...) and
 * fails with the spec interpreter's words: "unknown operator" for a token
 * that is no number of the kind, "constant out of range" for one too big. */

/* An unsigned natural (indices, offsets, alignments, limits): no sign. */
uint64_t wb__lit_nat(wb__lex *lx, const wb__tok *t, uint64_t max);
/* An integer of `bits` (8, 16, 32, 64) in the signed or unsigned range
 * [-2^(bits-1), 2^bits); returned as its two's-complement bits. */
uint64_t wb__lit_int(wb__lex *lx, const wb__tok *t, unsigned bits);
/* Floats, as their bit patterns, correctly rounded; hex floats, inf, nan,
 * nan:0x... payloads and underscores in every spec form. */
uint32_t wb__lit_f32(wb__lex *lx, const wb__tok *t);
uint64_t wb__lit_f64(wb__lex *lx, const wb__tok *t);
/* Decodes a STRING token's escapes into out, which has room for t->len
 * bytes; returns the decoded length. */
size_t wb__lit_string(wb__lex *lx, const wb__tok *t, uint8_t *out);
/* Same, then fails with "malformed UTF-8 encoding" unless the bytes are
 * valid UTF-8 (names). */
size_t wb__lit_name(wb__lex *lx, const wb__tok *t, uint8_t *out);

/* ---- modules ----------------------------------------------------------------------- */

typedef enum { WB__WATMOD_TEXT, WB__WATMOD_BINARY, WB__WATMOD_QUOTE } wb__watform;

/* Where each encoded byte range came from, to turn a decoder error's byte
 * offset into a line and column of the text. */
typedef struct wb__srcpos {
    uint32_t offset;    /* first byte in the binary */
    uint32_t line, col; /* of the text construct it encodes */
} wb__srcpos;

typedef struct wb__watmod {
    wb__watform form;
    wb__tok id;         /* the module's $name (kind WB__TOK_ID), or kind WB__TOK_EOF */
    uint8_t *bytes;     /* the binary module (malloc); for BINARY the strings as given */
    size_t len;
    wb__srcpos *map;    /* sorted by offset; NULL for BINARY */
    uint32_t nmap;
} wb__watmod;

/* cur is '(' and the token after it the keyword "module": parses through
 * the matching ')' and leaves cur on the token after it.  TEXT is encoded;
 * BINARY strings are concatenated and not checked (the decoder does that);
 * QUOTE strings are concatenated and parsed as a text module (a syntax
 * error in them fails here, located in the quoted text). */
void wb__wat_module(wb__lex *lx, wb__watmod *out);
void wb__watmod_free(wb__watmod *m);
/* After wb_module_load failed on m->bytes: rewrite err->message from
 * "section N, offset 0x..: reason" to "LINE:COL: reason" when the offset
 * falls in text that m->map covers. */
void wb__watmod_locate(const wb__watmod *m, wb_error *err);

#endif
