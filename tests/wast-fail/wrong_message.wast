;; The right kind of error with the wrong words: the message must start
;; with the script's text (after its location), for a validation error, a
;; decode error, a text parse error and a link error alike.
;; must report: 11: FAIL expected invalid "unknown memory", got ERR_INVALID:
;; must report: 12: FAIL expected malformed "magic header not detected", got ERR_MALFORMED:
;; must report: 13: FAIL expected malformed "unexpected token", the parser said
;; must report: 14: FAIL expected link error "incompatible import type", got ERR_LINK:
;; must report: 17: FAIL expected invalid "mismatch", got ERR_INVALID:
;; summary: 1 passed, 5 failed

(assert_invalid (module (func (result i32))) "unknown memory")
(assert_malformed (module binary "\00asm" "\01\00\00\00" "\01") "magic header not detected")
(assert_malformed (module quote "(func i32.frob)") "unexpected token")
(assert_unlinkable (module (import "spectest" "nothing" (func))) "incompatible import type")
;; the words somewhere in the message are not enough: it must start with them
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_invalid (module (func (result i32))) "mismatch")
