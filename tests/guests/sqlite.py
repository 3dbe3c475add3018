"""tests/guests/sqlite.py - the example UDFs in C, Rust and AssemblyScript in
the SQLite extension (build/wasm_sqlite.so, docs/sqlite.md), one connection
with the three udfs.wasm loaded by wasm_new_instance as namespaces c, rs and
asc:

  - C's answers against Python's own computation of the same function
    (wrapping add, Fibonacci, reversal by characters, FNV-1a, the mean),
    and every other language's against C's;
  - the avg_step / avg_final pair as SQLite's aggregate ns_avg;
  - a Rust panic and an AssemblyScript abort: an SQLITE_ERROR whose message
    has the guest's own text, and the connection goes on;
  - text that is not UTF-8, from a guest (refused) or to one (refused
    before the guest sees it);
  - the SDKs' fast text path (tests/guests/bad.rs, bad.ts) over texts from
    0 bytes to 1.2 MB, and reverse over the same in every language.

Usage: /usr/bin/python3 tests/guests/sqlite.py GUESTS EXTENSION [RESULTS]
(Debian's python3: its sqlite3 module can load extensions).  RESULTS, if
given, gets C's answers to the queries tests/guests/pg.sh also runs, one
"name<TAB>value" line each, in PostgreSQL's text form, for run.sh to compare
the two hosts.  Prints one line per check, then "N passed, M failed".
"""
import sqlite3
import sys

GUESTS, EXT = sys.argv[1], sys.argv[2]
RESULTS = sys.argv[3] if len(sys.argv) > 3 else None
LANGS = {"c": "c", "rs": "rust", "asc": "as"}
SQLITE_ERROR, SQLITE_MISMATCH = 1, 20

passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print("ok   sqlite " + msg)


def bad(msg):
    global failed
    failed += 1
    print("FAIL sqlite " + msg)


def check(cond, msg, detail=""):
    if cond:
        ok(msg)
    else:
        bad(msg + (": " + detail if detail else ""))


# ---- Python's versions of the examples: the reference for C ----------------


def py_add(a, b):  # i32 arithmetic, wrapping as the guests do
    return (a + b + 2**31) % 2**32 - 2**31


def py_fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def py_reverse(s):  # by characters: Python's str holds code points
    return s[::-1]


def py_hash(b):  # FNV-1a, 64 bits, as a signed bigint
    h = 0xCBF29CE484222325
    for x in b:
        h = ((h ^ x) * 0x100000001B3) % 2**64
    return h - 2**64 if h >= 2**63 else h


def py_avg(xs):  # the same additions in the same order as avg_step
    s = c = 0.0
    for x in xs:
        s += x
        c += 1
    return s / c if c > 0 else 0.0


def pg_text(v):
    """A value as PostgreSQL prints it (float8: shortest round trip, no .0)."""
    if isinstance(v, float):
        r = repr(v)
        return r[:-2] if r.endswith(".0") else r
    return str(v)


# The 1000 texts of pg.sh's "reverse of 1000 texts" and more blobs for hash.
TEXTS = [("añb€😀" * (i % 40)) + str(i) for i in range(1, 1001)]
BLOBS = [bytes((i * 37 + k * 11) % 256 for k in range(i % 97)) for i in range(300)]
MULTI = "añb€ 😀x"

db = sqlite3.connect(":memory:")
db.enable_load_extension(True)
db.load_extension(EXT)
for ns, lang in LANGS.items():
    db.execute("SELECT wasm_new_instance(?, ?)", (f"{GUESTS}/{lang}/udfs.wasm", ns))
db.execute("SELECT wasm_new_instance(?, 'rsbad')", (f"{GUESTS}/rust/bad.wasm",))
db.execute("SELECT wasm_new_instance(?, 'ascbad')", (f"{GUESTS}/as/bad.wasm",))
db.execute("CREATE TABLE texts (t TEXT)")
db.executemany("INSERT INTO texts VALUES (?)", [(t,) for t in TEXTS])
db.execute("CREATE TABLE blobs (b BLOB)")
db.executemany("INSERT INTO blobs VALUES (?)", [(b,) for b in BLOBS])
db.execute("CREATE TABLE nums (g INTEGER, x REAL)")
db.executemany("INSERT INTO nums VALUES (?, ?)", [(i % 2, float(i)) for i in range(1, 10001)])


def one(sql, *args):
    return db.execute(sql, args).fetchone()[0]


def col(sql):
    return [r[0] for r in db.execute(sql)]


