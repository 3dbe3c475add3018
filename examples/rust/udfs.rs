//! udfs.rs - the example UDFs in Rust, with sdk/rust/wasmbox_udf.rs.  The
//! same functions, with the same results, are in examples/c/udfs.c and
//! examples/assemblyscript/udfs.ts.  Build (docs/guests.md):
//!
//!     /usr/bin/rustc --edition 2021 --target wasm32-unknown-unknown --crate-type rlib -O \
//!         sdk/rust/wasmbox_udf.rs -o build/libwasmbox_udf.rlib
//!     /usr/bin/rustc --edition 2021 --target wasm32-unknown-unknown --crate-type cdylib -O \
//!         --extern wasmbox_udf=build/libwasmbox_udf.rlib examples/rust/udfs.rs -o udfs.wasm

use wasmbox_udf::{Utf8, Utf8Buf};

wasmbox_udf::udf! {
    /// The call-overhead example: two integers in, one out.
    fn add(a: i32, b: i32) -> i32 {
        a.wrapping_add(b)
    }

    /// Recursive Fibonacci: a compute-heavy call.
    fn fib(n: i32) -> i32 {
        if n < 2 { n } else { fib(n - 1).wrapping_add(fib(n - 2)) }
    }

    /// Text reversed by characters: each character's UTF-8 bytes keep their
    /// order.  On the bytes where the host wrote them, into the SDK's result
    /// buffer: no check, no copy, no allocation (docs/guests.md, "The fast
    /// text path"; `s.chars().rev().collect()` on a `&str` gives the same).
    /// Bytes that are not UTF-8 go as examples/pg/utf8_reverse.h has them: a
    /// stray continuation byte is a character, a sequence cut short stays
    /// whole.
    fn reverse(s: Utf8) -> Utf8Buf {
        let n = s.len();
        let mut out = Utf8Buf::with_len(n);
        let mut i = 0;
        while i < n {
            let b = s[i];
            if b < 0x80 {
                out[n - 1 - i] = b;
                i += 1;
                continue;
            }
            let len = (1 + (b >= 0xc0) as usize + (b >= 0xe0) as usize + (b >= 0xf0) as usize).min(n - i);
            for k in 0..len {
                out[n - i - len + k] = s[i + k];
            }
            i += len;
        }
        out
    }

    /// FNV-1a (64 bits) of a byte string.
    fn hash(b: &[u8]) -> i64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &x in b {
            h = (h ^ x as u64).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h as i64
    }

    /// An average as an aggregate: the state is a bytea of (sum, count),
    /// two little-endian f64; '' is the initial state.
    fn avg_step(state: &[u8], x: f64) -> Vec<u8> {
        let (sum, count) = avg_state(state);
        let mut out = Vec::with_capacity(16);
        out.extend_from_slice(&(sum + x).to_le_bytes());
        out.extend_from_slice(&(count + 1.0).to_le_bytes());
        out
    }

    fn avg_final(state: &[u8]) -> f64 {
        let (sum, count) = avg_state(state);
        if count > 0.0 { sum / count } else { 0.0 }
    }

    /// A bug: the panic is a trap, and its message reaches the host.
    fn fail(s: &str) -> String {
        let n: usize = s.len();
        panic!("fail was given {:?} ({} bytes)", s, n)
    }
}

fn avg_state(state: &[u8]) -> (f64, f64) {
    if state.len() != 16 {
        return (0.0, 0.0);
    }
    let f = |i: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&state[i..i + 8]);
        f64::from_le_bytes(b)
    };
    (f(0), f(8))
}
