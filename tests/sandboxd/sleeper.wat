;; sleeper.wat - the smallest useful sandbox: sleeps ten seconds at a time, forever.
;; The 1,000,000-sandbox density run uses it; its state is one memory page
;; (one 4 KiB page of it touched) and the engine stack of a suspended call.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; subscription at 0 (48 bytes): userdata, tag 0 = clock, clock id 1
  ;; (monotonic), timeout 1 s in ns, precision, flags 0 = relative.
  ;; event at 64 (32 bytes), count at 96.
  (func (export "_start")
    (i32.store8 (i32.const 8) (i32.const 0))
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const 10000000000))
    (loop $forever
      (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 96)))
      (br $forever))))