# Each case: (name, SQL with @ for the namespace, Python's answer).
CASES = [
    ("add(40, 2)", "SELECT @_add(40, 2)", py_add(40, 2)),
    ("add wraps", "SELECT @_add(2147483647, 1)", py_add(2147483647, 1)),
    ("sum of add over 10000 rows", "SELECT sum(@_add(x, 1)) FROM nums", sum(py_add(i, 1) for i in range(1, 10001))),
    ("fib(0)", "SELECT @_fib(0)", py_fib(0)),
    ("fib(25)", "SELECT @_fib(25)", py_fib(25)),
    ("reverse('hello')", "SELECT @_reverse('hello')", py_reverse("hello")),
    ("reverse('')", "SELECT @_reverse('')", ""),
    ("reverse of 2-, 3- and 4-byte characters", f"SELECT @_reverse('{MULTI}')", py_reverse(MULTI)),
    ("reverse of 1000 multi-byte texts", "SELECT @_reverse(t) FROM texts ORDER BY rowid", [py_reverse(t) for t in TEXTS]),
    ("reverse(NULL) is NULL", "SELECT @_reverse(NULL)", None),
    ("hash(x'')", "SELECT @_hash(x'')", py_hash(b"")),
    ("hash('hello' as a blob)", "SELECT @_hash(CAST('hello' AS BLOB))", py_hash(b"hello")),
    ("hash of bytes >= 0x80", "SELECT @_hash(x'00ff10')", py_hash(b"\x00\xff\x10")),
    ("hash of 300 blobs", "SELECT @_hash(b) FROM blobs ORDER BY rowid", [py_hash(b) for b in BLOBS]),
    ("avg(1, 2, 3.5), the aggregate",
     "SELECT @_avg(x) FROM (SELECT 1.0 AS x UNION ALL SELECT 2 UNION ALL SELECT 3.5)", py_avg([1, 2, 3.5])),
    ("avg of no rows", "SELECT @_avg(x) FROM nums WHERE 0", py_avg([])),
    ("avg(-1e300, 1e300, 0.5)",
     "SELECT @_avg(x) FROM (SELECT -1e300 AS x UNION ALL SELECT 1e300 UNION ALL SELECT 0.5)",
     py_avg([-1e300, 1e300, 0.5])),
    ("avg over 10000 rows, grouped", "SELECT @_avg(x) FROM nums GROUP BY g ORDER BY g",
     [py_avg([float(i) for i in range(1, 10001) if i % 2 == g]) for g in (0, 1)]),
    ("avg_final(avg_step(x'', 4)) called as functions", "SELECT @_avg_final(@_avg_step(x'', 4.0))", 4.0),
]

got = {}
for ns in LANGS:
    got[ns] = {}
    for name, sql, _ in CASES:
        q = sql.replace("@", ns)
        try:
            got[ns][name] = col(q) if " FROM texts" in q or " FROM blobs" in q or "GROUP BY" in q else one(q)
        except sqlite3.Error as e:
            got[ns][name] = "error: %s" % e

for name, _, want in CASES:
    c = got["c"][name]
    check(c == want and type(c) is type(want), f"c {name}: as Python computes it",
          f"expected {want!r:.200}, got {c!r:.200}")
    for ns in ("rs", "asc"):
        g = got[ns][name]
        check(g == c and type(g) is type(c), f"{ns} {name}: as C", f"C gave {c!r:.200}, {ns} {g!r:.200}")

# The signatures SQLite declared from each module's wasmbox.sql: the same.
sigs = {ns: db.execute("SELECT export_name, sql_signature, kind FROM wasm_exported_functions WHERE namespace = ? "
                       "AND note IS NULL ORDER BY export_name", (ns,)).fetchall() for ns in LANGS}
check(("avg", "(double precision) -> double precision", "aggregate") in sigs["c"], "c avg is an aggregate",
      str(sigs["c"]))
for ns in ("rs", "asc"):
    check(sigs[ns] == sigs["c"], f"{ns} functions and SQL signatures as C's", f"{sigs[ns]} vs C {sigs['c']}")


def error_of(sql):
    try:
        r = db.execute(sql).fetchall()
        return None, "no error, got %r" % (r,)
    except sqlite3.Error as e:
        return getattr(e, "sqlite_errorcode", None), str(e)


# A trap (C), a panic (Rust), an abort (AssemblyScript): an SQLITE_ERROR that
# names the function, with the guest's message, and the connection goes on.
for ns in LANGS:
    code, msg = error_of(f"SELECT {ns}_fail('xé')")
    want = f'wasm function "{ns}_fail" trapped: '
    if ns == "c":
        check(code == SQLITE_ERROR and msg.startswith(want + "unreachable"), "c fail: a trap is an SQLITE_ERROR",
              f"code {code}, {msg}")
    else:
        check(code == SQLITE_ERROR and msg.startswith(want) and 'fail was given "xé" (3 bytes)' in msg,
              f"{ns} fail: an SQLITE_ERROR with the guest's message", f"code {code}, {msg}")
    check(one(f"SELECT {ns}_add(1, 1)") == 2, f"{ns} the connection goes on after the trap")
