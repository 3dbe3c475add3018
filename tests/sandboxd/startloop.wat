;; startloop.wat - a start function that never returns: it runs when the
;; module is instantiated, that is while the daemon creates the sandbox.
(module
  (memory (export "memory") 1)
  (func $forever (loop $l (br $l)))
  (start $forever)
  (func (export "_start")))
