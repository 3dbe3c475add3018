// bad.ts - an AssemblyScript guest for tests/guests/run.sh and sqlite.py: a
// string result with a lone surrogate, which encodes to bytes that are not
// UTF-8 (hosts must refuse it), and the edges of the SDK's fast text path
// (resultRoom, returnUtf8, the argument arena).
import { text, returnText, resultRoom, returnUtf8, post } from "../../sdk/assemblyscript/udf";
export { cabi_realloc, wasmbox_trap_message } from "../../sdk/assemblyscript/udf";

// @sql lone_surrogate() -> text
export function lone_surrogate(): usize {
  return returnText("a" + String.fromCharCode(0xd800) + "b");
}

// @sql echo(text) -> text
export function echo(p: usize, n: usize): usize {
  return returnText(text(p, n));
}

/** The fast path's round trip: the argument's bytes into the result room. */
// @sql echo_utf8(text) -> text
export function echo_utf8(p: usize, n: usize): usize {
  let out = resultRoom(n);
  memory.copy(out, p, n);
  return returnUtf8(out, n);
}
export function cabi_post_echo_utf8(_: usize): void {
  post();
}

/** The argument itself as the result: it stays until the host has read it. */
// @sql echo_in_place(text) -> text
export function echo_in_place(p: usize, n: usize): usize {
  return returnUtf8(p, n);
}
export function cabi_post_echo_in_place(_: usize): void {
  post();
}

/** Two arguments in the arena (a big second one makes it grow midway). */
// @sql concat(text, text) -> text
export function concat(a: usize, na: usize, b: usize, nb: usize): usize {
  let out = resultRoom(na + nb);
  memory.copy(out, a, na);
  memory.copy(out + na, b, nb);
  return returnUtf8(out, na + nb);
}
export function cabi_post_concat(_: usize): void {
  post();
}

/** Characters, counted on the bytes (a byte that does not continue one). */
// @sql chars(text) -> integer
export function chars(p: usize, n: usize): i32 {
  let c = 0;
  for (let i: usize = 0; i < n; i++) c += i32((load<u8>(p + i) & 0xc0) != 0x80);
  return c;
}
export function cabi_post_chars(_: usize): void {
  post();
}

/** Bytes that are not UTF-8 through returnUtf8: the host refuses them. */
// @sql bad_utf8_raw() -> text
export function bad_utf8_raw(): usize {
  let out = resultRoom(3);
  store<u8>(out, 0x61);
  store<u8>(out, 0xff, 1);
  store<u8>(out, 0x62, 2);
  return returnUtf8(out, 3);
}
