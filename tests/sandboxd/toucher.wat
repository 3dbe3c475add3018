;; toucher.wat - grows its memory to 64 MiB (the daemon's default cap),
;; writes a byte in every 4 KiB page so that all of it is resident, then
;; sleeps: a neighbour the daemon's memory budget has to stop.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $p i32)
    (drop (memory.grow (i32.const 1023)))
    (loop $touch
      (i32.store8 (local.get $p) (i32.const 1))
      (br_if $touch (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4096))) (i32.const 67108864))))
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 10000000000))
    (loop $forever
      (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 96)))
      (br $forever))))
