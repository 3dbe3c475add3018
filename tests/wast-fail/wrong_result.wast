;; A wrong result: f returns 1, the script expects 2.  The runner must
;; compare the value it got, not only that the call returned.
;; must report: 9: FAIL assert_return: result 0: got i32:1, expected (i32.const 2)
;; summary: 2 passed, 1 failed

(module (func (export "f") (result i32) (i32.const 1)))

(assert_return (invoke "f") (i32.const 1))
(assert_return (invoke "f") (i32.const 2))
