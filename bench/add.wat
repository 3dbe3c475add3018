;; The engine's per-call cost (`make bench`, bench.c's call line): a host
;; calls this two-integer add through wb_call_start_cells, as the PostgreSQL
;; and SQLite extensions call a UDF.
(module
  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1))))
