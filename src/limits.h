/*
 * limits.h - every implementation limit of the engine, named once, with why.
 *
 * Module-shape caps follow the limits the web's JS embedding imposes on every
 * browser engine (so any module that runs in a browser loads here), and are
 * checked while decoding, before anything is allocated for the counted
 * items, so an absurd count costs nothing.
 */
#ifndef WB_LIMITS_H
#define WB_LIMITS_H

/* Module shape (JS-API values). */
#define WB_MAX_MODULE_BYTES (1u << 30)     /* 1 GiB: larger is certainly an attack */
#define WB_MAX_TYPES 1000000u
#define WB_MAX_FUNCS 1000000u
#define WB_MAX_IMPORTS 100000u
#define WB_MAX_EXPORTS 100000u
#define WB_MAX_GLOBALS 1000000u
#define WB_MAX_TABLES 100000u
#define WB_MAX_ELEM_SEGMENTS 10000000u
#define WB_MAX_DATA_SEGMENTS 100000u
#define WB_MAX_PARAMS 1000u
#define WB_MAX_RESULTS 1000u
#define WB_MAX_LOCALS 50000u               /* per function, params included */
#define WB_MAX_FUNC_BODY_BYTES 7654321u
#define WB_MAX_NAME_BYTES 100000u          /* import/export names */
/* Control nesting (block/loop/if) inside one function: the compiler keeps a
 * control stack of this depth; 10k nested blocks must fail cleanly, not
 * exhaust anything. */
#define WB_MAX_NESTING 50000u
/* Operand stack height of one function (in 8-byte slots), so frame offsets fit
 * in 32 bits with room to spare. */
#define WB_MAX_FRAME_SLOTS (1u << 20)

/* The text format. */
/* Largest .wat text: the lexer's offsets and columns are 32-bit, and, as for
 * binaries, a larger text is certainly an attack. */
#define WB_MAX_TEXT_BYTES (1u << 30)
/* Open constructs (folded instructions, blocks) at once.  The parser keeps
 * them on its own heap stack, not the C stack, so this bounds memory (about
 * 80 bytes a level, 20 MiB at the cap); it is five times the control nesting
 * a function may have (WB_MAX_NESTING), since folded operands nest too. */
#define WB_MAX_TEXT_NESTING 250000u

/* Memory and tables. */
#define WB_PAGE_SIZE 65536u
#define WB_MAX_PAGES 65536u                /* 4 GiB, the wasm32 address space */
/* Default per-instance memory cap when the host sets none: the whole wasm32
 * space.  Hosts (the PostgreSQL extension, wasmboxd) set their own. */
#define WB_DEFAULT_MAX_MEMORY_BYTES (4ull << 30)
#define WB_MAX_TABLE_ELEMS 10000000u       /* JS-API table size limit */
/* An instance's tables (8 bytes an element), globals and function
 * references count against its memory cap with its linear memory, so that
 * no state escapes the cap (four 10M-element tables once took 333 MB under
 * a 64 KiB cap).  The first 64 KiB of that state is not counted: a cap in
 * whole pages then still gives linear memory whole pages, as it does for a
 * module with no table, since nearly every compiled module has a small
 * table and a few globals. */
#define WB_STATE_ALLOWANCE (64u << 10)
#define WB_DEFAULT_MAX_TABLE_ELEMS 10000000u

/* Fuel of bulk operations, on top of the one unit of the instruction: a
 * constant charge let a loop of 64 MiB fills run ten minutes on a budget
 * meant for a second.  memory.fill/copy/init pay one unit per 16 bytes
 * (rounded up; memset runs 16 bytes in about the time the interpreter runs
 * one instruction), table.fill/copy/init/grow one unit per element. */
#define WB_FUEL_BULK_SHIFT 4u
#define WB_FUEL_BULK_BYTES(n) (((uint64_t)(n) + (1u << WB_FUEL_BULK_SHIFT) - 1) >> WB_FUEL_BULK_SHIFT)
#define WB_FUEL_TABLE_ELEMS(n) ((uint64_t)(n))
/* table.init evaluates each element's expression: about four times a fill. */
#define WB_FUEL_TABLE_INIT(n) ((uint64_t)(n) * 4)
/* A call zeroes its callee's locals and copies its constants into the new
 * frame: one unit per four 8-byte slots, on top of the entry's instruction
 * count, since a body of one call with 50,000 v128 locals otherwise ran
 * 800 KB of stores per unit of fuel. */
#define WB_FUEL_FRAME_SLOTS(n) ((uint64_t)(n) / 4)

/* A call from wasm to a host function costs about a system call (a WASI
 * call is one), a hundred instructions' time; the host adds what its work
 * costs (wb_host_charge: WASI charges its bytes at the bulk rate above). */
#define WB_FUEL_HOST_CALL 100u
/* WASI: a path component walked (an openat, perhaps a readlinkat) is
 * another system call; random bytes cost a unit each (getrandom makes a few
 * hundred MB a second, memcpy ten times that). */
#define WB_FUEL_WASI_STEP 100u
#define WB_FUEL_RANDOM_BYTES(n) ((uint64_t)(n))

/* Execution.  Frames live on the engine's own stack, never the C stack, so
 * these bound memory, not C recursion. */
#define WB_DEFAULT_MAX_DEPTH 10000u        /* nested wasm calls per wb_call */
#define WB_DEFAULT_MAX_STACK (8u << 20)    /* value stack bytes per wb_call */
/* First allocations of a call's value stack and frame stack, grown by
 * doubling: small, since a host such as wasmboxd keeps a suspended call per
 * sandbox and most guests never go deep. */
#define WB_MIN_STACK_SLOTS 64u
#define WB_MIN_FRAMES 8u
/* Compiled functions calling each other nest on the C stack by a return
 * address each (compile/emit_x64.c), at most this deep from where machine
 * code was entered (80 KB); a deeper call goes through the interpreter,
 * which counts depth against max_call_depth on the engine's own stack. */
#define WB_JIT_NATIVE_DEPTH 10000u
/* Machine code charges fuel in a register and looks at the interrupt flags
 * only when that register runs out: it holds at most this much of the
 * fuel at a time (code.h), so an interrupt stops compiled code within about
 * a millisecond, and a back-edge or call costs a subtraction and a branch. */
#define WB_JIT_FUEL_CHUNK ((int64_t)1 << 20)

/* WASI (wasi.c). */
/* Open file descriptors per context, preopens and stdio included: a
 * guest cannot exhaust the host's descriptors through one context. */
#define WB_WASI_MAX_FDS 1024u
/* A path argument, and a path after symlinks are spliced in (Linux's PATH_MAX). */
#define WB_WASI_MAX_PATH 4096u
/* Symlinks followed in one lookup (Linux's MAXSYMLINKS is 40). */
#define WB_WASI_MAX_SYMLINKS 32u
/* iovecs per read or write (Linux's IOV_MAX). */
#define WB_WASI_MAX_IOVS 1024u
/* Subscriptions per poll_oneoff: the host copies them out of guest memory. */
#define WB_WASI_MAX_SUBSCRIPTIONS 4096u

#endif
