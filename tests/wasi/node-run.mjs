// node-run.mjs - runs a WASI command under node's node:wasi with the same
// command line as `wasmbox run`, to record the expected outputs of the
// conformance programs (tests/wasi/record.sh).  Not used by `make check`.
//
//   node tests/wasi/node-run.mjs [--env K=V]... [--dir HOST::GUEST]... FILE.wasm [ARGS...]
import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const argv = process.argv.slice(2);
const env = {};
const preopens = {};
while (argv.length && argv[0].startsWith('--')) {
  const opt = argv.shift(), val = argv.shift();
  if (opt === '--env') {
    const i = val.indexOf('=');
    env[val.slice(0, i)] = val.slice(i + 1);
  } else if (opt === '--dir') {
    const [host, guest] = val.split('::');
    preopens[guest ?? host] = host;
  } else {
    throw new Error(`unknown option ${opt}`);
  }
}
const wasi = new WASI({ version: 'preview1', args: argv, env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(argv[0]));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance);
