/*
 * wat_enc.h - private to the text-format encoder: wat.c (module fields, the
 * two passes, section assembly, source map, public entry points) and
 * wat_instr.c (the mnemonic table and the instruction parser).
 *
 * Everything the encoder allocates hangs off one wb__wat, so an error (which
 * longjmps to wb__wat.jb) is cleaned up by freeing that one structure.
 */
#ifndef WB_WAT_ENC_H
#define WB_WAT_ENC_H

#include "wat.h"

#include <stdlib.h>
#include <string.h>

/* A growable byte buffer. */
typedef struct wb__wbuf {
    uint8_t *p;
    size_t len, cap;
} wb__wbuf;

/* Name -> value, keyed by the token text (which includes the '$').  An entry
 * counts only when its gen equals the map's, so clearing is gen++. */
typedef struct wb__wname {
    const char *p;
    uint32_t len;
    uint32_t val;
    uint32_t gen;
} wb__wname;

typedef struct wb__wnames {
    wb__wname *e;
    uint32_t cap, n, gen;
} wb__wnames;

/* Index spaces with names.  Order matters: wb__wat_spacename. */
enum { WB__SP_TYPE, WB__SP_FUNC, WB__SP_TABLE, WB__SP_MEM, WB__SP_GLOBAL, WB__SP_ELEM, WB__SP_DATA,
       WB__SP_LOCAL, WB__SP_LABEL, WB__SP_COUNT };

/* A function type: its value types are tbytes[off .. off+np+nr). */
typedef struct wb__wtype {
    uint32_t off, np, nr;
    uint32_t line, col; /* where it was defined, or first used (implicit types) */
} wb__wtype;

/* Section ids 0..12 are the binary's; the others are scratch buffers whose
 * map entries are moved to a real section when their bytes are copied. */
enum { WB__SEC_BODY = 13, WB__SEC_TMP1, WB__SEC_TMP2, WB__SEC_NONE = 255 };

typedef struct wb__wmap {
    uint32_t sec, off;
    uint32_t line, col; /* line 0: bytes no text construct covers (headers) */
} wb__wmap;

/* A parsed type use: (type x)? (param ..)* (result ..)*.  The inline value
 * types sit on wb__wat.sig from sig_off (params first). */
typedef struct wb__wtypeuse {
    int64_t idx;        /* explicit index, or -1 */
    const char *p;      /* where errors and implicit types point: the x of */
    uint32_t line, col; /* (type x), or the construct that has the type use */
    uint32_t sig_off, np, nr;
} wb__wtypeuse;

/* One open construct of the instruction parser (wat_instr.c). */
typedef struct wb__wframe {
    uint8_t kind;
    uint8_t op;       /* flat block: 0x02, 0x03, 0x04 */
    uint8_t has_else; /* flat if */
    uint8_t callind;  /* folded call_indirect: its type is resolved when it closes */
    const char *lab;  /* the label's name, or NULL */
    uint32_t lablen;
    uint32_t pend;    /* folded plain instruction: its bytes start here in wb__wat.pend */
    uint32_t line, col;
    uint32_t table;
    uint32_t else_at; /* if: where its else byte is, and the map entries then */
    uint32_t else_map;
    wb__wtypeuse tu;  /* folded if / call_indirect: the type use, resolved later */
} wb__wframe;

typedef struct wb__wlabel {
    const char *p; /* NULL: anonymous */
    uint32_t len;
    uint32_t prev; /* the name's previous binding (label index + 1, or 0) */
} wb__wlabel;

typedef struct wb__wat {
    wb__lex *lx;
    wb_error *err;
    jmp_buf jb;

    wb__wnames names[WB__SP_COUNT];
    uint32_t count[WB__SP_COUNT]; /* pass 1: totals; pass 2: running */
    uint32_t last_def;            /* pass 1: space of the last definition (0: none) */

    wb__wtype *types;
    uint32_t ntypes, ctypes;
    wb__wbuf tbytes;    /* value types of all types */
    uint32_t *sigtab;   /* signature hash: type index + 1 (first type with that signature) */
    uint32_t sigcap;

    wb__wbuf sec[13];   /* section contents, without their item counts */
    uint32_t nitems[13];
    bool has_start;
    bool uses_datacount; /* memory.init or data.drop seen */

    wb__wbuf body;     /* the function body being encoded */
    wb__wbuf pend;     /* folded instructions' bytes, emitted when they close */
    wb__wbuf sig;      /* inline signatures being parsed (a stack) */
    wb__wbuf tmp, tmp2;
    wb__wbuf eoff, eitems; /* an element segment's offset and items, until its flags are known */
    wb__wbuf ltypes;   /* declared locals of the current function */
    uint32_t nlocals;  /* params + locals bound so far */

    wb__wmap *map;
    uint32_t nmap, cmap;
    wb__wbuf *out;     /* where instructions go */
    uint32_t outsec;   /* and the map section of that buffer */

    wb__wframe *frames;
    uint32_t nframes, cframes;
    wb__wlabel *labels;
    uint32_t nlabels, clabels;

    char *qtext;       /* a quoted module's text (owned) */
} wb__wat;

