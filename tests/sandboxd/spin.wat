;; spin.wat - a guest that never yields: the scheduler must still give its
;; neighbours their time, and fuel or a kill must stop it.
(module
  (memory (export "memory") 1)
  (func (export "_start") (loop $l (br $l))))
