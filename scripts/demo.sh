#!/bin/sh
# `make demo`: the engine runs an example tenant module from the command
# line and SQLite runs it; the same UDFs written in C, Rust and
# AssemblyScript run in SQLite and in a throwaway PostgreSQL cluster
# (tests/guests/pg.sh demo); then the PostgreSQL extension runs UDFs in
# another (pg/run-tests.sh demo).  Each cluster: install, initdb as the
# postgres user on a private socket and port, the SQL, stop and remove.
set -e
W=build/wasmbox
M=build/examples/udfs.wasm
run() { echo "\$ $*"; "$@" || echo "(exit status $?)"; echo; }
run $W validate $M
run $W invoke $M gcd 1071 462
run $W invoke $M collatz 27
run $W invoke $M equirect_km 48.8566 2.3522 51.5074 -0.1278
echo "# a runaway loop is stopped by fuel, and the host goes on:"
run $W invoke --fuel 10000000 $M forever 1
echo "# a malformed module is refused with its location:"
head -c 40 $M >build/examples/truncated.wasm
run $W validate build/examples/truncated.wasm
echo "# the same module in SQLite (the extension build/wasm_sqlite.so; docs/sqlite.md):"
rm -f build/examples/demo.db
run sqlite3 -cmd ".load build/wasm_sqlite" build/examples/demo.db \
    "SELECT wasm_new_instance('build/examples/pg/math.wasm', 'math');" \
    "SELECT math_gcd(1071, 462), math_fib(20), math_hypot2(3, 4);" \
    "SELECT namespace, abi, functions FROM wasm_instances;"
echo "# a new connection to the file gets the functions back from the database:"
run sqlite3 -cmd ".load build/wasm_sqlite" build/examples/demo.db "SELECT math_add(40, 2);"
echo "# the same WASI command in C, Rust and AssemblyScript: lines reversed, status = line count"
for l in c rust as; do printf 'hello\nwörld\n' | run $W run build/guests/$l/revlines.wasm; done
echo "# the same UDFs written in C, Rust and AssemblyScript (examples/*/udfs.*, docs/guests.md) in SQLite:"
run sqlite3 -cmd ".load build/wasm_sqlite" :memory: \
    "SELECT wasm_new_instance('build/guests/c/udfs.wasm', 'c'), wasm_new_instance('build/guests/rust/udfs.wasm', 'rs'),
            wasm_new_instance('build/guests/as/udfs.wasm', 'asc');" \
    "SELECT c_reverse('¡hola, wasm! 😀'), rs_reverse('¡hola, wasm! 😀'), asc_reverse('¡hola, wasm! 😀');"
echo "# ... and in a throwaway PostgreSQL cluster (tests/guests/pg.sh demo runs examples/guests-demo.sql):"
sh tests/guests/pg.sh demo
echo
echo "# SQL functions in a throwaway PostgreSQL cluster (pg/demo.sql):"
pg/run-tests.sh demo
