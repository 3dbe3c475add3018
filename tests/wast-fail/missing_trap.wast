;; A missing trap: f returns normally where the script expects it to trap.
;; must report: 6: FAIL expected trap "unreachable", got OK
;; summary: 1 passed, 1 failed

(module (func (export "f") (result i32) (i32.const 0)))
(assert_trap (invoke "f") "unreachable")
