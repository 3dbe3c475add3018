// udf.ts - AssemblyScript helpers for wasmbox UDFs: the canonical ABI of
// the PostgreSQL extension `wasm` (and the SQLite extension) for strings and
// byte lists.  See docs/guests.md; build with sdk/assemblyscript/build.mjs.
//
//   import { text, returnText } from "../../sdk/assemblyscript/udf";
//   export { cabi_realloc, wasmbox_trap_message } from "../../sdk/assemblyscript/udf";
//
//   // @sql shout(text) -> text
//   export function shout(p: usize, n: usize): usize {
//     return returnText(text(p, n).toUpperCase());
//   }
//
// A text or bytea argument arrives as two parameters (pointer, length in
// bytes) that `text`/`bytes` turn into a string (UTF-8 decoded to
// AssemblyScript's UTF-16) or a Uint8Array, freeing the host's copy.  A text
// or bytea result goes back through `returnText`/`returnBytes`, which encode
// it into memory the host reads through the returned "return area" (the
// address of a (pointer, length) pair).  The encoded result is freed by
// `post` (export `cabi_post_<name>` calling it) or at the next result.
// Integers and floats cross as themselves (i32 integer, i64 bigint, f32
// real, f64 double precision; bool as i32).
//
// Errors: `abort` (assert, a failed cast, an index out of range,
// `throw new Error(...)`) becomes a trap whose message the host shows:
// build.mjs points AssemblyScript's abort at `wasmboxAbort`, which leaves
// "message (file:line:column)" where the exported global
// `wasmbox_trap_message` says, then executes `unreachable`.
//
// Strings: a lone surrogate in a returned string encodes to bytes that are
// not UTF-8 (WTF-8); hosts refuse such text with an error rather than
// change it.

/** The canonical ABI's allocator: room for an argument the host copies in. */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  // TLSF blocks are 16-byte aligned: enough for any align the ABI asks.
  if (old == 0) return heap.alloc(newSize);
  return heap.realloc(old, newSize);
}

// ---- the trap message -----------------------------------------------------------------------

const TRAP_CAP: usize = 1024;
const TRAP_BUF: usize = memory.data(<i32>TRAP_CAP);
const TRAP_AREA: usize = memory.data(8, 4);

/** The address of the (ptr, len) pair a host reads after a trap. */
export const wasmbox_trap_message: usize = TRAP_AREA;

// Append s (UTF-8, cut to what fits) to the message; no allocation, as an
// abort may come from an exhausted heap.
function putMessage(at: usize, s: string): usize {
  let units = s.length;
  let room = TRAP_CAP - at;
  // At most 3 bytes per UTF-16 unit.
  if (<usize>units * 3 > room) units = <i32>(room / 3);
  return at + String.UTF8.encodeUnsafe(changetype<usize>(s), units, TRAP_BUF + at, false);
}

/** Ends the call with a trap whose message the host shows. */
export function trap(message: string): void {
  let n = putMessage(0, message);
  store<u32>(TRAP_AREA, <u32>TRAP_BUF);
  store<u32>(TRAP_AREA, <u32>n, 4);
  unreachable();
}

/** AssemblyScript's abort, as build.mjs maps it (--use abort=...). */
export function wasmboxAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let n = putMessage(0, message !== null ? message : "abort");
  if (fileName !== null) {
    n = putMessage(n, " (");
    n = putMessage(n, fileName);
    n = putMessage(n, ":" + line.toString() + ":" + column.toString() + ")");
  }
  store<u32>(TRAP_AREA, <u32>TRAP_BUF);
  store<u32>(TRAP_AREA, <u32>n, 4);
  unreachable();
}

// ---- arguments --------------------------------------------------------------------------------

/** A text argument: the UTF-8 bytes the host placed at ptr, as a string. */
// @ts-ignore: decorator
@inline
export function text(ptr: usize, len: usize): string {
  let s = String.UTF8.decodeUnsafe(ptr, len, false);
  heap.free(ptr);
  return s;
}

/** A bytea argument as a Uint8Array of its own. */
export function bytes(ptr: usize, len: usize): Uint8Array {
  let a = new Uint8Array(<i32>len);
  memory.copy(a.dataStart, ptr, len);
  heap.free(ptr);
  return a;
}

// ---- results ---------------------------------------------------------------------------------

const RET_AREA: usize = memory.data(8, 4);
let kept: usize = 0;

// @ts-ignore: decorator
@inline
function release(): void {
  if (kept != 0) {
    heap.free(kept);
    kept = 0;
  }
}

// @ts-ignore: decorator
@inline
function area(ptr: usize, len: usize): usize {
  kept = ptr;
  store<u32>(RET_AREA, <u32>ptr);
  store<u32>(RET_AREA, <u32>len, 4);
  return RET_AREA;
}

/** A text result, encoded to UTF-8; returns the return area. */
export function returnText(s: string): usize {
  release();
  let n = String.UTF8.byteLength(s, false);
  let buf = heap.alloc(n);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, buf, false);
  return area(buf, n);
}

/** A bytea result; returns the return area. */
export function returnBytes(b: Uint8Array): usize {
  release();
  let n = <usize>b.byteLength;
  let buf = heap.alloc(n);
  memory.copy(buf, b.dataStart, n);
  return area(buf, n);
}

/** For cabi_post_<name>: the host has copied the result. */
export function post(): void {
  release();
}
