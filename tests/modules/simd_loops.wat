;; SIMD ops in loops for tests/unit/jit.c: integer and float locals stay in
;; registers there (pinned), so SIMD ops read and write them as scalar
;; operands and results, inline and through the interpreter's C functions
;; (which see them in their slots); a v128.load out of bounds traps in a
;; loop; fuel runs out inside SIMD loops, and slices resume them.  Each
;; export folds its locals and vectors into its i32 result.
(module
  (memory 1)
  (data (i32.const 0) "\00\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\80\81\82\83\00\00\c0\7f\01\00\a0\7f\00\00\f8\ff")

  ;; i32x4 lanes of v, xor'ed.
  (func $fold (param $v v128) (result i32)
    (i32.xor (i32.xor (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 1 (local.get $v)))
             (i32.xor (i32x4.extract_lane 2 (local.get $v)) (i32x4.extract_lane 3 (local.get $v)))))

  ;; Every kind of scalar operand and result, pinned: splats from an i32, an
  ;; i64, an f32 and an f64 local; replace_lane from them; extract_lane into
  ;; them; shift counts; bitmasks and all_true into an i32 local; and ops of
  ;; the C path (f32x4.add, i8x16.shl, i64x2.shr_s, popcnt) among them.
  (func (export "mix") (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $k i64) (local $f f32) (local $d f64)
    (local $acc v128) (local $w v128)
    (local.set $f (f32.const 1.25))
    (local.set $d (f64.reinterpret_i64 (i64.const 0x7ff4000000000123)))
    (local.set $k (i64.const 0x123456789))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc (i32x4.add (local.get $acc) (i32x4.splat (local.get $i))))
        (local.set $acc (i8x16.shl (local.get $acc) (local.get $i)))
        (local.set $acc (i32x4.replace_lane 3 (local.get $acc) (local.get $s)))
        (local.set $w (f32x4.add (f32x4.splat (local.get $f)) (v128.load (i32.const 16))))
        (local.set $w (f32x4.replace_lane 2 (local.get $w) (local.get $f)))
        (local.set $f (f32.add (local.get $f) (f32x4.extract_lane 1 (f32x4.sub (local.get $w) (f32x4.splat (f32.const 0.5))))))
        (local.set $w (f64x2.replace_lane 1 (local.get $w) (local.get $d)))
        (local.set $d (f64.add (local.get $d) (f64x2.extract_lane 0 (f64x2.splat (f64.convert_i32_u (local.get $i))))))
        (local.set $w (i64x2.add (local.get $w) (i64x2.splat (local.get $k))))
        (local.set $k (i64.add (local.get $k) (i64x2.extract_lane 1 (i64x2.shr_s (local.get $w) (local.get $i)))))
        (local.set $k (i64.xor (local.get $k) (i64x2.extract_lane 0 (i64x2.replace_lane 0 (local.get $w) (local.get $k)))))
        (local.set $s (i32.add (local.get $s) (i8x16.bitmask (local.get $acc))))
        (local.set $s (i32.add (local.get $s) (i16x8.bitmask (local.get $w))))
        (local.set $s (i32.add (local.get $s) (i32x4.all_true (local.get $acc))))
        (local.set $s (i32.add (local.get $s) (i64x2.all_true (local.get $w))))
        (local.set $s (i32.add (local.get $s) (v128.any_true (i8x16.popcnt (local.get $acc)))))
        (local.set $s (i32.add (local.get $s) (i8x16.extract_lane_s 5 (local.get $acc))))
        (local.set $s (i32.add (local.get $s) (i16x8.extract_lane_u 7 (local.get $w))))
        (v128.store offset=64 (i32.shl (i32.and (local.get $i) (i32.const 127)) (i32.const 4))
                    (v128.xor (local.get $acc) (local.get $w)))
        (local.set $acc (v128.or (local.get $acc)
                                 (v128.load32_lane 1 (i32.and (local.get $i) (i32.const 63)) (local.get $acc))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.xor (i32.xor (local.get $s) (call $fold (local.get $acc)))
             (i32.xor (call $fold (local.get $w))
                      (i32.xor (i32.reinterpret_f32 (local.get $f))
                               (i32.wrap_i64 (i64.xor (local.get $k) (i64.reinterpret_f64 (local.get $d))))))))

  ;; A v128.load that goes out of bounds at the 17th turn (the trap, with its
  ;; place, is the interpreter's), with locals live.
  (func (export "oob") (param $n i32) (result i32)
    (local $i i32) (local $f f64) (local $v v128)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $v (i32x4.add (local.get $v) (v128.load offset=4080 (i32.mul (local.get $i) (i32.const 4096)))))
        (local.set $f (f64.add (local.get $f) (f64x2.extract_lane 1 (f64x2.convert_low_i32x4_s (local.get $v)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.xor (call $fold (local.get $v)) (i32.wrap_i64 (i64.reinterpret_f64 (local.get $f)))))

  ;; A lane store walking off the end of memory byte by byte (C path when
  ;; not inline: the same trap either way).
  (func (export "oob_lane") (param $n i32) (result i32)
    (local $i i32) (local $v v128)
    (local.set $v (v128.load (i32.const 0)))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (v128.store64_lane 1 (i32.sub (i32.const 65528) (i32.const 8)) (local.get $v))
        (v128.store32_lane offset=65520 3 (local.get $i) (local.get $v))
        (local.set $v (i8x16.add_sat_u (local.get $v) (v128.load8_splat (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (call $fold (local.get $v)))

  ;; Long SIMD work per turn, for fuel to run out in (and slices to resume).
  (func (export "spin") (param $n i32) (result i32)
    (local $i i32) (local $a v128) (local $b v128) (local $x f32)
    (local.set $b (v128.const f32x4 1.5 -2.5 3.25 0.125))
    (loop $l
      (local.set $a (f32x4.mul (f32x4.add (local.get $a) (local.get $b)) (f32x4.splat (local.get $x))))
      (local.set $b (i32x4.sub (local.get $b) (i16x8.mul (local.get $a) (local.get $b))))
      (local.set $x (f32.add (local.get $x) (f32x4.extract_lane 0 (f32x4.div (local.get $b) (local.get $a)))))
      (local.set $a (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31 (local.get $a) (local.get $b)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i32.xor (call $fold (local.get $a)) (i32.xor (call $fold (local.get $b)) (i32.reinterpret_f32 (local.get $x)))))
;; v128 values of the operand stack in the float cache's registers: up to
  ;; nine live at once (more than its seven registers, so some go to their
  ;; slots), read by lane ops, shifts, bitmasks, any_true and stores, with C
  ;; path ops among them (before which they go to their slots), and a
  ;; v128.load out of bounds among them from the 11th turn.
  (func (export "vstack") (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $acc v128)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $acc
          (v128.xor (local.get $acc)
            (i32x4.add
              (i32x4.sub (i32x4.splat (local.get $i)) (v128.load offset=8 (i32.mul (local.get $i) (i32.const 7000))))
              (i16x8.add
                (i32x4.shl (i8x16.splat (local.get $s)) (local.get $i))
                (i8x16.sub_sat_u
                  (i64x2.replace_lane 1 (i32x4.splat (i32.const 7)) (i64x2.extract_lane 0 (i16x8.splat (local.get $i))))
                  (f32x4.sub (f32x4.splat (f32.convert_i32_s (local.get $i)))
                             (f32x4.div (v128.const f32x4 1 2 3 4) (f32x4.splat (f32.const 3)))))))))
        (local.set $acc
          (i32x4.add (i32x4.splat (local.get $i))
            (i32x4.sub (i16x8.splat (local.get $s))
              (i32x4.add (i8x16.splat (local.get $n))
                (i32x4.sub (i64x2.splat (i64.extend_i32_u (local.get $s)))
                  (i32x4.add (i32x4.splat (i32.const 3))
                    (i32x4.sub (i16x8.splat (local.get $i))
                      (i32x4.add (i8x16.splat (i32.const 9))
                        (i32x4.sub (local.get $acc) (i32x4.splat (local.get $s)))))))))))
        (local.set $s (i32.add (local.get $s)
          (i32.add (i8x16.bitmask (i8x16.add (local.get $acc) (i8x16.splat (local.get $i))))
                   (i32.add (i32x4.all_true (i32x4.sub (local.get $acc) (i32x4.splat (i32.const 1))))
                            (v128.any_true (v128.and (local.get $acc) (i64x2.splat (i64.extend_i32_u (local.get $i)))))))))
        (v128.store offset=100 (i32.and (local.get $s) (i32.const 1023))
                    (i8x16.popcnt (i16x8.add (local.get $acc) (i32x4.splat (local.get $s)))))
        (local.set $s (i32.add (local.get $s) (i32x4.extract_lane 2 (v128.load offset=100 (i32.const 0)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.xor (local.get $s) (call $fold (local.get $acc))))
)
