;; limits.wat - guests that misbehave, for the extension's tests: each must
;; end in an SQL error with its SQLSTATE, and the backend must carry on.
(module
  (memory 1)
  ;; integer divide by zero when b = 0 (a trap, 38000)
  (func (export "divide") (param i32 i32) (result i32)
    (i32.div_s (local.get 0) (local.get 1)))
  ;; unreachable, two frames deep for the backtrace
  (func $inner (param i32) (result i32)
    unreachable)
  (func (export "crash") (param i32) (result i32)
    (call $inner (local.get 0)))
  ;; an endless loop: fuel (54000), statement_timeout or cancel (57014)
  (func (export "forever") (param i32) (result i32)
    (loop $l
      (local.set 0 (i32.add (local.get 0) (i32.const 1)))
      (br $l))
    (local.get 0))
  ;; grows memory a page at a time until refused, then traps (53200)
  (func (export "membomb") (param i32) (result i32)
    (loop $l
      (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1))
        (then unreachable))
      (br $l))
    (i32.const 0))
  ;; unbounded recursion: the call stack cap (54000)
  (func $down (export "deep") (param i32) (result i32)
    (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  ;; loops n times: a measurable amount of fuel
  (func (export "spin") (param i32) (result i32)
    (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_s (local.get $i) (local.get 0)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i))
)