/* ---- wat.c ---------------------------------------------------------------------- */

_Noreturn void wb__wat_oom(wb__wat *P);
void wb__wbuf_grow(wb__wat *P, wb__wbuf *b, size_t n);
/* Array a of *cap elements of `elem` bytes, grown by doubling to hold `need`. */
void *wb__wat_grow(wb__wat *P, void *a, uint32_t *cap, uint32_t need, size_t elem);
/* Fails at t: "unexpected token", or "unknown operator X" for a keyword
 * nothing knows (the reference interpreter's lexer rejects those first). */
_Noreturn void wb__wat_unexpected(wb__wat *P, const wb__tok *t);
/* Advances; a reserved token (no keyword, number, id or string) fails at
 * once with "unknown operator", as the reference lexer does. */
void wb__wat_next(wb__wat *P);
/* Fails unless cur is ')'; advances. */
void wb__wat_rpar(wb__wat *P);
/* The entry of a $name in a space (NULL if absent and !insert).  A new
 * entry has val UINT32_MAX. */
wb__wname *wb__wat_name(wb__wat *P, int sp, const char *p, uint32_t len, bool insert);
/* A NUMBER token as a u32 ("i32 constant out of range"). */
uint32_t wb__wat_nat32(wb__wat *P, const wb__tok *t);
/* The next token, parsed as an index or $name of the space; advances. */
uint32_t wb__wat_var(wb__wat *P, int space);
/* A value type keyword; advances. */
uint8_t wb__wat_valtype(wb__wat *P);
/* Parses a type use at cur.  names: (param $x t) allowed; bind: and bound
 * as locals. */
void wb__wat_typeuse(wb__wat *P, wb__wtypeuse *tu, bool names, bool bind);
/* The type index of a parsed type use (an implicit type is appended when no
 * type has its signature); pops its signature. */
uint32_t wb__wat_resolve(wb__wat *P, wb__wtypeuse *tu);
/* Block type of a parsed type use, as the s33 the binary holds; pops it. */
int64_t wb__wat_blocktype(wb__wat *P, wb__wtypeuse *tu);
/* Records that the next byte of P->out comes from text at (line, col). */
void wb__wat_mark(wb__wat *P, uint32_t line, uint32_t col);
/* True when the NUMBER token is an unsigned natural; *v saturates at
 * UINT64_MAX on overflow (*ovf set). */
bool wb__wat_nat(const char *s, size_t n, uint64_t *v, bool *ovf);
/* cur is '(' and the token after it is keyword kw. */
bool wb__wat_lpar_kw(wb__wat *P, const char *kw);

/* ---- wat_instr.c ------------------------------------------------------------------- */

/* Instructions up to the ')' that closes the enclosing construct (cur is
 * left on it), into P->out. */
void wb__wat_instrs(wb__wat *P);
/* Exactly one folded instruction; cur is its '('. */
void wb__wat_expr1(wb__wat *P);
/* Is this keyword token meaningful anywhere in the text format? */
bool wb__wat_known_kw(const wb__tok *t);

/* ---- small encoders ---------------------------------------------------------------- */

static inline uint8_t *wb__wbuf_room(wb__wat *P, wb__wbuf *b, size_t n)
{
    if (b->cap - b->len < n || !b->p) /* never NULL, even for n == 0 */
        wb__wbuf_grow(P, b, n);
    return b->p + b->len;
}

static inline void wb__wbyte(wb__wat *P, wb__wbuf *b, uint8_t v)
{
    if (b->len == b->cap)
        wb__wbuf_grow(P, b, 1);
    b->p[b->len++] = v;
}

static inline void wb__wbytes(wb__wat *P, wb__wbuf *b, const void *src, size_t n)
{
    if (n) {
        memcpy(wb__wbuf_room(P, b, n), src, n);
        b->len += n;
    }
}

static inline void wb__wu32(wb__wat *P, wb__wbuf *b, uint32_t v)
{
    uint8_t *q = wb__wbuf_room(P, b, 5), *q0 = q;
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        *q++ = c | (v ? 0x80 : 0);
    } while (v);
    b->len += (size_t)(q - q0);
}

static inline void wb__ws64(wb__wat *P, wb__wbuf *b, int64_t v)
{
    uint8_t *q = wb__wbuf_room(P, b, 10), *q0 = q;
    for (;;) {
        uint8_t c = (uint8_t)(v & 0x7f);
        v = v < 0 ? ~(~v >> 7) : v >> 7; /* an arithmetic shift without implementation-defined >> */
        if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
            *q++ = c;
            break;
        }
        *q++ = c | 0x80;
    }
    b->len += (size_t)(q - q0);
}

#endif
