;; Small exports for the command-line tests.
(module
  (func (export "floats") (param f32 f64) (result f32 f64 f64)
    (local.get 0) (local.get 1) (f64.div (f64.const -1) (f64.const 0)))
  (func (export "swap") (param i32 i32) (result i32 i32)
    (local.get 1) (local.get 0)))
