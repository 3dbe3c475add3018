;; Calls between functions for tests/unit/jit.c: every place where compiled
;; code hands over to the interpreter inside a chain of calls must give what
;; the interpreter gives, to the bit: results, traps with their backtraces,
;; fuel, the depth limit.
(module
  (type $ii (func (param i32) (result i32)))
  (type $v (func))
  (memory 1 4)
  (table 4 funcref)
  (elem (i32.const 0) $twice $nothing $twice)

  ;; fib: calls in a tree.
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))

  ;; A trap three frames down: a -> b -> c, c divides by its argument.
  (func $c (param $x i32) (result i32) (i32.div_u (i32.const 1000) (local.get $x)))
  (func $b (param $x i32) (result i32) (i32.add (call $c (local.get $x)) (i32.const 1)))
  (func (export "deep3") (param $x i32) (result i32) (i32.mul (call $b (local.get $x)) (i32.const 3)))

  ;; Recursion n deep, a loop in every frame, locals and constants that the
  ;; callee's entry sets: fuel runs out anywhere along it.
  (func $rec (export "rec") (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $k i64)
    (local.set $k (i64.const 0x123456789))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (i32.const 5)))
        (local.set $s (i32.add (local.get $s) (i32.xor (local.get $i) (local.get $n))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (if (result i32) (i32.eqz (local.get $n))
      (then (i32.add (local.get $s) (i32.wrap_i64 (local.get $k))))
      (else (i32.add (local.get $s) (call $rec (i32.sub (local.get $n) (i32.const 1)))))))

  ;; call_indirect: entry 1 has another type, entry 3 is null, 4 is past the end.
  (func $twice (param $x i32) (result i32) (i32.shl (local.get $x) (i32.const 1)))
  (func $nothing)
  (func (export "indirect") (param $i i32) (result i32)
    (call_indirect (type $ii) (i32.const 21) (local.get $i)))

  ;; memory.grow in a callee while the caller's frame uses the memory before
  ;; and after: the caller must see the new size.
  (func $grow (param $n i32) (result i32) (memory.grow (local.get $n)))
  (func (export "grow") (param $n i32) (result i32)
    (i32.store (i32.const 16) (i32.const 77))
    (drop (call $grow (local.get $n)))
    (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)) (i32.const 5))
    (i32.add (i32.load (i32.const 16))
             (i32.load (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))))

;; Locals across calls: the compiler keeps only those a call's caller may
  ;; read before writing them (a read after the call, a branch, a return of
  ;; them); the others it lets the callee's code take.  $id traps when its
  ;; argument is 0, and fuel may run out in it: the caller's locals must be
  ;; whole wherever the interpreter goes on.
  (func $id (param $x i32) (result i32) (i32.div_u (i32.const 1000000) (local.get $x)))
  (func (export "live") (param $n i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32) (local $d i64) (local $e f64) (local $i i32)
    (local.set $a (i32.add (local.get $n) (i32.const 7)))
    (local.set $b (i32.const 100))
    (local.set $e (f64.const 1.5))
    (loop $l
      (local.set $c (call $id (i32.sub (local.get $n) (local.get $i)))) ;; b: written before read
      (local.set $b (i32.mul (local.get $c) (i32.const 3)))
      (local.set $a (i32.add (local.get $a) (local.get $b)))            ;; a, e, d: read
      (local.set $e (f64.add (local.get $e) (f64.convert_i32_s (local.get $c))))
      (local.set $d (i64.add (local.get $d) (i64.extend_i32_u (local.get $a))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))
    (if (i32.eq (call $id (i32.const 3)) (i32.const 333333))            ;; read after a branch
      (then (local.set $b (i32.const 9))))
    (local.set $c (call $id (local.get $n)))                            ;; a return reads a, b, d, e
    (i32.add (i32.add (local.get $a) (local.get $b))
             (i32.add (i32.wrap_i64 (local.get $d)) (i32.trunc_f64_s (local.get $e)))))

  ;; Endless recursion: the depth limit.
  (func $down (export "down") (param $n i32) (result i32)
    (i32.add (call $down (i32.add (local.get $n) (i32.const 1))) (i32.const 1)))
)
