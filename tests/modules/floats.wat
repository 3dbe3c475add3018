;; Float locals in loops for tests/unit/jit.c: the compiler keeps the hot
;; ones in xmm registers, so every place where they must be in their slots
;; (calls, calls to C, leaving on a trap or on fuel, returning) is here, and
;; each export folds the bits of its floats into its i32 result.
(module
  (memory 1)
  (data (i32.const 0) "\00\00\00\00\00\00\f0\3f\9a\99\99\99\99\99\b9\bf\00\00\00\00\00\00\f8\7f\01\00\a0\7f\00\00\c0\ff")

  (func $fold64 (param $v f64) (result i32)
    (local $b i64)
    (local.set $b (i64.reinterpret_f64 (local.get $v)))
    (i32.wrap_i64 (i64.xor (local.get $b) (i64.shr_u (local.get $b) (i64.const 32)))))

  ;; An f64 and an f32 accumulator over memory, with the f64 one also read
  ;; as an integer (reinterpret) inside the loop.
  (func (export "dot") (param $n i32) (result i32)
    (local $i i32) (local $s f64) (local $t f32) (local $h i64)
    (local.set $s (f64.const 0.5))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (f64.add (local.get $s)
                               (f64.mul (f64.load (i32.and (i32.shl (local.get $i) (i32.const 3)) (i32.const 31)))
                                        (f64.convert_i32_s (local.get $i)))))
        (local.set $t (f32.sub (f32.mul (local.get $t) (f32.const 0.75)) (f32.demote_f64 (local.get $s))))
        (local.set $h (i64.xor (i64.rotl (local.get $h) (i64.const 5)) (i64.reinterpret_f64 (local.get $s))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.xor (i32.xor (call $fold64 (local.get $s)) (i32.reinterpret_f32 (local.get $t)))
             (i32.wrap_i64 (local.get $h))))

  ;; NaN payloads carried by pinned f32 and f64 locals through sign ops,
  ;; min/max, compares and selects.
  (func (export "nans") (param $n i32) (result i32)
    (local $i i32) (local $a f32) (local $b f32) (local $c f64) (local $d f64) (local $k i32)
    (local.set $a (f32.reinterpret_i32 (i32.const 0x7fa00001)))
    (local.set $b (f32.const -0))
    (local.set $c (f64.reinterpret_i64 (i64.const 0xfff4000000000123)))
    (local.set $d (f64.const 1.5))
    (loop $l
      (local.set $a (f32.copysign (f32.neg (local.get $a)) (local.get $b)))
      (local.set $b (f32.min (local.get $b) (f32.abs (local.get $a))))
      (local.set $d (f64.max (local.get $d) (local.get $c)))
      (local.set $c (select (local.get $c) (f64.neg (local.get $c)) (i32.and (local.get $i) (i32.const 1))))
      (local.set $k (i32.add (local.get $k)
                             (i32.add (f64.lt (local.get $d) (f64.const 2)) (f32.ne (local.get $a) (local.get $a)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.xor (i32.xor (i32.reinterpret_f32 (local.get $a)) (i32.reinterpret_f32 (local.get $b)))
             (i32.xor (i32.add (call $fold64 (local.get $c)) (call $fold64 (local.get $d))) (local.get $k))))

  ;; A callee with float locals of its own, called from a loop whose float
  ;; locals must survive the call; rounding (a call to C without SSE4.1).
  (func $wiggle (param $x f64) (result f64)
    (local $j i32) (local $y f64)
    (local.set $y (local.get $x))
    (loop $l
      (local.set $y (f64.nearest (f64.mul (local.get $y) (f64.const 1.25))))
      (local.set $j (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $j) (i32.const 3))))
    (f64.sub (local.get $y) (local.get $x)))
  (func (export "calls") (param $n i32) (result i32)
    (local $i i32) (local $s f64) (local $r f32)
    (local.set $r (f32.const 3.25))
    (loop $l
      (local.set $s (f64.add (local.get $s) (call $wiggle (f64.convert_i32_u (local.get $i)))))
      (local.set $r (f32.floor (f32.add (local.get $r) (f32.sqrt (f32.convert_i32_u (local.get $i))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.xor (call $fold64 (local.get $s)) (i32.reinterpret_f32 (local.get $r))))

  ;; A float local live across calls to C helpers (memory.grow, table.fill
  ;; and a host-free table.grow) that may clobber every xmm register.
  (table $t 2 funcref)
  (func (export "helpers") (param $n i32) (result i32)
    (local $i i32) (local $s f64) (local $g i32)
    (local.set $s (f64.const 1.5))
    (loop $l
      (local.set $s (f64.add (f64.mul (local.get $s) (f64.const 1.0625)) (f64.convert_i32_u (local.get $g))))
      (local.set $g (i32.add (local.get $g) (memory.grow (i32.const 0))))
      (table.fill $t (i32.const 0) (ref.null func) (i32.const 2))
      (local.set $g (i32.add (local.get $g) (table.grow $t (ref.null func) (i32.const 0))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.xor (call $fold64 (local.get $s)) (local.get $g)))

  ;; Float values of the operand stack, which the compiler keeps in xmm
  ;; registers from the op that makes one to the op that pops it: nine live
  ;; at once (more than it has registers for), read as integers
  ;; (reinterpret), live across integer ops (i32.rem_s of INT_MIN by -1 at
  ;; i = 7 is 0) and where the code leaves: i32.trunc_f64_s is out of range
  ;; from i = 22, and the interpreter, which runs it again and traps, must
  ;; find its operand in its slot.
  (func (export "stack") (param $n i32) (result i32)
    (local $i i32) (local $acc f64) (local $f f64)
    (loop $l
      (local.set $f (f64.convert_i32_s (local.get $i)))
      (local.set $acc
        (f64.add (local.get $acc)
          (f64.add (f64.mul (local.get $f) (f64.const 1.5))
          (f64.add (f64.sqrt (f64.convert_i32_u (local.get $i)))
          (f64.add (f64.promote_f32 (f32.mul (f32.convert_i32_s (local.get $i)) (f32.const 0.25)))
          (f64.add (f64.reinterpret_i64 (i64.xor (i64.const 0x8000000000000000)
                                                 (i64.reinterpret_f64 (f64.add (local.get $f) (f64.const 3)))))
          (f64.add (f64.div (f64.const 1) (f64.add (local.get $f) (f64.const 5)))
          (f64.add (f64.mul (local.get $f) (f64.const 6))
          (f64.add (f64.sub (local.get $f) (f64.const 7))
          (f64.add (f64.mul (local.get $f) (local.get $f))
            (f64.convert_i32_s
              (i32.add
                (i32.rem_s (select (i32.const 0x80000000) (i32.add (local.get $i) (i32.const 100))
                                   (i32.eq (local.get $i) (i32.const 7)))
                           (select (i32.const -1) (i32.const 9) (i32.eq (local.get $i) (i32.const 7))))
                (i32.trunc_f64_s (f64.mul (local.get $f) (f64.const 1e8)))))))))))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_s (local.get $i) (local.get $n))))
    (call $fold64 (local.get $acc)))

  ;; A trap in the loop while float locals are live: the conversion is out
  ;; of range once s passes 2^31, at an iteration that depends on n.
  (func (export "overflow") (param $n i32) (result i32)
    (local $i i32) (local $s f64) (local $acc i32)
    (local.set $s (f64.convert_i32_s (local.get $n)))
    (loop $l
      (local.set $s (f64.mul (local.get $s) (f64.const 3)))
      (local.set $acc (i32.add (local.get $acc) (i32.trunc_f64_s (local.get $s))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 40))))
    (local.get $acc))
)
