;; Loops for tests/unit/jit.c: each runs in machine code where the platform
;; has it (src/jit.c) and must give what the interpreter gives, to the bit,
;; with the same fuel, traps and trap locations.
(module
  (memory 1)
  (global $g (mut i64) (i64.const 7))

  ;; Integer operations of every kind the machine code translates.
  (func (export "mix") (param $n i32) (result i64)
    (local $i i32) (local $a i32) (local $b i64) (local $t i32)
    (local.set $a (i32.const 0x12345))
    (block $done
      (loop $top
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $a (i32.add (i32.mul (local.get $a) (i32.const 1103515245)) (i32.const 12345)))
        (local.set $t (i32.xor (local.get $a) (i32.shr_u (local.get $a) (i32.const 13))))
        (local.set $t (i32.sub (local.get $t) (i32.rotl (local.get $t) (local.get $i))))
        (local.set $t (i32.or (local.get $t) (i32.and (i32.shl (local.get $i) (i32.const 3)) (i32.rotr (local.get $a) (i32.const 7)))))
        (local.set $t (i32.add (local.get $t) (i32.shr_s (local.get $a) (local.get $i))))
        (local.set $t (i32.add (local.get $t) (i32.add (i32.clz (local.get $a)) (i32.ctz (local.get $t)))))
        (local.set $t (i32.add (local.get $t) (i32.div_u (local.get $a) (i32.add (local.get $i) (i32.const 3)))))
        (local.set $t (i32.add (local.get $t) (i32.rem_u (local.get $a) (i32.add (local.get $i) (i32.const 5)))))
        (local.set $t (i32.add (local.get $t) (i32.div_s (local.get $t) (i32.or (i32.sub (i32.const 2) (local.get $i)) (i32.const 1)))))
        (local.set $t (i32.add (local.get $t) (i32.rem_s (local.get $a) (i32.or (i32.sub (i32.const 7) (local.get $i)) (i32.const 1)))))
        (local.set $t (i32.add (local.get $t)
          (select (i32.lt_s (local.get $a) (local.get $t)) (i32.gt_u (local.get $a) (local.get $t))
                  (i32.and (local.get $i) (i32.const 1)))))
        (local.set $t (i32.add (local.get $t) (i32.add (i32.le_s (local.get $a) (i32.const 0)) (i32.eqz (local.get $t)))))
        ;; memory: every width, signed and unsigned, at a moving address
        (i32.store (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 4095)) (local.get $a))
        (i64.store offset=4096 (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 4095))
                   (i64.mul (i64.extend_i32_s (local.get $t)) (i64.const 0x100000001)))
        (i32.store8 offset=9000 (local.get $i) (local.get $t))
        (i32.store16 offset=10000 (local.get $i) (local.get $a))
        (i64.store32 offset=12000 (local.get $i) (i64.extend_i32_u (local.get $t)))
        (local.set $t (i32.add (local.get $t) (i32.load8_s offset=9000 (local.get $i))))
        (local.set $t (i32.add (local.get $t) (i32.load8_u offset=9000 (local.get $i))))
        (local.set $t (i32.add (local.get $t) (i32.load16_s offset=10000 (local.get $i))))
        (local.set $t (i32.add (local.get $t) (i32.load16_u offset=10000 (local.get $i))))
        (local.set $t (i32.add (local.get $t) (i32.load (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 4095)))))
        (local.set $b (i64.add (local.get $b) (i64.load offset=4096 (i32.and (i32.mul (local.get $i) (i32.const 8)) (i32.const 4095)))))
        (local.set $b (i64.add (local.get $b) (i64.load8_s offset=9000 (local.get $i))))
        (local.set $b (i64.add (local.get $b) (i64.load16_s offset=10000 (local.get $i))))
        (local.set $b (i64.add (local.get $b) (i64.load32_s offset=12000 (local.get $i))))
        (local.set $b (i64.add (local.get $b) (i64.load32_u offset=12000 (local.get $i))))
        ;; i64
        (local.set $b (i64.xor (local.get $b) (i64.rotl (local.get $b) (i64.extend_i32_u (local.get $i)))))
        (local.set $b (i64.add (local.get $b) (i64.mul (i64.extend_i32_s (local.get $t)) (i64.const -3))))
        (local.set $b (i64.sub (local.get $b) (i64.shr_s (local.get $b) (i64.const 17))))
        (local.set $b (i64.add (local.get $b) (i64.shr_u (local.get $b) (i64.const 5))))
        (local.set $b (i64.add (local.get $b) (i64.shl (i64.rotr (local.get $b) (i64.const 9)) (i64.const 2))))
        (local.set $b (i64.add (local.get $b) (i64.div_s (local.get $b) (i64.const -1000003))))
        (local.set $b (i64.add (local.get $b) (i64.rem_u (local.get $b) (i64.const 999983))))
        (local.set $b (i64.add (local.get $b) (i64.add (i64.clz (local.get $b)) (i64.ctz (local.get $b)))))
        (local.set $b (i64.add (local.get $b) (i64.extend_i32_u (i64.lt_u (local.get $b) (global.get $g)))))
        (local.set $b (i64.add (local.get $b) (i64.extend8_s (local.get $b))))
        (local.set $b (i64.add (local.get $b) (i64.extend16_s (local.get $b))))
        (local.set $b (i64.add (local.get $b) (i64.extend32_s (local.get $b))))
        (local.set $t (i32.add (local.get $t) (i32.extend8_s (local.get $t))))
        (local.set $t (i32.add (local.get $t) (i32.extend16_s (i32.wrap_i64 (local.get $b)))))
        (global.set $g (i64.add (global.get $g) (i64.extend_i32_s (local.get $t))))
        (local.set $b (i64.add (local.get $b) (i64.extend_i32_u (i64.eqz (local.get $b)))))
        (local.set $b (i64.add (local.get $b) (i64.extend_i32_u (memory.size))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $top)))
    (i64.add (local.get $b) (global.get $g)))

  ;; v128: loads, stores, a shuffle, bitwise operations, bitmask, any_true.
  (func (export "vec") (param $n i32) (result i32)
    (local $i i32) (local $acc i32) (local $v v128) (local $w v128)
    (local.set $w (v128.const i32x4 0x80ff0102 0x7f00fe03 0x11223344 0x8899aabb))
    (loop $top
      (local.set $v (v128.load offset=3 (local.get $i)))
      (local.set $v (v128.xor (local.get $v) (local.get $w)))
      (local.set $w (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get $v) (local.get $w)))
      (local.set $v (v128.or (v128.and (local.get $v) (local.get $w)) (v128.andnot (local.get $w) (local.get $v))))
      (v128.store offset=5 (local.get $i) (local.get $v))
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31)) (i8x16.bitmask (local.get $v))))
      (local.set $acc (i32.add (local.get $acc) (v128.any_true (local.get $w))))
      (local.set $i (i32.add (local.get $i) (i32.const 7)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))

  ;; Stores further and further until one is out of bounds: a trap in a loop.
  (func (export "oob") (param $step i32) (result i32)
    (local $p i32)
    (loop $top
      (i32.store (local.get $p) (local.get $p))
      (local.set $p (i32.add (local.get $p) (local.get $step)))
      (br $top))
    (i32.const 0))

  ;; A remainder by a divisor that reaches zero.
  (func (export "divz") (param $n i32) (result i32)
    (local $acc i32)
    (loop $top
      (local.set $acc (i32.add (local.get $acc) (i32.rem_u (i32.const 1000) (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $top))
    (local.get $acc))

  ;; Endless: only fuel or an interrupt stops it.
  (func (export "spin") (result i32)
    (local $i i32)
    (loop $top
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $top))
    (local.get $i))
;; Straight-line exports: a host call runs their machine code directly
  ;; (interp.c), to the return or to the op where the interpreter takes over.
  (func (export "line") (param $a i32) (result i32)
    (i32.add (i32.mul (local.get $a) (i32.const 3)) (i32.load8_u (local.get $a))))
  ;; A load out of bounds at the first op (for $a beyond the memory).
  (func (export "first") (param $a i32) (result i64)
    (i64.load (local.get $a)))
  ;; Two results, one of them 64 bits wide.
  (func (export "pair") (param $a i32) (result i32 i64)
    (i32.sub (i32.const 100) (local.get $a))
    (i64.extend_i32_s (local.get $a)))
  ;; A call: the machine code hands over to the interpreter there.
  (func $helper (param i32) (result i32)
    (i32.xor (local.get 0) (i32.const 0x5a5a)))
  (func (export "calls") (param $a i32) (result i32)
    (i32.add (call $helper (local.get $a)) (i32.const 1)))
  ;; A float op, which is not translated, after integer ones.
  (func (export "floaty") (param $a i32) (result i32)
    (i32.trunc_f64_s (f64.mul (f64.convert_i32_s (i32.add (local.get $a) (i32.const 1))) (f64.const 2.5))))
;; Two values made one after the other and then combined (x = a*k; y =
  ;; b*k'; x op y, as hash functions do): x stays in a spare register across
  ;; y's op, not in its slot; the op that reads it as a commutative or a
  ;; non-commutative one, into rax or into a local's register, 32 and 64 bits.
  (func (export "two") (param $n i32) (result i64)
    (local $i i32) (local $h i32) (local $g i64) (local $f i64)
    (loop $l
      (local.set $h (i32.xor (local.get $h)
        (i32.or (i32.shr_u (i32.mul (local.get $i) (i32.const 0x9e3779b9)) (i32.const 17))
                (i32.mul (local.get $i) (i32.const 0x16a88000)))))
      (local.set $h (i32.sub (i32.mul (local.get $h) (i32.const 7)) (i32.add (local.get $i) (local.get $n))))
      (local.set $h (i32.add (i32.mul (local.get $h) (i32.const 5)) (i32.shl (local.get $i) (local.get $n))))
      (local.set $g (i64.sub (i64.mul (local.get $g) (i64.const 3))
                             (i64.mul (local.get $f) (i64.const 0x100000001))))
      (local.set $f (i64.add (local.get $f) (i64.extend_i32_u (local.get $h))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (i64.xor (local.get $g) (i64.extend_i32_u (local.get $h))))
;; Addresses computed just before a load or a store: the compiler writes
  ;; such an operand stack slot only where the access leaves (out of bounds),
  ;; for the interpreter, which runs it again from there.  The rounds before
  ;; left in-bounds addresses in the same slots.
  (func (export "late") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (loop $l
      (local.set $s (i32.add (local.get $s)
        (i32.load8_u offset=3 (i32.add (i32.mul (local.get $i) (local.get $n)) (i32.const 100)))))
      (i32.store16 offset=5 (i32.sub (i32.const 65500) (i32.mul (local.get $i) (local.get $n)))
                            (i32.add (local.get $s) (i32.const 1)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 5))))
    (local.get $s))
  ;; memory.fill and memory.copy in a loop (calls to memset/memmove in machine
  ;; code), the fill going out of bounds once i * 1000 passes the memory's end.
  (func (export "bulk") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $top
      (memory.fill (i32.and (i32.mul (local.get $i) (i32.const 97)) (i32.const 4095))
                   (local.get $i) (i32.and (local.get $i) (i32.const 31)))
      (memory.copy (i32.and (i32.mul (local.get $i) (i32.const 31)) (i32.const 4095))
                   (i32.and (i32.mul (local.get $i) (i32.const 13)) (i32.const 4095))
                   (i32.and (local.get $i) (i32.const 63)))
      (memory.fill (i32.mul (local.get $i) (i32.const 1000)) (i32.const 7) (i32.const 8))
      (memory.copy (i32.const 60000) (i32.sub (i32.const 65536) (local.get $n)) (local.get $n))
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31))
                               (i32.load (i32.and (i32.mul (local.get $i) (i32.const 53)) (i32.const 4092)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $top (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $acc))
;; Addresses in pinned locals: $p and $r as the op before wrote them (a
  ;; 32-bit add: the register is the address as it is), $q as i32.wrap_i64
  ;; left it (the register's upper half is not zero: it must not be taken
  ;; as it is).  Every access checked; from n = 65462 the store at $r + 4
  ;; goes out of bounds (at i = 63), from n = -1 the first load.
  (func (export "addr") (param $n i32) (result i32)
    (local $i i32) (local $p i32) (local $q i32) (local $r i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (i32.const 64)))
        (local.set $p (i32.add (local.get $n) (local.get $i)))
        (local.set $s (i32.add (i32.add (local.get $s) (i32.load8_u (local.get $p))) (local.get $i)))
        (local.set $r (i32.add (local.get $p) (i32.const 3)))
        (i32.store offset=4 (local.get $r) (local.get $s))
        (local.set $q (i32.wrap_i64 (i64.add (i64.const 0x100000000) (i64.extend_i32_u (local.get $p)))))
        (local.set $s (i32.add (local.get $s) (i32.load16_u offset=2 (local.get $q))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
;; i32.add of 0 is left out where its operand was just loaded by a 32-bit
  ;; instruction (which cleared the upper half), not where eax holds an i64's
  ;; low half (i32.wrap_i64 is a retype): both must give the low 32 bits.
  (func (export "wrap0") (param $n i32) (result i64)
    (local $w i64)
    (local.set $w (i64.add (i64.extend_i32_u (local.get $n)) (i64.const 0x500000000)))
    (i64.add
      (i64.extend_i32_u (i32.add (i32.wrap_i64 (local.get $w)) (i32.const 0)))
      (i64.extend_i32_u (i32.add (i32.wrap_i64 (i64.mul (local.get $w) (i64.const 3))) (i32.const 0)))))
;; Integer values of the operand stack in registers (the integer cache):
  ;; up to five live at once (more than the registers the locals leave, so
  ;; some go back to their slots), written in place, a shift's count taken
  ;; from rax, an i64 reinterpreted as f64 from its register, popcnt, select
  ;; and global.set of cached values, a divide by zero among them (a leave),
  ;; and the loop's back-edge (where they go to their slots) in fuel slices.
  (func (export "istack") (param $n i32) (result i64)
    (local $i i32) (local $acc i64)
    (loop $l
      (local.set $acc
        (i64.add (local.get $acc)
          (i64.xor
            (i64.extend_i32_u
              (i32.add
                (i32.xor (i32.mul (local.get $i) (i32.const 3)) (i32.shl (local.get $i) (local.get $n)))
                (i32.sub (i32.rotl (i32.add (local.get $i) (i32.const 7)) (i32.and (local.get $n) (i32.const 7)))
                         (i32.div_u (i32.const 100000) (i32.sub (local.get $n) (local.get $i))))))
            (i64.reinterpret_f64
              (f64.add (f64.reinterpret_i64 (i64.shl (i64.extend_i32_u (local.get $i)) (i64.const 40)))
                       (f64.convert_i32_u (i32.popcnt (i32.mul (local.get $i) (local.get $n)))))))))
      (global.set $g (select (local.get $acc) (i64.extend_i32_u (i32.popcnt (local.get $i)))
                             (i32.and (local.get $i) (i32.const 1))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 50))))
    (i64.add (local.get $acc) (global.get $g)))
;; i32.add of two registers, or of a register and a constant, into a third
  ;; is one lea of 32 bits: the upper half cleared, so the sum serves as an
  ;; address as it is (no leave), though both operands came from
  ;; i32.wrap_i64 with their upper halves set.
  (func (export "leas") (param $n i32) (result i32)
    (local $i i32) (local $a i32) (local $b i32) (local $c i32) (local $s i32)
    (loop $l
      (local.set $a (i32.wrap_i64 (i64.add (i64.const 0x700000000) (i64.extend_i32_u (local.get $i)))))
      (local.set $b (i32.wrap_i64 (i64.mul (i64.const 0x100000001) (i64.extend_i32_u (local.get $n)))))
      (local.set $c (i32.add (local.get $a) (local.get $b)))
      (i32.store8 (local.get $c) (local.get $i))
      (local.set $s (i32.add (local.get $s) (i32.add (local.get $c) (i32.load8_u (local.get $c)))))
      (local.set $c (i32.add (local.get $a) (i32.const 100)))
      (local.set $s (i32.add (local.get $s) (i32.load8_u offset=3 (local.get $c))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 1000))))
    (local.get $s))
;; select on a compare just before it reads the compare's flags (the
  ;; value is never made: cc and its opposite must not swap); on any other
  ;; value left in rax it tests it (a load's flags are its bounds check's);
  ;; a compare whose value is used again, or that reaches the select
  ;; through a block's end (a branch target), is made as always.
  (func (export "picks") (param $n i32) (result i64)
    (local $i i32) (local $s i64) (local $c i32)
    (loop $l
      (local.set $s (i64.add (local.get $s)
        (i64.extend_i32_u (select (local.get $i) (i32.const 7) (i32.lt_s (local.get $i) (i32.const 13))))))
      (local.set $s (i64.add (local.get $s)
        (select (i64.const 100) (local.get $s) (i64.gt_u (local.get $s) (i64.const 5000)))))
      (local.set $s (i64.add (local.get $s)
        (i64.extend_i32_u (select (i32.const 3) (i32.const 5) (i32.and (local.get $i) (i32.const 2))))))
      (i32.store8 offset=5000 (local.get $i) (i32.and (local.get $i) (i32.const 1)))
      (local.set $s (i64.add (local.get $s)
        (i64.extend_i32_u (select (i32.const 30) (i32.const 50) (i32.load8_u offset=5000 (local.get $i))))))
      (local.set $c (i32.ge_u (local.get $i) (i32.const 3)))
      (local.set $s (i64.add (local.get $s)
        (i64.extend_i32_u (select (i32.const 11) (i32.const 12) (local.get $c)))))
      (local.set $s (i64.add (local.get $s) (i64.extend_i32_u (local.get $c))))
      (local.set $s (i64.add (local.get $s)
        (i64.extend_i32_u (select (i32.const 21) (i32.const 1000)
          (block (result i32)
            (br_if 0 (i32.const 1) (i32.eqz (local.get $i)))
            (drop)
            (i32.gt_s (local.get $i) (i32.const 3)))))))
      (local.set $s (i64.add (local.get $s)
        (i64.extend_i32_u (select (i32.const 1) (i32.const 2) (i32.eq (local.get $i) (i32.const 9))))))
      (local.set $s (i64.mul (local.get $s)
        (select (i64.const 3) (i64.const 1) (i64.lt_u (local.get $s) (i64.const 100000)))))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $s))
;; The same with the compare's value in a local that no register holds
  ;; (seven locals live in the loop; $f only after it): the select still
  ;; reads the flags, and the value goes to the local's slot.
  (func (export "picks2") (param $n i32) (result i32)
    (local $i i32) (local $a i32) (local $b i32) (local $c i32) (local $d i32) (local $e i32) (local $f i32)
    (loop $l
      (local.set $a (i32.add (local.get $a) (local.get $i)))
      (local.set $b (i32.xor (local.get $b) (local.get $a)))
      (local.set $c (i32.add (local.get $c) (local.get $b)))
      (local.set $d (i32.sub (local.get $d) (local.get $c)))
      (local.set $e (i32.or (local.get $e) (local.get $d)))
      (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.set $f (i32.lt_s (local.get $d) (local.get $a)))
    (i32.add (select (local.get $e) (local.get $b) (local.get $f)) (i32.mul (local.get $f) (i32.const 1000))))
;; A value loaded and stored at once (a copy) goes from rax to rdx, not
  ;; through its slot: bytes, halves and i64s, to n + i, out of bounds from
  ;; some n on (the store leaves with its value).
  (func (export "copies") (param $n i32) (result i64)
    (local $i i32) (local $s i64)
    (loop $fill
      (i64.store offset=1000 (i32.shl (local.get $i) (i32.const 3))
        (i64.mul (i64.extend_i32_u (i32.add (local.get $i) (i32.const 1))) (i64.const 0x0123456789abcdef)))
      (br_if $fill (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 40))))
    (local.set $i (i32.const 0))
    (loop $copy
      (i32.store8 (i32.add (local.get $n) (local.get $i)) (i32.load8_u offset=1000 (local.get $i)))
      (i32.store16 offset=400 (i32.add (local.get $n) (local.get $i)) (i32.load16_s offset=1001 (local.get $i)))
      (i64.store offset=600 (i32.add (local.get $n) (i32.shl (local.get $i) (i32.const 3)))
        (i64.load offset=1000 (i32.shl (local.get $i) (i32.const 3))))
      (local.set $s (i64.add (i64.rotl (local.get $s) (i64.const 7))
        (i64.add (i64.load offset=600 (i32.add (local.get $n) (i32.shl (local.get $i) (i32.const 3))))
          (i64.extend_i32_u (i32.add (i32.load8_u (i32.add (local.get $n) (local.get $i)))
                                     (i32.load16_u offset=400 (i32.add (local.get $n) (local.get $i))))))))
      (br_if $copy (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 40))))
    (local.get $s))
;; Fixed addresses (a C global's): the memory's size compared once with
  ;; the access's end, exact to the byte, and again after memory.grow; an end
  ;; past 2 GiB takes the usual check.
  (func (export "fixed") (param $n i32) (result i64)
    (local $s i64)
    (i32.store offset=65528 (i32.const 4) (local.get $n)) ;; ends at 65536
    (i64.store (i32.const 1000) (i64.const 0x1122334455667788))
    (local.set $s (i64.add (i64.load (i32.const 1000)) (i64.load32_u offset=65528 (i32.const 4))))
    (if (i32.eq (local.get $n) (i32.const 1)) (then (i32.store8 (i32.const 65536) (i32.const 1))))
    (if (i32.eq (local.get $n) (i32.const 2)) (then (drop (i32.load16_u offset=65535 (i32.const 0)))))
    (if (i32.eq (local.get $n) (i32.const 3)) (then (drop (i32.load offset=10 (i32.const 0x7ffffff8)))))
    (if (i32.eq (local.get $n) (i32.const 4))
      (then
        (drop (memory.grow (i32.const 1)))
        (i32.store (i32.const 131068) (i32.const 77))
        (local.set $s (i64.add (local.get $s) (i64.load32_u (i32.const 131068))))))
    (if (i32.eq (local.get $n) (i32.const 5)) (then (i64.store (i32.const 131068) (i64.const 1))))
    (local.get $s))
)
