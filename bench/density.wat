;; One 64 KiB page that each instance writes to (the density benchmark): one
;; store touches one 4 KiB host page, as a small UDF call would.
(module
  (memory 1 1)
  (global $hits (mut i32) (i32.const 0))
  (func (export "touch") (param i32)
    (i32.store (i32.const 0) (local.get 0))
    (global.set $hits (i32.add (global.get $hits) (i32.const 1)))))
