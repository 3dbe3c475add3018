;; The user of linked_lib.wat (tests/unit/jit.c): it imports the library's
;; functions and table, and has a memory and a global of its own, which
;; must be the ones it sees after every call into the library.
(module
  (type $ii (func (param i32) (result i32)))
  (import "lib" "sum" (func $sum (type $ii)))
  (import "lib" "deep" (func $deep (type $ii)))
  (import "lib" "grow" (func $grow (type $ii)))
  (import "lib" "back" (func $back (type $ii)))
  (import "lib" "waits" (func $waits (type $ii)))
  (import "lib" "tab" (table $tab 4 funcref))
  (type $w8 (func (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "lib" "wide" (func $wide (type $w8)))
  (memory 1)
  (global $h (mut i32) (i32.const 7))
  (table $own 3 funcref)
  (table $w 1 funcref)
  (elem (table $w) (i32.const 0) func $wide)
  (elem (table $tab) (i32.const 0) func $ping)
  (elem (table $own) (i32.const 0) func $sum $deep)

  ;; ping(n): 0 at 0, else back(n - 1) + 1: each level crosses twice.
  (func $ping (type $ii)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $back (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "ping") (type $ii) (call $ping (local.get 0)))

  ;; loop(n): n calls of sum(i % 7), this memory and global read and
  ;; written around each.
  (func (export "loop") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (i32.store (i32.const 8) (i32.const 5000))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (call $sum (i32.rem_u (local.get $i) (i32.const 7)))))
        (global.set $h (i32.add (global.get $h) (i32.load (i32.const 8))))
        (i32.store (i32.const 8) (i32.add (i32.load (i32.const 8)) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.add (local.get $s) (global.get $h)))

  ;; deep(x): the library's, a trap three frames down there when x is 0.
  (func (export "deep") (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 10)))

  ;; indirect(k): own[k](3): the library's sum, its deep, or no function.
  (func (export "indirect") (param $k i32) (result i32)
    (call_indirect $own (type $ii) (i32.const 3) (local.get $k)))

  ;; grow(n): the library grows its memory while this frame holds this
  ;; memory's base: this memory stays as it was.
  (func (export "grow") (param $n i32) (result i32)
    (i32.store (i32.const 8) (i32.const 11))
    (i32.add (call $grow (local.get $n))
      (i32.add (i32.load (i32.const 8)) (i32.mul (memory.size) (i32.const 1000)))))

  ;; waits(n): n calls of the library's waits, each suspending once.
  (func (export "waits") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (call $waits (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
;; wide(n): the library's wide(n, 1, ..., 7) through a table: n + 7.
  (func (export "wide") (param $n i32) (result i32)
    (call_indirect $w (type $w8) (local.get $n) (i32.const 1) (i32.const 2) (i32.const 3) (i32.const 4)
                   (i32.const 5) (i32.const 6) (i32.const 7) (i32.const 0)))
)
