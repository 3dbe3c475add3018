//! bad.rs - a Rust guest that breaks the text contract on purpose, for
//! tests/guests/run.sh: hosts must refuse its result (not valid UTF-8).
wasmbox_udf::udf! {
    fn bad_utf8() -> String {
        // Only unsafe code can make such a String: the SDK's safe API cannot.
        unsafe { String::from_utf8_unchecked(vec![b'a', 0xff, b'b']) }
    }
    fn echo(s: &str) -> String {
        s.to_string()
    }
}
