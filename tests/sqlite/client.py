"""The SQLite extension from a second client: Python's sqlite3 module.

Run by tests/sqlite/run.sh with Debian's /usr/bin/python3 (its sqlite3
module has enable_load_extension).  Prints "ok - name" or "FAIL name" per
check, then "client done".
"""
import os
import sqlite3
import sys
import threading
import time

T = sys.argv[1] if len(sys.argv) > 1 else "build/sqlite-test"
EXT = "build/wasm_sqlite"
checks = []


def check(fn):
    checks.append(fn)
    return fn


def connect(path=":memory:"):
    c = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(EXT)
    c.enable_load_extension(False)
    return c


def one(c, sql, *args):
    return c.execute(sql, args).fetchone()[0]


def raises(c, sql, exc, text, *args):
    try:
        c.execute(sql, args).fetchall()
    except exc as e:
        assert text in str(e), f"{sql}: {e!r} lacks {text!r}"
        return
    raise AssertionError(f"{sql}: no {exc.__name__}")


def custom_section(name, payload):
    """A wasm custom section: id 0, size, name, payload (LEB128 sizes)."""
    def leb(n):
        out = bytearray()
        while True:
            b = n & 0x7F
            n >>= 7
            out.append(b | (0x80 if n else 0))
            if not n:
                return bytes(out)
    body = leb(len(name)) + name + payload
    return b"\x00" + leb(len(body)) + body


def wat_binary(c, wat):
    """A module's binary, through wasm_load_wat and the stored row."""
    one(c, "SELECT wasm_load_wat('scratch', ?)", wat)
    b = one(c, "SELECT code FROM wasm_modules WHERE namespace = 'scratch'")
    one(c, "SELECT wasm_drop_instance('scratch')")
    return b


@check
def both_abis_same_module_file():
    c = connect()
    one(c, "SELECT wasm_new_instance('build/examples/pg/strings.wasm', 'str')")
    one(c, "SELECT wasm_new_instance('build/examples/pg/math.wasm', 'math')")
    assert one(c, "SELECT str_reverse(?)", "añ€😀b") == "b😀€ña"
    assert one(c, "SELECT str_char_count(?)", "añ€😀b") == 5
    assert one(c, "SELECT abi FROM wasm_instances WHERE namespace = 'str'") == "canonical"
    assert one(c, "SELECT math_gcd(?, ?)", 2**62, 2**40) == 2**40
    assert one(c, "SELECT math_hypot2(?, ?)", 1.5, 2.0) == 6.25


@check
def nulls_and_64_bit_values():
    c = connect()
    one(c, "SELECT wasm_new_instance('build/examples/pg/math.wasm', 'math')")
    assert one(c, "SELECT math_gcd(?, 1)", None) is None
    big = 9223372036854775807
    assert one(c, "SELECT math_gcd(?, ?)", big, big) == big
    assert one(c, "SELECT math_is_even(?)", -(2**63)) == 1


@check
def blobs_empty_and_1mb():
    c = connect()
    one(c, "SELECT wasm_new_instance('build/examples/pg/strings.wasm', 'str')")
    mb = bytes(range(256)) * 4096
    out = one(c, "SELECT str_xor_bytes(?, 255)", mb)
    assert out == bytes(b ^ 255 for b in mb)
    assert one(c, "SELECT str_xor_bytes(?, 1)", b"") == b""
    h = 0xCBF29CE484222325
    for b in mb[:1000]:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    assert one(c, "SELECT str_fnv1a(?)", mb[:1000]) == h - (1 << 64 if h >= 1 << 63 else 0)


@check
def interrupt_from_another_thread():
    c = connect()
    one(c, "SELECT wasm_new_instance_wat('examples/pg/limits.wat', 'lim')")
    one(c, "SELECT wasm_config('fuel', 0)")  # endless: only the interrupt stops it
    threading.Timer(0.3, c.interrupt).start()
    t0 = time.time()
    raises(c, "SELECT lim_forever(1)", sqlite3.OperationalError, "interrupted")
    assert time.time() - t0 < 5, "took too long"
    assert one(c, "SELECT lim_spin(10)") == 10


@check
def progress_handler_stops_a_loop():
    c = connect()
    one(c, "SELECT wasm_new_instance_wat('examples/pg/limits.wat', 'lim')")
    one(c, "SELECT wasm_config('fuel', 0)")
    deadline = time.time() + 0.3
    c.set_progress_handler(lambda: time.time() > deadline, 1000)
    raises(c, "SELECT lim_forever(1)", sqlite3.OperationalError, "interrupted")
    c.set_progress_handler(None, 0)
    assert one(c, "SELECT lim_spin(10)") == 10


@check
def fuel_and_memory_bomb():
    c = connect()
    one(c, "SELECT wasm_new_instance_wat('examples/pg/limits.wat', 'lim')")
    one(c, "SELECT wasm_config('fuel', 100000)")
    raises(c, "SELECT lim_forever(1)", sqlite3.OperationalError, "ran out of fuel")
    one(c, "SELECT wasm_config('max_memory', 2097152)")
    try:  # SQLITE_NOMEM: Python's sqlite3 raises MemoryError for it
        c.execute("SELECT lim_membomb(1)").fetchall()
        raise AssertionError("no error")
    except MemoryError:
        pass
    assert one(c, "SELECT lim_divide(10, 5)") == 2


