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
// AssemblyScript's UTF-16) or a Uint8Array of their own.  A text
// or bytea result goes back through `returnText`/`returnBytes`, which encode
// it into memory the host reads through the returned "return area" (the
// address of a (pointer, length) pair); export `cabi_post_<name>` calling
// `post` to end the call once the host has read it.
// Integers and floats cross as themselves (i32 integer, i64 bigint, f32
// real, f64 double precision; bool as i32).
//
// The fast path reads and writes UTF-8 where it lies, with no string in
// between: a text argument's bytes are at (ptr, len) as the host wrote them
// (`load<u8>(ptr + i)`; valid UTF-8, hosts check it), and a result is
// written once into `resultRoom(len)` and returned with `returnUtf8` (text)
// or `returnRaw` (bytea).  Such a function exports `cabi_post_<name>`
// calling `post()`, which ends the call: its arguments' room is reused by
// the next call.
//
//   // @sql shout(text) -> text
//   export function shout(p: usize, n: usize): usize {
//     let out = resultRoom(n);
//     for (let i: usize = 0; i < n; i++) {
//       let b = load<u8>(p + i);
//       store<u8>(out + i, b >= 0x61 && b <= 0x7a ? b - 32 : b);
//     }
//     return returnUtf8(out, n);
//   }
//   export function cabi_post_shout(_: usize): void {
//     post();
//   }
//
// Memory: arguments go to an arena, one block of the heap that is emptied
// when the next call's arguments arrive, once the call before ended (its
// `post`, a return helper, or `text`/`bytes` having taken every argument);
// results go to one room of the heap kept from call to call.  Neither
// costs an allocation per call once they are big enough, and neither
// involves the garbage collector: only strings and arrays the function
// makes do (the incremental GC collects them as allocation goes on).
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

// ---- the argument arena ----------------------------------------------------------------------

// Arguments are bumped into [base, end); a block's first 16 bytes link it
// to older blocks still holding this call's arguments (a bigger block was
// needed midway), freed at the next reset.
const LINK: usize = 16;
// The arena and the result room are freed after a call that grew them past
// this, so that one huge argument or result does not pin its memory.
const KEEP: usize = 1 << 20;
let block: usize = 0;
let base: usize = 0;
let top: usize = 0;
let end: usize = 0;
let retired: usize = 0;
// Arguments of the current call that may still be read: the arena is
// emptied at the next cabi_realloc once this is 0.
let open: i32 = 0;

// @ts-ignore: decorator
@inline
function endCall(): void {
  open = 0;
}

// A block with room for `size` more bytes at `align`.
function newBlock(size: usize, align: usize): void {
  let want = max<usize>((end - base) << 1, max<usize>(size + align, 4096));
  let b = heap.alloc(want + LINK);
  if (top != base) {
    store<usize>(block, retired); // this call's earlier arguments stay readable
    retired = block;
  } else if (block != 0) {
    heap.free(block);
  }
  block = b;
  base = top = b + LINK;
  end = base + want;
}

function dropBlock(): void {
  heap.free(block);
  block = base = top = end = 0;
}

function freeRetired(): void {
  while (retired != 0) {
    let next = load<usize>(retired);
    heap.free(retired);
    retired = next;
  }
}

/** The canonical ABI's allocator: room for an argument the host copies in. */
export function cabi_realloc(old: usize, oldSize: usize, align: usize, newSize: usize): usize {
  if (open == 0) {
    top = base;
    if (retired != 0) freeRetired();
    if (end - base > KEEP) dropBlock(); // one huge argument does not pin its memory
  }
  if (old == 0) open++;
  let a = align > 1 ? align : 1;
  let p = (top + a - 1) & ~(a - 1);
  if (p + newSize > end || block == 0) {
    newBlock(newSize, a);
    p = (top + a - 1) & ~(a - 1);
  }
  top = p + newSize;
  if (old != 0) memory.copy(p, old, min(oldSize, newSize));
  return p;
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
  if (open > 0) open--;
  return s;
}

/** A bytea argument as a Uint8Array of its own. */
export function bytes(ptr: usize, len: usize): Uint8Array {
  let a = new Uint8Array(<i32>len);
  memory.copy(a.dataStart, ptr, len);
  if (open > 0) open--;
  return a;
}

// ---- results ---------------------------------------------------------------------------------

const RET_AREA: usize = memory.data(8, 4);
// The result room, kept from call to call (`post` frees it past KEEP).
let room: usize = 0;
let roomSize: usize = 0;

/** Room for a result of `len` bytes, to be written in place and returned
 *  with returnUtf8 or returnRaw: its address.  Valid until the host has
 *  read the result; one room per call (asking again gives the same room,
 *  its bytes not kept when it has to grow). */
export function resultRoom(len: usize): usize {
  if (len > roomSize) growRoom(len);
  return room;
}

function growRoom(len: usize): void {
  if (room != 0) heap.free(room);
  roomSize = max<usize>(len, max<usize>(roomSize << 1, 256));
  room = heap.alloc(roomSize);
}

// @ts-ignore: decorator
@inline
function area(ptr: usize, len: usize): usize {
  endCall();
  store<u32>(RET_AREA, <u32>ptr);
  store<u32>(RET_AREA, <u32>len, 4);
  return RET_AREA;
}

/** A text result: the `len` UTF-8 bytes at `ptr`, as they are (the result
 *  room, an argument, static data), read by the host before the next call;
 *  returns the return area.  Bytes that are not UTF-8 are refused by the
 *  host (22021), never changed. */
// @ts-ignore: decorator
@inline
export function returnUtf8(ptr: usize, len: usize): usize {
  return area(ptr, len);
}

/** A bytea result: the `len` bytes at `ptr`, as returnUtf8 takes them. */
// @ts-ignore: decorator
@inline
export function returnRaw(ptr: usize, len: usize): usize {
  return area(ptr, len);
}

/** A text result, encoded to UTF-8 in the result room; returns the return area. */
export function returnText(s: string): usize {
  let n = String.UTF8.byteLength(s, false);
  let buf = resultRoom(n);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, buf, false);
  return area(buf, n);
}

/** A bytea result, copied to the result room; returns the return area. */
export function returnBytes(b: Uint8Array): usize {
  let n = <usize>b.byteLength;
  let buf = resultRoom(n);
  memory.copy(buf, b.dataStart, n);
  return area(buf, n);
}

/** For cabi_post_<name>: the host has read the result, the call is over. */
export function post(): void {
  endCall();
  if (roomSize > KEEP) {
    heap.free(room);
    room = 0;
    roomSize = 0;
  }
}
