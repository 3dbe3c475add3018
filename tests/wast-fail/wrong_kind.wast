;; The wrong kind of error, with the right words.  A truncated binary is a
;; decode error: as assert_invalid it must fail although the message says
;; "unexpected end".  A body that pops from an empty stack decodes and then
;; fails validation: as assert_malformed it must fail although the message
;; says "type mismatch".
;; must report: 13: FAIL expected invalid "unexpected end", got ERR_MALFORMED:
;; must report: 14: FAIL expected malformed "type mismatch", got ERR_INVALID:
;; summary: 2 passed, 2 failed

;; the controls: these pass
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01") "unexpected end")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module binary "\00asm" "\01\00\00\00" "\01") "unexpected end")
(assert_malformed
  (module binary "\00asm" "\01\00\00\00" "\01\05\01\60\00\01\7f" "\03\02\01\00" "\0a\04\01\02\00\0b")
  "type mismatch")
