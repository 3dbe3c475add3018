;; The library of tests/unit/jit.c's calls between instances (its user is
;; linked_user.wat, which imports these functions and the table): its own
;; memory, global and table, and a host function that suspends.  Machine
;; code calls from one instance into the other and back without leaving
;; them to the interpreter, and must give what the interpreter gives.
(module
  (type $ii (func (param i32) (result i32)))
  ;; wait(x) suspends every other call; called again, it returns 2x.
  (import "host" "wait" (func $wait (param i32) (result i32)))
  (memory 1 4)
  (global $g (mut i32) (i32.const 100))
  (table $tab (export "tab") 4 funcref)

  ;; sum(n): g += i for i < n, each new g stored in this memory; then g plus
  ;; the word at 8 (the user keeps another value at 8 in its own memory).
  (func (export "sum") (param $n i32) (result i32) (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (global.set $g (i32.add (global.get $g) (local.get $i)))
        (i32.store (i32.shl (i32.and (local.get $i) (i32.const 1023)) (i32.const 2)) (global.get $g))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.add (global.get $g) (i32.load (i32.const 8))))

  ;; deep(x): three frames here, the last dividing by x.
  (func $d3 (param i32) (result i32) (i32.div_s (i32.const 1000) (local.get 0)))
  (func $d2 (param i32) (result i32) (i32.add (call $d3 (local.get 0)) (i32.const 1)))
  (func (export "deep") (param i32) (result i32) (i32.add (call $d2 (local.get 0)) (i32.const 2)))

  ;; grow(n): this memory grows by n pages (to 4 at most), its new last word
  ;; stored; old pages * 100 + the word at 8.
  (func (export "grow") (param $n i32) (result i32) (local $old i32)
    (local.set $old (memory.grow (local.get $n)))
    (if (i32.ge_s (local.get $old) (i32.const 0))
      (then (i32.store (i32.sub (i32.shl (memory.size) (i32.const 16)) (i32.const 4)) (i32.const 77))))
    (i32.add (i32.mul (local.get $old) (i32.const 100)) (i32.load (i32.const 8))))

  ;; back(n): tab[0](n), which the user fills with its ping: recursion
  ;; through both instances.
  (func (export "back") (param $n i32) (result i32)
    (call_indirect $tab (type $ii) (local.get $n) (i32.const 0)))

  ;; waits(n): the host's wait (suspending) plus g.
  (func (export "waits") (param $n i32) (result i32)
    (i32.add (call $wait (local.get $n)) (global.get $g)))
;; wide(a..h): a + h, of a type of eight values (too many for one
  ;; compare of machine code: the user's call_indirect of it leaves, and the
  ;; interpreter compares the types).
  (func (export "wide") (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 7)))
)
