#!/usr/bin/env node
// build.mjs - compile an AssemblyScript guest for wasmbox (docs/guests.md).
//
//   node sdk/assemblyscript/build.mjs udfs.ts -o udfs.wasm          a UDF module
//   node sdk/assemblyscript/build.mjs --wasi prog.ts -o prog.wasm   a WASI command
//
// It runs the pinned compiler (sdk/assemblyscript/node_modules, installed by
// `npm ci` there; scripts/install-deps.sh does it) with the options a wasmbox
// guest needs: -O3, the incremental GC runtime, the name section kept (so
// trap backtraces name functions), and AssemblyScript's `abort` mapped to
// the SDK's (a trap with its message, or for a command the message on
// standard error and status 134).  For a UDF module it then writes the
// `wasmbox.sql` custom section from the source's `// @sql name(types) -> type`
// lines, which the PostgreSQL extension reads to create the SQL functions.
// Extra arguments after `--` go to asc unchanged.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
let wasi = false, out = null, src = null;
const extra = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "--wasi") wasi = true;
  else if (a === "-o") out = args[++i];
  else if (a === "--") { extra.push(...args.slice(i + 1)); break; }
  else if (!src) src = a;
  else { console.error(`build.mjs: unexpected argument ${a}`); process.exit(1); }
}
if (!src || !out) {
  console.error("usage: node build.mjs [--wasi] SOURCE.ts -o OUT.wasm [-- ASC-OPTIONS...]");
  process.exit(1);
}

let asc;
try {
  asc = (await import(resolve(here, "node_modules/assemblyscript/dist/asc.js"))).default;
} catch (e) {
  console.error("build.mjs: the AssemblyScript compiler is not installed: run `npm ci` in " + here +
    " (scripts/install-deps.sh does)");
  process.exit(1);
}

// asc names a file by its path from the working directory, without .ts.
const internal = (file) => relative(process.cwd(), resolve(here, file)).split(sep).join("/").replace(/\.ts$/, "");
const abort = wasi ? `${internal("wasi.ts")}/wasiAbort` : `${internal("udf.ts")}/wasmboxAbort`;
const ascArgs = [src, "-o", out, "-O3", "--runtime", "incremental", "--debug", "--use", `abort=${abort}`];
if (wasi) ascArgs.push("--exportStart", "_start");
const { error } = await asc.main([...ascArgs, ...extra], { stdout: process.stdout, stderr: process.stderr });
if (error) {
  console.error(`build.mjs: ${error.message}`);
  process.exit(1);
}

// The wasmbox.sql section: one "name(types) -> type" line per @sql comment.
if (!wasi) {
  const lines = [];
  for (const m of readFileSync(src, "utf8").matchAll(/^\s*\/\/\s*@sql\s+(.+?)\s*$/gm)) lines.push(m[1] + "\n");
  if (lines.length) {
    const leb = (n) => { const b = []; do { let x = n & 0x7f; n >>>= 7; if (n) x |= 0x80; b.push(x); } while (n); return b; };
    const name = Buffer.from("wasmbox.sql"), body = Buffer.from(lines.join(""));
    const payload = Buffer.concat([Buffer.from(leb(name.length)), name, body]);
    const section = Buffer.concat([Buffer.from([0]), Buffer.from(leb(payload.length)), payload]);
    writeFileSync(out, Buffer.concat([readFileSync(out), section]));
  }
}
