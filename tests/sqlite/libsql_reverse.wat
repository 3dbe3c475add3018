;; reverse(text) under libSQL's ABI: the argument is a pointer to
;; [0x03][UTF-8 bytes][0x00]; the result is built the same way.  Characters
;; are reversed, not bytes.  NULL ([0x05]) and blobs come back unchanged.
(module
  (memory (export "memory") 1)
  (global $top (mut i32) (i32.const 16))
  ;; A bump allocator.  Each call starts over at 16: the host copies a
  ;; result out before it allocates for the next call.
  (func $alloc (export "libsql_malloc") (param $n i32) (result i32)
    (local $p i32) (local $have i32)
    (local.set $p (global.get $top))
    (global.set $top (i32.add (local.get $p) (local.get $n)))
    (local.set $have (i32.mul (memory.size) (i32.const 65536)))
    (if (i32.gt_u (global.get $top) (local.get $have))
      (then
        (if (i32.eq (memory.grow (i32.add (i32.shr_u (i32.sub (global.get $top) (local.get $have)) (i32.const 16))
                                          (i32.const 1)))
                    (i32.const -1))
          (then unreachable))))
    (local.get $p))
  (func (export "reverse") (param $v i32) (result i32)
    (local $len i32) (local $out i32) (local $i i32) (local $n i32) (local $b i32) (local $k i32)
    (if (i32.ne (i32.load8_u (local.get $v)) (i32.const 3))
      (then (global.set $top (i32.const 16)) (return (local.get $v))))
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $v) (i32.add (local.get $len) (i32.const 1))))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $scan)))
    (local.set $out (call $alloc (i32.add (local.get $len) (i32.const 2))))
    (i32.store8 (local.get $out) (i32.const 3))
    (i32.store8 (i32.add (local.get $out) (i32.add (local.get $len) (i32.const 1))) (i32.const 0))
    (block $end
      (loop $chars
        (br_if $end (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $b (i32.load8_u (i32.add (local.get $v) (i32.add (local.get $i) (i32.const 1)))))
        ;; bytes of this character: 1 + (b >= 0xc0) + (b >= 0xe0) + (b >= 0xf0)
        (local.set $n (i32.add (i32.const 1)
          (i32.add (i32.ge_u (local.get $b) (i32.const 0xc0))
            (i32.add (i32.ge_u (local.get $b) (i32.const 0xe0)) (i32.ge_u (local.get $b) (i32.const 0xf0))))))
        (if (i32.gt_u (local.get $n) (i32.sub (local.get $len) (local.get $i)))
          (then (local.set $n (i32.sub (local.get $len) (local.get $i)))))
        (local.set $k (i32.const 0))
        (block $cdone
          (loop $copy
            (br_if $cdone (i32.ge_u (local.get $k) (local.get $n)))
            (i32.store8
              (i32.add (local.get $out)
                (i32.add (i32.const 1)
                  (i32.add (i32.sub (i32.sub (local.get $len) (local.get $i)) (local.get $n)) (local.get $k))))
              (i32.load8_u (i32.add (local.get $v) (i32.add (i32.const 1) (i32.add (local.get $i) (local.get $k))))))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $copy)))
        (local.set $i (i32.add (local.get $i) (local.get $n)))
        (br $chars)))
    (global.set $top (i32.const 16))
    (local.get $out))
)
