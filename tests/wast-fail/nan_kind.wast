;; The wrong kind of NaN.  nan:canonical is the one quiet NaN with an empty
;; payload (0x7fc00000), not any quiet NaN: 0x7fc00001, which an engine bug
;; could return, must fail it.  nan:arithmetic is any quiet NaN, so a
;; signalling one (0x7f800001) must fail that.
;; must report: 20: FAIL assert_return: result 0: got f32:2143289345, expected (f32.const nan:canonical)
;; must report: 21: FAIL assert_return: result 0: got f64:9221120237041090561, expected (f64.const nan:canonical)
;; must report: 22: FAIL assert_return: result 0: got f32:2139095041, expected (f32.const nan:arithmetic)
;; summary: 4 passed, 3 failed

(module
  (func (export "f32") (param i32) (result f32)
    (f32.reinterpret_i32 (local.get 0)))
  (func (export "f64") (param i64) (result f64)
    (f64.reinterpret_i64 (local.get 0))))

;; the controls: these pass
(assert_return (invoke "f32" (i32.const 0x7fc00000)) (f32.const nan:canonical))
(assert_return (invoke "f32" (i32.const 0x7fc00001)) (f32.const nan:arithmetic))
(assert_return (invoke "f64" (i64.const 0xfff8000000000000)) (f64.const nan:canonical))
(assert_return (invoke "f32" (i32.const 0x7fc00001)) (f32.const nan:canonical))
(assert_return (invoke "f64" (i64.const 0x7ff8000000000001)) (f64.const nan:canonical))
(assert_return (invoke "f32" (i32.const 0x7f800001)) (f32.const nan:arithmetic))
