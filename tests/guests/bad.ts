// bad.ts - an AssemblyScript guest whose string result has a lone surrogate,
// which encodes to bytes that are not UTF-8: hosts must refuse it.
import { text, returnText } from "../../sdk/assemblyscript/udf";
export { cabi_realloc, wasmbox_trap_message } from "../../sdk/assemblyscript/udf";

// @sql lone_surrogate() -> text
export function lone_surrogate(): usize {
  return returnText("a" + String.fromCharCode(0xd800) + "b");
}

// @sql echo(text) -> text
export function echo(p: usize, n: usize): usize {
  return returnText(text(p, n));
}
