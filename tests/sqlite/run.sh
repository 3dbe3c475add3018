#!/bin/sh
# The SQLite extension's tests (docs/sqlite.md): sqlite3 CLI scripts
# (tests/sqlite/*.sql, each one check against expected/*.out), then a
# second client, Python's sqlite3 module (client.py).  Run from the
# repository's root after `make all`; prints one line per check and ends
# with "N passed, M failed".
#   tests/sqlite/run.sh            all
#   tests/sqlite/run.sh accept     rewrite expected/*.out from this run
# Python: Debian's /usr/bin/python3, whose sqlite3 module can load
# extensions (a python built without --enable-loadable-sqlite-extensions
# cannot).
cd "$(dirname "$0")/../.." || exit 1
T=build/sqlite-test
rm -rf "$T" && mkdir -p "$T"
pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
bad() { echo "FAIL $1"; fail=$((fail + 1)); }

if [ ! -f build/wasm_sqlite.so ] || ! command -v sqlite3 >/dev/null; then
    echo "FAIL build/wasm_sqlite.so or sqlite3 missing (make all; scripts/install-deps.sh)"
    echo "0 passed, 1 failed"
    exit 1
fi

for s in tests/sqlite/*.sql; do
    n=$(basename "$s" .sql)
    # Scripts open their own files under $T; errors go to the same stream.
    timeout 60 sqlite3 :memory: <"$s" >"$T/$n.out" 2>&1
    if [ "$1" = accept ]; then cp "$T/$n.out" "tests/sqlite/expected/$n.out"; fi
    if diff -u "tests/sqlite/expected/$n.out" "$T/$n.out" >"$T/$n.diff"; then
        ok "cli/$n"
    else
        bad "cli/$n"
        head -40 "$T/$n.diff"
    fi
done

timeout 120 /usr/bin/python3 tests/sqlite/client.py "$T" >"$T/client.out" 2>&1
cat "$T/client.out" | grep -E '^(ok|FAIL) |^    '
p=$(grep -c '^ok ' "$T/client.out")
f=$(grep -c '^FAIL ' "$T/client.out")
pass=$((pass + p))
fail=$((fail + f))
if ! grep -q '^client done$' "$T/client.out"; then
    echo "FAIL python client did not finish:"
    tail -15 "$T/client.out"
    fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
