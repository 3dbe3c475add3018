#!/bin/sh
# tests/wasi/record.sh - records tests/wasi/expected/ by running every case
# of cases.sh under node's node:wasi (node-run.mjs).  Run by hand when a
# program or case changes, then review the diff; `make check` only compares.
#   tests/wasi/record.sh        (needs node >= 20 and clang --target=wasm32-wasi)
set -eu
cd "$(dirname "$0")"
progs=$(mktemp -d)
trap 'rm -rf "$progs"' EXIT
for c in *.c; do
    [ "$c" = trap.c ] && continue # a trap's report is wasmbox's own, not node's
    clang --target=wasm32-wasi -O2 "$c" -o "$progs/${c%.c}.wasm"
done
. ./cases.sh
rm -rf expected
set +e # the cases exit non-zero on purpose
run_cases "node --no-warnings $PWD/node-run.mjs" "$progs" expected
# node's uvwasi follows symlinks out of a preopen (node documents that
# node:wasi is no sandbox): where it opened, statted or created something
# through /sandbox/out, the correct WASI result - the one recorded - is
# that the attempt is refused like every other escape.
sed -i '/inside.txt/!s/ \(OPENED\|STATTED\|CREATED\|RENAMED\|UNLINKED\)$/ refused/' expected/escape.stdout
rm -f /tmp/wasmbox-escape-probe # node made it (see above)
echo "recorded: $(ls expected | wc -l) files in tests/wasi/expected"
