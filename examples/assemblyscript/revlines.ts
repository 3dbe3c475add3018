// revlines.ts - the example WASI command in AssemblyScript: prints each line
// of its arguments (if any) or else of standard input reversed by
// characters, and exits with the number of lines printed (at most 100).  The
// same program is examples/c/revlines.c and examples/rust/revlines.rs.
// Build (docs/guests.md); the top-level statements are the command's _start:
//     node sdk/assemblyscript/build.mjs --wasi examples/assemblyscript/revlines.ts -o revlines.wasm
import { args, readText, print, exit } from "../../sdk/assemblyscript/wasi";

function reversed(s: string): string {
  let n = s.length;
  let buf = new Uint16Array(n);
  for (let i = 0; i < n; ) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
      buf[n - i - 2] = <u16>c;
      buf[n - i - 1] = <u16>s.charCodeAt(i + 1);
      i += 2;
    } else {
      buf[n - i - 1] = <u16>c;
      i += 1;
    }
  }
  return String.UTF16.decodeUnsafe(buf.dataStart, <usize>n << 1);
}

let lines = args().slice(1);
if (lines.length == 0) {
  let input = readText();
  if (input.length > 0) {
    lines = input.split("\n");
    if (input.endsWith("\n")) lines.pop();
  }
}
let out = "";
for (let i = 0; i < lines.length; i++) out += reversed(lines[i]) + "\n";
print(out);
exit(min(lines.length, 100));
