;; More libSQL-ABI guests for the tests (one module per function in
;; libsql_wasm_func_table; each row holds this whole text).
(module
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 16))
  (func $alloc (export "libsql_malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (local.get $p) (local.get $n)))
    (if (i32.gt_u (global.get $top) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (global.get $top) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  ;; a 64-bit result: libSQL itself cuts it to 32 bits
  (func (export "big") (param $x i64) (result i64)
    (i64.mul (local.get $x) (i64.const 1000000007)))
  (func (export "twice") (param $x f64) (result f64)
    (f64.mul (local.get $x) (f64.const 2)))
  ;; the type tag of its argument: 3 TEXT, 4 BLOB, 5 NULL
  (func (export "tag") (param $v i32) (result i64)
    (global.set $top (i32.const 16))
    (i64.extend_i32_u (i32.load8_u (local.get $v))))
  ;; a blob's length, read from its big-endian header
  (func (export "blob_len") (param $v i32) (result i64)
    (global.set $top (i32.const 16))
    (if (i32.ne (i32.load8_u (local.get $v)) (i32.const 4)) (then (return (i64.const -1))))
    (i64.extend_i32_u
      (i32.or (i32.or (i32.shl (i32.load8_u offset=1 (local.get $v)) (i32.const 24))
                      (i32.shl (i32.load8_u offset=2 (local.get $v)) (i32.const 16)))
              (i32.or (i32.shl (i32.load8_u offset=3 (local.get $v)) (i32.const 8))
                      (i32.load8_u offset=4 (local.get $v))))))
  ;; returns NULL whatever it gets
  (func (export "get_null") (result i32)
    (i32.store8 (i32.const 8) (i32.const 5))
    (i32.const 8))
  ;; a blob of n bytes 0xab
  (func (export "fill") (param $n i64) (result i32)
    (local $p i32) (local $len i32)
    (global.set $top (i32.const 16))
    (local.set $len (i32.wrap_i64 (local.get $n)))
    (local.set $p (call $alloc (i32.add (local.get $len) (i32.const 5))))
    (i32.store8 (local.get $p) (i32.const 4))
    (i32.store8 offset=1 (local.get $p) (i32.shr_u (local.get $len) (i32.const 24)))
    (i32.store8 offset=2 (local.get $p) (i32.shr_u (local.get $len) (i32.const 16)))
    (i32.store8 offset=3 (local.get $p) (i32.shr_u (local.get $len) (i32.const 8)))
    (i32.store8 offset=4 (local.get $p) (local.get $len))
    (memory.fill (i32.add (local.get $p) (i32.const 5)) (i32.const 0xab) (local.get $len))
    (local.get $p))
)
