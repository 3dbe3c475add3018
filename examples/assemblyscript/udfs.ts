// udfs.ts - the example UDFs in AssemblyScript, with sdk/assemblyscript/udf.ts.
// The same functions, with the same results, are in examples/c/udfs.c and
// examples/rust/udfs.rs.  Build (docs/guests.md):
//     node sdk/assemblyscript/build.mjs examples/assemblyscript/udfs.ts -o udfs.wasm
// Each `// @sql` line declares an export's SQL signature (the module's
// wasmbox.sql section); functions on integers and floats need none.
import { text, bytes, returnText, returnBytes, resultRoom, returnUtf8, post } from "../../sdk/assemblyscript/udf";
export { cabi_realloc, wasmbox_trap_message } from "../../sdk/assemblyscript/udf";

/** The call-overhead example: two integers in, one out. */
export function add(a: i32, b: i32): i32 {
  return a + b;
}

/** Recursive Fibonacci: a compute-heavy call. */
export function fib(n: i32): i32 {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** Text reversed by characters: each character's UTF-8 bytes keep their
 *  order.  On the bytes where the host wrote them, into the result room:
 *  no string, no allocation (docs/guests.md, "The fast text path").  Bytes
 *  that are not UTF-8 go as examples/pg/utf8_reverse.h has them: a stray
 *  continuation byte is a character, a sequence cut short stays whole. */
// @sql reverse(text) -> text
export function reverse(p: usize, n: usize): usize {
  let out = resultRoom(n);
  for (let i: usize = 0; i < n; ) {
    let b = load<u8>(p + i);
    if (b < 0x80) {
      store<u8>(out + n - 1 - i, b);
      i++;
      continue;
    }
    let len: usize = 1 + <usize>(b >= 0xc0) + <usize>(b >= 0xe0) + <usize>(b >= 0xf0);
    if (len > n - i) len = n - i;
    let to = out + n - i - len;
    for (let k: usize = 0; k < len; k++) store<u8>(to + k, load<u8>(p + i + k));
    i += len;
  }
  return returnUtf8(out, n);
}
export function cabi_post_reverse(_: usize): void {
  post();
}

/** FNV-1a (64 bits) of a byte string. */
// @sql hash(bytea) -> bigint
export function hash(p: usize, n: usize): i64 {
  let b = bytes(p, n);
  let h: u64 = 0xcbf29ce484222325;
  for (let i = 0, len = b.length; i < len; i++) h = (h ^ <u64>unchecked(b[i])) * 0x100000001b3;
  return <i64>h;
}

/** An average as an aggregate: the state is a bytea of (sum, count), two
 *  little-endian f64; '' is the initial state. */
// @sql avg_step(bytea, double precision) -> bytea
export function avg_step(p: usize, n: usize, x: f64): usize {
  let state = bytes(p, n);
  let out = new Uint8Array(16);
  let v = new DataView(out.buffer);
  let sum = 0.0, count = 0.0;
  if (state.length == 16) {
    let s = new DataView(state.buffer);
    sum = s.getFloat64(0, true);
    count = s.getFloat64(8, true);
  }
  v.setFloat64(0, sum + x, true);
  v.setFloat64(8, count + 1, true);
  return returnBytes(out);
}
export function cabi_post_avg_step(_: usize): void {
  post();
}

// @sql avg_final(bytea) -> double precision
export function avg_final(p: usize, n: usize): f64 {
  let state = bytes(p, n);
  if (state.length != 16) return 0;
  let s = new DataView(state.buffer);
  let count = s.getFloat64(8, true);
  return count > 0 ? s.getFloat64(0, true) / count : 0;
}

/** A bug: abort is a trap, and its message reaches the host. */
// @sql fail(text) -> text
export function fail(p: usize, n: usize): usize {
  let s = text(p, n);
  assert(false, "fail was given \"" + s + "\" (" + n.toString() + " bytes)");
  return returnText(s);
}
