;; inittoucher.wat - a start function that makes its 16 MiB memory resident
;; (a byte in every 4 KiB page) while the sandbox is created, before anything
;; is started: a batch of these must stop at the daemon's memory budget.
(module
  (memory (export "memory") 256)
  (func $touch (local $p i32)
    (loop $page
      (i32.store8 (local.get $p) (i32.const 1))
      (br_if $page (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4096))) (i32.const 16777216)))))
  (start $touch)
  (func (export "_start")))