@check
def trap_in_cabi_realloc():
    c = connect()
    wat = """(module (memory (export "memory") 1)
      (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) unreachable)
      (func (export "len") (param i32 i32) (result i32) (local.get 1)))"""
    b = wat_binary(c, wat) + custom_section(b"wasmbox.sql", b"len(text) -> integer\n")
    one(c, "SELECT wasm_load('bad', ?)", b)
    raises(c, "SELECT bad_len('abc')", sqlite3.OperationalError, "(in cabi_realloc)\" trapped: unreachable")
    # and one returning an address out of its memory
    wat2 = wat.replace("unreachable", "(i32.const -16)")
    one(c, "SELECT wasm_load('oob', ?)", wat_binary(c, wat2) + custom_section(b"wasmbox.sql", b"len(text) -> integer\n"))
    raises(c, "SELECT oob_len('abc')", sqlite3.OperationalError, "out of bounds")
    # a declared text argument without cabi_realloc: no function, and why
    wat3 = """(module (memory (export "memory") 1) (func (export "len") (param i32 i32) (result i32) (local.get 1)))"""
    one(c, "SELECT wasm_load('noalloc', ?)", wat_binary(c, wat3) + custom_section(b"wasmbox.sql", b"len(text) -> integer\n"))
    note = one(c, "SELECT note FROM wasm_exported_functions WHERE namespace = 'noalloc'")
    assert "cabi_realloc" in note, note
    # a declared signature that contradicts the wasm type fails the load
    raises(c, "SELECT wasm_load('liar', ?)", sqlite3.OperationalError, "declares signature",
           wat_binary(c, wat3) + custom_section(b"wasmbox.sql", b"len(bigint) -> integer\n"))


@check
def bad_module_and_wrong_argument_count():
    c = connect()
    raises(c, "SELECT wasm_load('x', ?)", sqlite3.OperationalError, "magic header", b"nope")
    one(c, "SELECT wasm_new_instance('build/examples/pg/math.wasm', 'math')")
    raises(c, "SELECT math_add(1, 2, 3)", sqlite3.OperationalError, "wrong number of arguments")
    assert one(c, "SELECT math_add(1, 2)") == 3


@check
def reload_after_drop():
    c = connect()
    one(c, "SELECT wasm_load_wat('k', '(module (func (export \"v\") (result i32) (i32.const 1)))')")
    assert one(c, "SELECT k_v()") == 1
    one(c, "SELECT wasm_drop_instance('k')")
    raises(c, "SELECT k_v()", sqlite3.OperationalError, "dropped")
    one(c, "SELECT wasm_load_wat('k', '(module (func (export \"v\") (result i32) (i32.const 2)))')")
    assert one(c, "SELECT k_v()") == 2


@check
def two_connections_to_one_file():
    path = os.path.join(T, "two.db")
    a = connect(path)
    b = connect(path)
    one(a, "SELECT wasm_new_instance('build/examples/pg/math.wasm', 'math')")
    raises(b, "SELECT math_bump()", sqlite3.OperationalError, "no such function")
    one(b, "SELECT wasm_refresh()")
    # each connection has its own instance
    assert [one(a, "SELECT math_bump()") for _ in range(3)] == [1, 2, 3]
    assert one(b, "SELECT math_bump()") == 1
    one(a, "SELECT wasm_drop_instance('math')")
    assert one(b, "SELECT math_add(1, 1)") == 2  # b keeps its copy until it refreshes
    one(b, "SELECT wasm_refresh()")
    raises(b, "SELECT math_add(1, 1)", sqlite3.OperationalError, "dropped")
    a.close()
    b.close()


@check
def libsql_database_file():
    path = os.path.join(T, "libsql-py.db")
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE libsql_wasm_func_table (name text PRIMARY KEY, body text) WITHOUT ROWID")
    for name, f in [("fib", "libsql_fib.wat"), ("reverse", "libsql_reverse.wat"), ("big", "libsql_misc.wat"),
                    ("tag", "libsql_misc.wat")]:
        with open(os.path.join("tests/sqlite", f)) as fh:
            raw.execute("INSERT INTO libsql_wasm_func_table VALUES (?, ?)", (name, fh.read()))
    raw.commit()
    raw.close()
    c = connect(path)
    assert one(c, "SELECT fib(?)", 25) == 75025
    assert one(c, "SELECT reverse(?)", "Grüße, 世界 😀") == "😀 界世 ,eßürG"
    assert one(c, "SELECT big(?)", 2**32) == 2**32 * 1000000007  # past 32 bits
    assert [one(c, "SELECT tag(?)", v) for v in ("t", b"b", None)] == [3, 4, 5]
    assert one(c, "SELECT abi FROM wasm_instances WHERE namespace = 'fib'") == "libsql"


@check
def directonly_and_innocuous():
    c = connect()
    one(c, "SELECT wasm_new_instance('build/examples/pg/math.wasm', 'math')")
    flags = dict(c.execute("SELECT name, flags FROM pragma_function_list WHERE name IN ('math_add', 'wasm_load')"))
    SQLITE_DETERMINISTIC, SQLITE_DIRECTONLY, SQLITE_INNOCUOUS = 0x800, 0x80000, 0x200000
    assert flags["math_add"] & SQLITE_DETERMINISTIC and flags["math_add"] & SQLITE_INNOCUOUS, flags
    assert flags["wasm_load"] & SQLITE_DIRECTONLY, flags


for fn in checks:
    try:
        fn()
        print(f"ok - client/{fn.__name__}")
    except Exception as e:  # noqa: BLE001 - any failure is reported
        print(f"FAIL client/{fn.__name__}")
        print(f"    {type(e).__name__}: {e}")
print("client done")
