;; fdhog.wat - opens the file "f" of its preopen (fd 3) until refused, again
;; 200 ms later (descriptors the daemon had open for a moment are free by
;; then), then sleeps holding every descriptor it got.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 200) "f")
  (func $sweep
    (loop $more
      (br_if $more (i32.eqz (call $open (i32.const 3) (i32.const 0) (i32.const 200) (i32.const 1)
        (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 300))))))
  ;; a relative monotonic clock subscription at 0, as in sleeper.wat
  (func $sleep (param $ns i64)
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (local.get $ns))
    (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 96))))
  (func (export "_start")
    (call $sweep)
    (call $sleep (i64.const 200000000))
    (call $sweep)
    (loop $forever
      (call $sleep (i64.const 10000000000))
      (br $forever))))
