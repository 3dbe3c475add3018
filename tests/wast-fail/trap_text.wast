;; A trap with the wrong text: f traps on unreachable, the script expects
;; a division by zero.  Any trap is not enough.
;; must report: 8: FAIL expected trap "integer divide by zero", got "unreachable
;; summary: 2 passed, 1 failed

(module (func (export "f") (unreachable)))
(assert_trap (invoke "f") "unreachable")
(assert_trap (invoke "f") "integer divide by zero")
