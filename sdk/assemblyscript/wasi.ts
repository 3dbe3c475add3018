// wasi.ts - the little of WASI (preview 1) a command needs, for
// AssemblyScript programs run by `wasmbox run` and wasmboxd: read standard
// input, write standard output and error, exit with a status.  Build with
// `node sdk/assemblyscript/build.mjs --wasi prog.ts -o prog.wasm`: the
// program's top-level statements become the command's `_start`.

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: usize, nread: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: usize, nwritten: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "proc_exit")
declare function proc_exit(code: u32): void;

const IOV: usize = memory.data(16, 4);
const COUNT: usize = memory.data(4, 4);

/** All of standard input. */
export function readAll(): Uint8Array {
  let cap = 4096;
  let buf = new Uint8Array(cap);
  let len = 0;
  for (;;) {
    if (len == cap) {
      let bigger = new Uint8Array(cap * 2);
      memory.copy(bigger.dataStart, buf.dataStart, len);
      buf = bigger;
      cap *= 2;
    }
    store<u32>(IOV, <u32>(buf.dataStart + len));
    store<u32>(IOV, <u32>(cap - len), 4);
    if (fd_read(0, IOV, 1, COUNT) != 0) break;
    let n = load<u32>(COUNT);
    if (n == 0) break;
    len += n;
  }
  return buf.subarray(0, len);
}

/** Standard input as text (UTF-8). */
export function readText(): string {
  let b = readAll();
  return String.UTF8.decodeUnsafe(b.dataStart, b.length, false);
}

function writeBytes(fd: u32, ptr: usize, len: usize): void {
  while (len > 0) {
    store<u32>(IOV, <u32>ptr);
    store<u32>(IOV, <u32>len, 4);
    if (fd_write(fd, IOV, 1, COUNT) != 0) return;
    let n = load<u32>(COUNT);
    ptr += n;
    len -= n;
  }
}

/** Writes s as UTF-8 to standard output. */
export function print(s: string): void {
  let b = String.UTF8.encode(s, false);
  writeBytes(1, changetype<usize>(b), b.byteLength);
}

/** Writes s as UTF-8 to standard error. */
export function printError(s: string): void {
  let b = String.UTF8.encode(s, false);
  writeBytes(2, changetype<usize>(b), b.byteLength);
}

/** Ends the program with a status. */
export function exit(code: i32): void {
  proc_exit(<u32>code);
}

/** AssemblyScript's abort in a command: the message on standard error, status 134. */
export function wasiAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  printError("abort: " + (message !== null ? message : "") +
    (fileName !== null ? " (" + fileName + ":" + line.toString() + ":" + column.toString() + ")" : "") + "\n");
  proc_exit(134);
}

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "args_sizes_get")
declare function args_sizes_get(argc: usize, bufSize: usize): u16;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "args_get")
declare function args_get(argv: usize, buf: usize): u16;

/** The command's arguments, argv[0] (the program's name) first. */
export function args(): string[] {
  let sizes = memory.data(8, 4);
  if (args_sizes_get(sizes, sizes + 4) != 0) return [];
  let argc = load<u32>(sizes), size = load<u32>(sizes, 4);
  let ptrs = heap.alloc(<usize>argc * 4), buf = heap.alloc(size);
  let out = new Array<string>(0);
  if (args_get(ptrs, buf) == 0) {
    for (let i: u32 = 0; i < argc; i++) {
      let p = load<u32>(ptrs + <usize>i * 4);
      out.push(cstr(p));
    }
  }
  heap.free(ptrs);
  heap.free(buf);
  return out;
}

function cstr(p: usize): string {
  let n: usize = 0;
  while (load<u8>(p + n) != 0) n++;
  return String.UTF8.decodeUnsafe(p, n, false);
}
