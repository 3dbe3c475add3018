;; flood.wat - one fd_write of 16 iovecs of 1 MiB each (the same bytes
;; sixteen times): 16 MiB of output from 1 MiB of memory.  A sandbox's output
;; cap must bound what the daemon keeps and writes.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 17)
  (func (export "_start") (local $i i32)
    (loop $iov
      (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 65536))
      (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)) (i32.const 1048576))
      (br_if $iov (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 16))))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 16) (i32.const 200)))))