code, msg = error_of("SELECT rs_fail('xé')")
check("panicked at" in msg and "examples/rust/udfs.rs" in msg, "rs the panic's message names where it came from", msg)
code, msg = error_of("SELECT asc_fail('xé')")
check("examples/assemblyscript/udfs.ts" in msg, "asc the abort's message names where it came from", msg)

# Text that is not UTF-8: from a guest, refused...
for f in ("rsbad_bad_utf8", "ascbad_lone_surrogate"):
    code, msg = error_of(f"SELECT {f}()")
    check(code == SQLITE_ERROR and msg == f'wasm function "{f}" returned text that is not valid UTF-8',
          f"{f}: a result that is not UTF-8 is refused", f"code {code}, {msg}")
# ... and to a guest (SQLite keeps any bytes a TEXT is given), refused before
# the guest runs, while the same bytes as a blob are just bytes.
for ns in LANGS:
    code, msg = error_of(f"SELECT {ns}_reverse(CAST(x'61ff62' AS TEXT))")
    check(code == SQLITE_MISMATCH and msg == f'wasm function "{ns}_reverse": argument 1 is text that is not valid UTF-8',
          f"{ns} a text argument that is not UTF-8 is refused", f"code {code}, {msg}")
    check(one(f"SELECT {ns}_hash(x'61ff62')") == py_hash(b"a\xffb"), f"{ns} the same bytes as a blob are hashed")
check(one("SELECT ascbad_echo(?)", MULTI) == MULTI, "ascbad UTF-8 round trip")

# The fast text path (bad.wasm: Rust Utf8/Utf8Buf, AssemblyScript's result
# room and argument arena) over texts of every size in turn, one instance
# each: the 1000 texts, then big ones (past the 1 MiB the SDKs keep between
# calls) and small ones again; and reverse, on the same texts, in all three.
SIZES = ["", "é", "añb€😀" * 100000, "x", "😀" * 300000 + "a", MULTI]
for ns in ("rsbad", "ascbad"):
    check(col(f"SELECT {ns}_echo_utf8(t) FROM texts ORDER BY rowid") == TEXTS, f"{ns} echo_utf8 of 1000 texts")
    check(col(f"SELECT {ns}_concat(t, t) FROM texts ORDER BY rowid") == [t + t for t in TEXTS],
          f"{ns} concat(t, t) of 1000 texts")
    check(col(f"SELECT {ns}_chars(t) FROM texts ORDER BY rowid") == [len(t) for t in TEXTS],
          f"{ns} chars of 1000 texts")
    check([one(f"SELECT {ns}_echo_utf8(?)", t) for t in SIZES] == SIZES, f"{ns} echo_utf8 of 0 B to 1.2 MB and back")
    check([one(f"SELECT {ns}_concat(?, ?)", t, u) for t, u in zip(SIZES, SIZES[1:])] ==
          [t + u for t, u in zip(SIZES, SIZES[1:])], f"{ns} concat of 0 B to 1.2 MB and back")
check([one("SELECT ascbad_echo_in_place(?)", t) for t in SIZES] == SIZES, "ascbad echo_in_place of 0 B to 1.2 MB")
for ns in LANGS:
    check([one(f"SELECT {ns}_reverse(?)", t) for t in SIZES] == [py_reverse(t) for t in SIZES],
          f"{ns} reverse of 0 B to 1.2 MB and back")

# C's answers to the queries pg.sh runs, in PostgreSQL's text form.
if RESULTS:
    c = got["c"]
    rows = {
        "add": c["add(40, 2)"],
        "sum of add over 10000 rows": c["sum of add over 10000 rows"],
        "fib(25)": c["fib(25)"],
        "reverse": c["reverse of 2-, 3- and 4-byte characters"] + "|" + c["reverse('')"],
        "reverse of 1000 texts = reverse()": sum(r == py_reverse(t) for r, t in
                                                   zip(c["reverse of 1000 multi-byte texts"], TEXTS)),
        "hash": " ".join(str(c[k]) for k in ("hash(x'')", "hash('hello' as a blob)", "hash of bytes >= 0x80")),
        "aggregate": f"{pg_text(c['avg(1, 2, 3.5), the aggregate'])}|{pg_text(c['avg of no rows'])}",
        "aggregate over 10000 rows, grouped":
            "|".join(pg_text(v) for v in sorted(c["avg over 10000 rows, grouped"])),
    }
    with open(RESULTS, "w") as out:
        for k, v in rows.items():
            out.write(f"{k}\t{pg_text(v)}\n")

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
