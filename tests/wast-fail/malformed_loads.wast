;; Malformed modules that load: a binary module that decodes, and a quoted
;; text module that parses (it must fail in the parser, even though this one
;; would not validate), are no malformed modules.
;; must report: 9: FAIL module loaded, expected malformed "unexpected end"
;; must report: 10: FAIL the text module parsed, expected malformed "type mismatch"
;; summary: 1 passed, 2 failed

(assert_malformed (module binary "\00asm") "unexpected end")
(assert_malformed (module binary "\00asm" "\01\00\00\00") "unexpected end")
(assert_malformed (module quote "(func (result i32))") "type mismatch")
