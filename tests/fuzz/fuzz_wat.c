/*
 * fuzz_wat.c - libFuzzer target for the text format: any bytes go through
 * wb_module_from_wat (lexer, module parser, encoder, then the decoder and
 * validator on what it encoded) and, when a module comes out, through
 * instantiate (imports satisfied by type-correct stand-ins) and a call of
 * every exported function with zero arguments and a small fuel budget.
 * wb_wat_to_wasm must agree: it succeeds exactly when the text parses.
 * Then the same bytes are read as a .wast script the way cli/wast.c reads
 * one (script_walk): the lexer of src/wat.h token by token, the literal
 * parsers on every number and string, and wb__wat_module on every
 * (module ...) in any of its forms (text, binary, quote), each result loaded
 * and its load error located.  A crash, leak, sanitizer report or abort is a
 * finding.
 */
#include "wasmbox.h"
#include "wat.h"
#include "exercise.h"

#include <stdlib.h>
#include <string.h>

/* The walk's state lives here, not in script_walk's locals, which setjmp
 * would leave indeterminate after a longjmp. */
typedef struct walk {
    wb__lex lx;
    wb_error err;
    jmp_buf jb;
    wb__watmod wm;
    uint8_t *buf;
    unsigned steps;
    const char *from, *end; /* where the walk (re)starts, and the input's end */
    const char *start;      /* the construct being walked */
} walk;

/* One literal or module at the cursor; a syntax error there longjmps back
 * to script_walk, which skips the construct and goes on. */
static void walk_one(walk *w)
{
    wb__lex *lx = &w->lx;
    wb__tok t = lx->cur;
    if (t.kind == WB__TOK_LPAREN) {
        wb__tok kw = wb__lex_peek(lx);
        if (!wb__tok_is(&kw, "module")) {
            wb__lex_next(lx);
            return;
        }
        wb__wat_module(lx, &w->wm);
        wb_module *m = NULL;
        wb_error err;
        if (wb_module_load(w->wm.bytes, w->wm.len, &m, &err) != WB_OK) {
            wb__watmod_locate(&w->wm, &err);
            if (!memchr(err.message, 0, sizeof err.message))
                abort();
        }
        wb_module_free(m);
        wb__watmod_free(&w->wm);
        return;
    }
    if (t.kind == WB__TOK_NUMBER || t.kind == WB__TOK_KEYWORD) {
        /* Each parser either succeeds or longjmps: try them in turn, from the
         * one least likely to reject the token. */
        switch (w->steps++ % 5) {
        case 0: (void)wb__lit_f64(lx, &t); break;
        case 1: (void)wb__lit_f32(lx, &t); break;
        case 2: (void)wb__lit_int(lx, &t, 64); break;
        case 3: (void)wb__lit_int(lx, &t, 32); break;
        default: (void)wb__lit_nat(lx, &t, UINT32_MAX); break;
        }
    } else if (t.kind == WB__TOK_STRING) {
        free(w->buf);
        w->buf = malloc(t.len + 1);
        if (w->buf) {
            size_t n = wb__lit_string(lx, &t, w->buf);
            if (n > t.len)
                abort();
            (void)wb__lit_name(lx, &t, w->buf);
        }
    }
    wb__lex_next(lx);
}

static void script_walk(walk *w, const uint8_t *data, size_t size)
{
    w->from = (const char *)data;
    w->end = w->from + size;
    if (setjmp(w->jb)) {
        /* Go on after the token that failed, and at least one byte after
         * the construct's start, so the walk always ends. */
        wb__watmod_free(&w->wm);
        const char *p = w->lx.cur.p + w->lx.cur.len;
        if (p <= w->start)
            p = w->start + 1;
        if (p >= w->end)
            return;
        w->from = p;
    }
    /* The lexer sets cur only once past comments, which may fail first. */
    w->lx.cur.p = w->start = w->from;
    w->lx.cur.len = 0;
    wb__lex_init(&w->lx, w->from, (size_t)(w->end - w->from), &w->err, &w->jb);
    while (w->lx.cur.kind != WB__TOK_EOF) {
        w->start = w->lx.cur.p;
        walk_one(w);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wb_module *m;
    wb_error err, err2;
    uint8_t *bin = NULL;
    size_t len = 0;
    wb_result enc = wb_wat_to_wasm((const char *)data, size, &bin, &len, &err2);
    wb_result r = wb_module_from_wat((const char *)data, size, &m, &err);
    /* Both entry points share the encoder: they must agree, and a syntax
     * error must say where it is ("LINE:COL: ..."). */
    if (enc != WB_OK) {
        if (r != enc || strcmp(err.message, err2.message))
            abort();
        if (enc == WB_ERR_MALFORMED && (err.message[0] < '1' || err.message[0] > '9'))
            abort();
    } else {
        wb_module *m2 = NULL;
        if (wb_module_load(bin, len, &m2, &err2) != r)
            abort();
        wb_module_free(m2);
    }
    wb_free(bin);

    walk *w = calloc(1, sizeof *w);
    if (w) {
        script_walk(w, data, size);
        wb__watmod_free(&w->wm);
        free(w->buf);
        free(w);
    }

    if (r != WB_OK)
        return 0;
    exercise(m, NULL);
    wb_module_free(m);
    return 0;
}
