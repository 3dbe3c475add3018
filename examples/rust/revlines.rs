//! revlines.rs - the example WASI command in Rust: prints each line of its
//! arguments (if any) or else of standard input reversed by characters, and
//! exits with the number of lines printed (at most 100).  The same program
//! is examples/c/revlines.c and examples/assemblyscript/revlines.ts.  Plain
//! std Rust, no SDK; build (docs/guests.md):
//!
//!     /usr/bin/rustc --edition 2021 --target wasm32-wasi -O examples/rust/revlines.rs -o revlines.wasm

use std::io::{self, BufRead, Write};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let lines: Vec<String> = if args.is_empty() {
        io::stdin().lock().lines().map(|l| l.expect("stdin is not UTF-8")).collect()
    } else {
        args
    };
    let mut out = io::stdout().lock();
    for l in &lines {
        let r: String = l.chars().rev().collect();
        writeln!(out, "{}", r).expect("stdout");
    }
    out.flush().expect("stdout");
    std::process::exit(lines.len().min(100) as i32);
}
