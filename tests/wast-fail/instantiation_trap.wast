;; Traps while instantiating, with the wrong text: an out-of-bounds data
;; segment is no "unreachable" and an out-of-bounds element segment no
;; "integer divide by zero", whether the script says assert_trap or
;; assert_uninstantiable.  A module that instantiates fails either way.
;; must report: 15: FAIL expected trap "unreachable", got TRAP_MEMORY_OOB:
;; must report: 16: FAIL expected trap "integer divide by zero", got TRAP_TABLE_OOB:
;; must report: 17: FAIL expected trap "unreachable", got TRAP_MEMORY_OOB:
;; must report: 18: FAIL module instantiated, expected "unreachable"
;; summary: 3 passed, 4 failed

;; the controls: these pass
(assert_trap (module (memory 0) (data (i32.const 0) "x")) "out of bounds memory access")
(assert_trap (module (table 0 funcref) (func) (elem (i32.const 0) 0)) "out of bounds table access")
(assert_uninstantiable (module (func $f (unreachable)) (start $f)) "unreachable")
(assert_trap (module (memory 0) (data (i32.const 0) "x")) "unreachable")
(assert_trap (module (table 0 funcref) (func) (elem (i32.const 0) 0)) "integer divide by zero")
(assert_uninstantiable (module (memory 0) (data (i32.const 0) "x")) "unreachable")
(assert_trap (module (func)) "unreachable")
