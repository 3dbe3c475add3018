;; plant.wat - a guest that plants a symlink out of its preopen (fd 3):
;; out.log -> ../victim.txt, then prints a line.  Its exit code is the
;; errno path_symlink gave it: 0 means the link was made.
(module
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "../victim.txt")
  (data (i32.const 120) "out.log")
  (data (i32.const 140) "hello\n")
  (func (export "_start") (local $e i32)
    (local.set $e (call $symlink (i32.const 100) (i32.const 13) (i32.const 3) (i32.const 120) (i32.const 7)))
    (i32.store (i32.const 0) (i32.const 140))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (local.get $e))))
