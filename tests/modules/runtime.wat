;; Runtime ops for tests/unit/jit.c: memory.grow (small memories move when
;; they grow), memory.size, tables, segments, references and calls to host
;; functions.  Machine code must give what the interpreter gives, to the bit:
;; results, fuel, traps with their places and backtraces, suspension and
;; resumption, exit codes, and how often each host function ran.
(module
  (type $ii (func (param i32) (result i32)))
  (type $iii (func (param i32 i32) (result i32)))
  ;; add(a, b) = a + b, and charges a % 7 units of fuel.
  (import "host" "add" (func $add (param i32 i32) (result i32)))
  ;; fail(x) traps ("host says no") when x is 3.
  (import "host" "fail" (func $fail (param i32)))
  ;; wait(x) suspends every other call; called again, it returns 2x.
  (import "host" "wait" (func $wait (param i32) (result i32)))
  ;; quit(x) exits with code x.
  (import "host" "quit" (func $quit (param i32)))
  (memory 1 300)
  (table $t 4 24 funcref)
  (table $u 3 funcref)
  (elem $e func $one $two $three $one $two)
  (elem declare func $three)
  ;; (wat2wasm --enable-all types ref.func as a typed reference that it does
  ;; not take as a funcref: functions as values come from $v.)
  (table $v 3 funcref)
  (elem (table $v) (i32.const 0) func $one $two $three)
  ;; Host functions through a table: add, then quit (of another type).
  (table $h 2 funcref)
  (elem (table $h) (i32.const 0) func $add $quit)
  (data $d "runtime ops, as machine code")

  (func $one (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $two (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $three (type $ii) (i32.sub (local.get 0) (i32.const 3)))

  ;; memory.grow in a loop, the caller reading and writing around it: a
  ;; value stored before must survive every move, and each new top page
  ;; takes a store.
  (func (export "grow_loop") (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $top i32)
    (i32.store (i32.const 100) (i32.const 4242))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (memory.grow (i32.const 1))))
        (local.set $top (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 4)))
        (i32.store (local.get $top) (local.get $i))
        (local.set $s (i32.add (local.get $s)
          (i32.add (i32.load (i32.const 100)) (i32.load (local.get $top)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.add (local.get $s) (memory.size)))

  ;; memory.grow in a callee, the caller's loop using the memory after each.
  (func $grower (param $n i32) (result i32)
    (local $r i32)
    (local.set $r (memory.grow (local.get $n)))
    (if (i32.ne (local.get $r) (i32.const -1))
      (then (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 8))
                       (i32.const 99))))
    (local.get $r))
  (func (export "grow_callee") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (i32.store (i32.const 200) (i32.const 17))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (call $grower (i32.const 2))))
        (local.set $s (i32.add (local.get $s)
          (i32.load (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 8)))))
        (i32.store (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 12)) (local.get $s))
        (local.set $s (i32.add (local.get $s) (i32.load (i32.const 200))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.add (local.get $s) (memory.size)))

  ;; Every table op on the way, checked through call_indirect and ref.is_null.
  (func (export "tables") (param $k i32) (result i32)
    (local $s i32) (local $f funcref)
    (local.set $s (table.size $t))
    (local.set $f (table.get $v (i32.const 1)))
    (local.set $s (i32.add (local.get $s) (table.grow $t (local.get $f) (local.get $k))))
    (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 10)) (table.size $t)))
    (table.init $t $e (i32.const 0) (i32.const 1) (i32.const 3))      ;; two three one
    (local.set $f (table.get $v (i32.const 2)))
    (table.fill $t (i32.const 3) (local.get $f) (i32.const 1))
    (table.copy $u $t (i32.const 0) (i32.const 1) (i32.const 2))      ;; u = three one null
    (table.set $t (i32.const 1) (table.get $u (i32.const 2)))         ;; null
    (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 7))
      (call_indirect $t (type $ii) (i32.const 100) (i32.const 0))))
    (local.set $s (i32.add (local.get $s)
      (call_indirect $t (type $ii) (i32.const 100) (i32.const 2))))
    (local.set $s (i32.add (local.get $s)
      (call_indirect $u (type $ii) (i32.const 50) (i32.const 1))))
    (local.set $s (i32.add (i32.mul (local.get $s) (i32.const 3))
      (i32.add (ref.is_null (table.get $t (i32.const 1)))
               (i32.mul (ref.is_null (table.get $t (i32.const 0))) (i32.const 2)))))
    (local.set $s (i32.add (local.get $s) (ref.is_null (ref.null func))))
    (local.set $s (i32.add (local.get $s) (ref.is_null (ref.func $three))))
    (elem.drop $e)
    (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 0))      ;; empty after the drop: fine
    (local.get $s))

  ;; One op out of bounds, chosen by $k: each traps at its own offset.
  (func (export "table_oob") (param $k i32) (result i32)
    (block $b5 (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
      (br_table $b0 $b1 $b2 $b3 $b4 $b5 (local.get $k)))
      (return (ref.is_null (table.get $t (i32.const 4)))))
      (table.set $u (i32.const 3) (ref.null func))
      (return (i32.const 1)))
      (table.fill $t (i32.const 2) (ref.null func) (i32.const 3))
      (return (i32.const 2)))
      (table.copy $t $u (i32.const 0) (i32.const 1) (i32.const 3))
      (return (i32.const 3)))
      (table.init $t $e (i32.const 0) (i32.const 3) (i32.const 3))
      (return (i32.const 4)))
    ;; past the maximum: -1, the table as it was
    (i32.add (table.grow $t (ref.null func) (i32.const 30)) (table.size $t)))

  ;; memory.init and data.drop: $k = 0 in bounds, then the drop; 1 reads
  ;; past the segment; 2 writes past the memory; 3 inits after the drop.
  (func (export "init") (param $k i32) (result i32)
    (memory.init $d (i32.const 1000) (i32.const 8) (i32.const 12))
    (if (i32.eq (local.get $k) (i32.const 1))
      (then (memory.init $d (i32.const 0) (i32.const 20) (i32.const 9))))
    (if (i32.eq (local.get $k) (i32.const 2))
      (then (memory.init $d (i32.const 65530) (i32.const 0) (i32.const 7))))
    (data.drop $d)
    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))
    (if (i32.eq (local.get $k) (i32.const 3))
      (then (memory.init $d (i32.const 0) (i32.const 0) (i32.const 1))))
    (i32.add (i32.load (i32.const 1000)) (i32.load8_u (i32.const 1011))))

  ;; table.fill of $n elements, again and again: fuel runs out in the middle.
  (func (export "bulk_fuel") (param $n i32) (result i32)
    (local $i i32) (local $f funcref)
    (local.set $f (table.get $v (i32.const 0)))
    (drop (table.grow $t (ref.null func) (i32.const 16)))
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (i32.const 40)))
        (table.fill $t (i32.const 0) (local.get $f) (local.get $n))
        (table.copy $t $t (i32.const 1) (i32.const 0) (local.get $n))
        (table.init $t $e (i32.const 0) (i32.const 0) (i32.const 2))
        (drop (table.grow $u (ref.null func) (i32.const 1)))
        (memory.init $d (i32.const 0) (i32.const 0) (i32.const 20))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.add (local.get $i) (table.size $u)))

  ;; Host calls: in a loop (results and fuel), trapping three frames down,
  ;; suspending, exiting.
  ;; ($f lives in an xmm register across the calls, which clobber them all.)
  (func (export "host_loop") (param $n i32) (result i32)
    (local $i i32) (local $s i32) (local $f f64)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (call $add (local.get $s) (local.get $i)))
        (local.set $f (f64.add (f64.mul (local.get $f) (f64.const 0.5)) (f64.convert_i32_s (local.get $s))))
        (i32.store (i32.const 300) (local.get $s))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (i32.add (i32.add (local.get $s) (i32.load (i32.const 300)))
             (i32.wrap_i64 (i64.reinterpret_f64 (local.get $f)))))
;; The same host function through call_indirect; entry 1 (quit) has
  ;; another type: the call traps when i reaches n - 1.
  (func (export "host_indirect") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (call_indirect $h (type $iii) (local.get $s) (local.get $i)
                        (i32.eq (local.get $i) (i32.const 77))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
    (func $fail_in (param $x i32) (result i32)
    (call $fail (local.get $x))
    (i32.add (local.get $x) (i32.const 1)))
  (func $fail_mid (param $x i32) (result i32)
    (i32.mul (call $fail_in (local.get $x)) (i32.const 2)))
  (func (export "host_trap") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (call $fail_mid (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func $wait_in (param $x i32) (result i32)
    (i32.add (call $wait (local.get $x)) (i32.const 1)))
  (func (export "host_wait") (param $n i32) (result i32)
    (local $i i32) (local $s i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $s (i32.add (local.get $s) (call $wait_in (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $s))
  (func (export "host_exit") (param $n i32) (result i32)
    (local $i i32)
    (block $out
      (loop $l
        (br_if $out (i32.ge_u (local.get $i) (i32.const 10)))
        (if (i32.eq (local.get $i) (local.get $n)) (then (call $quit (i32.add (local.get $n) (i32.const 40)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i))
)
