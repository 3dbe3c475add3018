//! bad.rs - a Rust guest for tests/guests/run.sh and sqlite.py: one that
//! breaks the text contract on purpose (hosts must refuse its result: not
//! valid UTF-8), and the edges of the SDK's fast text path (Utf8, Utf8Buf).
use wasmbox_udf::{Utf8, Utf8Buf};

wasmbox_udf::udf! {
    fn bad_utf8() -> String {
        // Only unsafe code can make such a String: the SDK's safe API cannot.
        unsafe { String::from_utf8_unchecked(vec![b'a', 0xff, b'b']) }
    }
    fn echo(s: &str) -> String {
        s.to_string()
    }

    /// The fast path's round trip: the argument's bytes into the result buffer.
    fn echo_utf8(s: Utf8) -> Utf8Buf {
        let mut out = Utf8Buf::new();
        out.extend_from_slice(&s);
        out
    }
    /// Two arguments, the second written after the first.
    fn concat(a: Utf8, b: Utf8) -> Utf8Buf {
        let mut out = Utf8Buf::with_len(a.len() + b.len());
        out[..a.len()].copy_from_slice(&a);
        out[a.len()..].copy_from_slice(&b);
        out
    }
    /// Characters, counted on the bytes (a byte that does not continue one).
    fn chars(s: Utf8) -> i32 {
        s.iter().filter(|&&b| b & 0xc0 != 0x80).count() as i32
    }
    /// Utf8::to_str checks, as a &str argument does: Err traps with why.
    fn checked(s: Utf8) -> Result<String, String> {
        s.to_str().map(str::to_string).map_err(|e| e.to_string())
    }
    /// Safe code can put any bytes in a Utf8Buf: the host refuses them.
    fn bad_utf8_buf() -> Utf8Buf {
        let mut out = Utf8Buf::new();
        out.extend_from_slice(b"a\xffb");
        out
    }
}
