//! wasmbox_udf - write user-defined functions for wasmbox hosts (the
//! PostgreSQL extension `wasm`, the SQLite extension) in ordinary Rust.
//!
//! ```ignore
//! wasmbox_udf::udf! {
//!     fn add(a: i32, b: i32) -> i32 { a + b }
//!     fn reverse(s: &str) -> String { s.chars().rev().collect() }
//!     fn hash(b: &[u8]) -> i64 { b.len() as i64 }
//! }
//! ```
//!
//! Each function becomes an export of the module, with its SQL signature in
//! the module's `wasmbox.sql` custom section (`reverse(text) -> text`), so the
//! PostgreSQL extension creates `ns_reverse(text) RETURNS text`.
//!
//! Build (Debian's rustc 1.63 and libstd-rust-dev-wasm32; a rustup toolchain
//! earlier on PATH usually lacks the wasm32 standard library, so name
//! /usr/bin/rustc):
//!
//! ```sh
//! /usr/bin/rustc --edition 2021 --target wasm32-unknown-unknown --crate-type rlib -O \
//!     sdk/rust/wasmbox_udf.rs -o build/libwasmbox_udf.rlib
//! /usr/bin/rustc --edition 2021 --target wasm32-unknown-unknown --crate-type cdylib -O \
//!     --extern wasmbox_udf=build/libwasmbox_udf.rlib udfs.rs -o udfs.wasm
//! ```
//!
//! Types, as the SQL side sees them:
//!
//! | Rust argument | Rust result        | SQL                | wasm               |
//! |---------------|--------------------|--------------------|--------------------|
//! | `i32`         | `i32`              | `integer`          | i32                |
//! | `i64`         | `i64`              | `bigint`           | i64                |
//! | `f32`, `f64`  | `f32`, `f64`       | `real`, `double precision` | f32, f64   |
//! | `bool`        | `bool`             | `boolean`          | i32                |
//! | `&str`        | `String`, `&'static str` | `text`       | (ptr, len) / ptr to (ptr, len) |
//! | `&[u8]`       | `Vec<u8>`          | `bytea`            | (ptr, len) / ptr to (ptr, len) |
//! | [`Utf8`]      | [`Utf8Buf`]        | `text`             | (ptr, len) / ptr to (ptr, len) |
//! |               | `()`               | `void`             | none               |
//! |               | `Result<T, E: Display>` | as `T`; `Err` traps with its message | |
//!
//! The ABI is the Component Model's canonical ABI, flattened: the host asks
//! `cabi_realloc` (defined here, over Rust's global allocator) for room for
//! each text or bytea argument and copies the bytes in; a text or bytea
//! result is returned as the address of a (ptr, len) pair, the "return
//! area", which the host reads before calling `cabi_post_<name>`, where the
//! result is freed.  Arguments are freed when the function returns.
//!
//! Text arguments are checked to be UTF-8 (a host that sends anything else
//! gets a trap, never undefined behaviour); text results are UTF-8 because
//! they are `String`s.
//!
//! The fast text path skips the check and the copies: a [`Utf8`] argument
//! is the text's bytes where the host wrote them (hosts send only UTF-8),
//! and a [`Utf8Buf`] result is written once into a buffer the SDK keeps
//! from call to call, which the host reads in place (and checks: bytes
//! that are not UTF-8 are refused, never changed).  No allocation per call:
//!
//! ```ignore
//! wasmbox_udf::udf! {
//!     fn shout(s: Utf8) -> Utf8Buf {
//!         let mut out = Utf8Buf::new();
//!         out.extend(s.iter().map(|b| b.to_ascii_uppercase()));
//!         out
//!     }
//! }
//! ```
//!
//! Panics: a panic becomes a trap (`unreachable`), and its message
//! ("panicked at 'index out of bounds...', src/udfs.rs:12:5") is left where
//! the host can read it after the trap: the module exports an i32 global
//! `wasmbox_trap_message`, the address of a (ptr u32, len u32) pair in memory
//! that points at the message's UTF-8 bytes (len 0: no message).  See
//! docs/guests.md.
//!
//! State: the instance lives as long as the host keeps it (in PostgreSQL a
//! session, per role; after a trap it is discarded).  Statics and
//! `thread_local!` values persist between calls; memory is Rust's own
//! allocator, so nothing is freed behind your back.

#![deny(missing_docs)]

use std::alloc::{self, Layout};
use std::fmt::{self, Write};

/// The SQL type of a UDF argument, and how to take it from its wasm
/// parameters.  Implemented for the types of the table above; `udf!`
/// uses it, user code does not need to.
pub trait Arg {
    /// The SQL type name.
    const SQL: &'static str;
}

/// The SQL type of a UDF result and its lowering to wasm.
pub trait Ret {
    /// The wasm result type.
    type Abi;
    /// The SQL type name.
    const SQL: &'static str;
    /// Converts the value for the host (text and bytes go to the return area).
    fn lower(self) -> Self::Abi;
}

macro_rules! scalar {
    ($($t:ty => $sql:expr),*) => {$(
        impl Arg for $t { const SQL: &'static str = $sql; }
        impl Ret for $t {
            type Abi = $t;
            const SQL: &'static str = $sql;
            #[inline(always)]
            fn lower(self) -> $t { self }
        }
    )*};
}
scalar!(i32 => "integer", i64 => "bigint", f32 => "real", f64 => "double precision");

impl Arg for bool {
    const SQL: &'static str = "boolean";
}
impl Ret for bool {
    type Abi = i32;
    const SQL: &'static str = "boolean";
    #[inline(always)]
    fn lower(self) -> i32 {
        self as i32
    }
}
impl Arg for &str {
    const SQL: &'static str = "text";
}
impl Arg for &[u8] {
    const SQL: &'static str = "bytea";
}
impl Arg for Utf8<'_> {
    const SQL: &'static str = "text";
}
impl Ret for () {
    type Abi = ();
    const SQL: &'static str = "void";
    #[inline(always)]
    fn lower(self) {}
}
impl Ret for String {
    type Abi = *const RetArea;
    const SQL: &'static str = "text";
    #[inline]
    fn lower(self) -> *const RetArea {
        __private::keep(self.into_bytes())
    }
}
impl Ret for &'static str {
    type Abi = *const RetArea;
    const SQL: &'static str = "text";
    #[inline]
    fn lower(self) -> *const RetArea {
        __private::point_at(self.as_bytes())
    }
}
impl Ret for Utf8Buf {
    type Abi = *const RetArea;
    const SQL: &'static str = "text";
    #[inline]
    fn lower(self) -> *const RetArea {
        __private::keep(self.0)
    }
}
impl Ret for Vec<u8> {
    type Abi = *const RetArea;
    const SQL: &'static str = "bytea";
    #[inline]
    fn lower(self) -> *const RetArea {
        __private::keep(self)
    }
}
impl<T: Ret, E: fmt::Display> Ret for Result<T, E> {
    type Abi = T::Abi;
    const SQL: &'static str = T::SQL;
    #[inline]
    fn lower(self) -> T::Abi {
        match self {
            Ok(v) => v.lower(),
            Err(e) => trap(format_args!("{}", e)),
        }
    }
}

/// A text argument as its UTF-8 bytes, where the host wrote them: no copy,
/// no check.  Hosts send only UTF-8 (PostgreSQL converts from the
/// database's encoding, SQLite refuses other bytes), so every character's
/// bytes are whole; nothing here relies on it (it is a `&[u8]`), and
/// [`Utf8::to_str`] checks.  Derefs to `[u8]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utf8<'a>(&'a [u8]);

impl<'a> Utf8<'a> {
    /// The bytes, for as long as the call.
    #[inline(always)]
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
    /// The text as a `&str`, checked (what a `&str` argument does).
    #[inline]
    pub fn to_str(&self) -> Result<&'a str, std::str::Utf8Error> {
        std::str::from_utf8(self.0)
    }
}

impl std::ops::Deref for Utf8<'_> {
    type Target = [u8];
    #[inline(always)]
    fn deref(&self) -> &[u8] {
        self.0
    }
}

/// A text result written as UTF-8 bytes, in a buffer the SDK keeps from
/// call to call (its room is reused: no allocation once it is big enough).
/// The host reads the bytes in place and refuses them if they are not
/// UTF-8 (an error, 22021 in PostgreSQL), so writing whole characters is
/// up to you.  Derefs to `Vec<u8>`: `push`, `extend_from_slice`,
/// indexing.
#[derive(Debug)]
pub struct Utf8Buf(Vec<u8>);

impl Utf8Buf {
    /// An empty result, with the room earlier results left.
    #[inline]
    pub fn new() -> Utf8Buf {
        Utf8Buf(__private::take_room())
    }
    /// A result of `len` zero bytes, to overwrite by index.
    #[inline]
    pub fn with_len(len: usize) -> Utf8Buf {
        let mut v = __private::take_room();
        v.resize(len, 0);
        Utf8Buf(v)
    }
}

impl Default for Utf8Buf {
    fn default() -> Utf8Buf {
        Utf8Buf::new()
    }
}

impl From<String> for Utf8Buf {
    fn from(s: String) -> Utf8Buf {
        Utf8Buf(s.into_bytes())
    }
}

impl std::ops::Deref for Utf8Buf {
    type Target = Vec<u8>;
    #[inline(always)]
    fn deref(&self) -> &Vec<u8> {
        &self.0
    }
}

impl std::ops::DerefMut for Utf8Buf {
    #[inline(always)]
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.0
    }
}

/// A text or bytes result as the host reads it: where the bytes are and how
/// many.
#[repr(C)]
pub struct RetArea {
    ptr: *const u8,
    len: usize,
}

/// Ends the call with a trap whose message the host shows (in PostgreSQL,
/// the error's DETAIL).  `panic!` does the same with "panicked at ..."
/// around the message; this gives the message alone.
pub fn trap(msg: fmt::Arguments<'_>) -> ! {
    __private::set_trap_message(msg);
    core::arch::wasm32::unreachable()
}

/// Declares UDFs: each `fn name(args) -> result { body }` inside becomes
/// the export `name` with its SQL signature, its canonical-ABI wrapper and
/// `cabi_post_name`.  Arguments are `name: type` with the types of the
/// crate's table; attributes (`#[inline]`, doc comments) are kept on the
/// function.
#[macro_export]
macro_rules! udf {
    () => {};
    ($(#[$meta:meta])* $vis:vis fn $name:ident ( $($args:tt)* ) -> $ret:ty $body:block $($rest:tt)*) => {
        $crate::__udf_munch!{@munch [$(#[$meta])* $vis fn $name -> $ret $body] ($($args)*) [] [] [] []}
        $crate::udf!{$($rest)*}
    };
    ($(#[$meta:meta])* $vis:vis fn $name:ident ( $($args:tt)* ) $body:block $($rest:tt)*) => {
        $crate::__udf_munch!{@munch [$(#[$meta])* $vis fn $name -> () $body] ($($args)*) [] [] [] []}
        $crate::udf!{$($rest)*}
    };
}

/// The argument list, one argument at a time: wasm parameters, conversions,
/// frees and the typed arguments accumulate.  The `ptr` and `len` of each
/// step are distinct names (each step is its own macro expansion, so
/// hygiene keeps them apart).
#[doc(hidden)]
#[macro_export]
macro_rules! __udf_munch {
    (@munch $f:tt ($a:ident : &str $(, $($rest:tt)*)?) [$($p:tt)*] [$($c:tt)*] [$($fr:tt)*] [$($t:tt)*]) => {
        $crate::__udf_munch!{@munch $f ($($($rest)*)?)
            [$($p)* ptr: usize, len: usize,]
            [$($c)* let $a: &str = $crate::__private::text_arg(ptr, len);]
            [$($fr)* $crate::__private::free_arg(ptr, len);]
            [$($t)* $a: &str,]}
    };
    (@munch $f:tt ($a:ident : Utf8 $(, $($rest:tt)*)?) [$($p:tt)*] [$($c:tt)*] [$($fr:tt)*] [$($t:tt)*]) => {
        $crate::__udf_munch!{@munch $f ($($($rest)*)?)
            [$($p)* ptr: usize, len: usize,]
            [$($c)* let $a = $crate::__private::utf8_arg(ptr, len);]
            [$($fr)* $crate::__private::free_arg(ptr, len);]
            [$($t)* $a: Utf8<'_>,]}
    };
    (@munch $f:tt ($a:ident : &[u8] $(, $($rest:tt)*)?) [$($p:tt)*] [$($c:tt)*] [$($fr:tt)*] [$($t:tt)*]) => {
        $crate::__udf_munch!{@munch $f ($($($rest)*)?)
            [$($p)* ptr: usize, len: usize,]
            [$($c)* let $a: &[u8] = $crate::__private::bytes_arg(ptr, len);]
            [$($fr)* $crate::__private::free_arg(ptr, len);]
            [$($t)* $a: &[u8],]}
    };
    (@munch $f:tt ($a:ident : bool $(, $($rest:tt)*)?) [$($p:tt)*] [$($c:tt)*] [$($fr:tt)*] [$($t:tt)*]) => {
        $crate::__udf_munch!{@munch $f ($($($rest)*)?)
            [$($p)* $a: i32,]
            [$($c)* let $a: bool = $a != 0;]
            [$($fr)*]
            [$($t)* $a: bool,]}
    };
    (@munch $f:tt ($a:ident : $ty:ident $(, $($rest:tt)*)?) [$($p:tt)*] [$($c:tt)*] [$($fr:tt)*] [$($t:tt)*]) => {
        $crate::__udf_munch!{@munch $f ($($($rest)*)?)
            [$($p)* $a: $ty,]
            [$($c)*]
            [$($fr)*]
            [$($t)* $a: $ty,]}
    };
    (@munch [$(#[$meta:meta])* $vis:vis fn $name:ident -> $ret:ty $body:block] () [$($p:tt)*] [$($c:tt)*] [$($fr:tt)*] [$($a:ident : $t:ty,)*]) => {
        $(#[$meta])*
        $vis fn $name($($a: $t),*) -> $ret $body

        const _: () = {
            #[export_name = stringify!($name)]
            extern "C" fn export($($p)*) -> <$ret as $crate::Ret>::Abi {
                $crate::__private::enter();
                $($c)*
                let r = $name($($a),*);
                $($fr)*
                $crate::Ret::lower(r)
            }

            #[export_name = concat!("cabi_post_", stringify!($name))]
            extern "C" fn post() {
                $crate::__private::post();
            }

            const NAME: &str = stringify!($name);
            const ARGS: &[&str] = &[$(<$t as $crate::Arg>::SQL),*];
            const RET: &str = <$ret as $crate::Ret>::SQL;
            const LEN: usize = $crate::__private::sig_len(NAME, ARGS, RET);
            #[link_section = "wasmbox.sql"]
            #[used]
            static SIGNATURE: [u8; LEN] = $crate::__private::sig_bytes::<LEN>(NAME, ARGS, RET);
        };
    };
}

#[doc(hidden)]
pub mod __private {
    //! What the macro expands to; not an API.
    use super::*;

    /// The address of the pair the host reads after a trap: exported as the
    /// i32 global `wasmbox_trap_message`.
    #[repr(C)]
    pub struct TrapArea {
        ptr: *const u8,
        len: usize,
    }

    const TRAP_CAP: usize = 1024;
    static mut TRAP_BUF: [u8; TRAP_CAP] = [0; TRAP_CAP];
    #[export_name = "wasmbox_trap_message"]
    static mut TRAP: TrapArea = TrapArea { ptr: 0 as *const u8, len: 0 };

    struct TrapWriter {
        len: usize,
    }
    impl Write for TrapWriter {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            // Up to the buffer's end, cut at a character boundary.
            let room = TRAP_CAP - self.len;
            let mut n = s.len().min(room);
            while !s.is_char_boundary(n) {
                n -= 1;
            }
            unsafe { TRAP_BUF[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]) };
            self.len += n;
            if n < s.len() {
                Err(fmt::Error)
            } else {
                Ok(())
            }
        }
    }

    /// Formats the message into the static buffer (no allocation: a
    /// panic may come from an exhausted allocator) and points the
    /// exported pair at it.
    pub fn set_trap_message(msg: fmt::Arguments<'_>) {
        let mut w = TrapWriter { len: 0 };
        let _ = w.write_fmt(msg);
        unsafe {
            TRAP = TrapArea { ptr: TRAP_BUF.as_ptr(), len: w.len };
        }
    }

    static mut HOOKED: bool = false;

    /// At the start of every export: the panic hook that keeps the message.
    #[inline(always)]
    pub fn enter() {
        unsafe {
            if !HOOKED {
                hook();
            }
        }
    }

    #[cold]
    fn hook() {
        std::panic::set_hook(Box::new(|info| set_trap_message(format_args!("{}", info))));
        unsafe { HOOKED = true };
    }

    /// The text argument at (ptr, len), which cabi_realloc gave the host.
    #[inline(always)]
    pub fn text_arg<'a>(ptr: usize, len: usize) -> &'a str {
        match std::str::from_utf8(bytes_arg(ptr, len)) {
            Ok(s) => s,
            Err(e) => super::trap(format_args!("wasmbox_udf: text argument is not valid UTF-8 ({})", e)),
        }
    }

    /// The bytes argument at (ptr, len).
    #[inline(always)]
    pub fn bytes_arg<'a>(ptr: usize, len: usize) -> &'a [u8] {
        if len == 0 {
            return &[];
        }
        unsafe { std::slice::from_raw_parts(ptr as *const u8, len) }
    }

    /// The text argument at (ptr, len) as bytes.
    #[inline(always)]
    pub fn utf8_arg<'a>(ptr: usize, len: usize) -> Utf8<'a> {
        Utf8(bytes_arg(ptr, len))
    }

    /// After the call: give an argument's room back.
    #[inline(always)]
    pub fn free_arg(ptr: usize, len: usize) {
        if len != 0 {
            unsafe { alloc::dealloc(ptr as *mut u8, Layout::from_size_align_unchecked(len, 1)) }
        }
    }

    static mut RET: RetArea = RetArea { ptr: 0 as *const u8, len: 0 };
    /// The result the host is reading: kept as ROOM by cabi_post_<name>.
    static mut KEPT: Vec<u8> = Vec::new();
    /// The room results are written in (Utf8Buf), reused from call to call.
    static mut ROOM: Vec<u8> = Vec::new();
    /// Past this, a result's room is freed rather than kept, so that one
    /// huge result does not pin its memory.
    const ROOM_KEEP: usize = 1 << 20;

    /// The result room, empty, for a Utf8Buf.
    #[inline]
    pub fn take_room() -> Vec<u8> {
        unsafe {
            let mut v = std::mem::take(&mut ROOM);
            v.clear();
            v
        }
    }

    /// A text or bytes result into the return area.
    #[inline]
    pub fn keep(v: Vec<u8>) -> *const RetArea {
        unsafe {
            RET = RetArea { ptr: v.as_ptr(), len: v.len() };
            KEPT = v;
            &RET
        }
    }

    /// A static result: nothing to free.
    #[inline]
    pub fn point_at(s: &'static [u8]) -> *const RetArea {
        unsafe {
            RET = RetArea { ptr: s.as_ptr(), len: s.len() };
            &RET
        }
    }

    /// cabi_post_<name>: the host has copied the result; its buffer
    /// becomes the room of the next Utf8Buf.
    #[inline]
    pub fn post() {
        unsafe {
            if KEPT.capacity() != 0 {
                let v = std::mem::take(&mut KEPT);
                if v.capacity() <= ROOM_KEEP && v.capacity() >= ROOM.capacity() {
                    ROOM = v;
                }
            }
        }
    }

    /// Piece k of the line `name(a, b) -> r\n`: name, "(", then ("" or
    /// ", ") and the type of each argument, ") -> ", the result, "\n".
    const fn piece<'a>(name: &'a str, args: &[&'a str], ret: &'a str, k: usize) -> &'a str {
        let n = args.len();
        if k == 0 {
            name
        } else if k == 1 {
            "("
        } else if k < 2 + 2 * n {
            let i = (k - 2) / 2;
            if (k - 2) % 2 == 1 {
                args[i]
            } else if i == 0 {
                ""
            } else {
                ", "
            }
        } else if k == 2 + 2 * n {
            ") -> "
        } else if k == 3 + 2 * n {
            ret
        } else {
            "\n"
        }
    }

    /// The length of the signature line.
    pub const fn sig_len(name: &str, args: &[&str], ret: &str) -> usize {
        let mut len = 0;
        let mut k = 0;
        while k < 5 + 2 * args.len() {
            len += piece(name, args, ret, k).len();
            k += 1;
        }
        len
    }

    /// The signature line as bytes.
    pub const fn sig_bytes<const N: usize>(name: &str, args: &[&str], ret: &str) -> [u8; N] {
        let mut out = [0u8; N];
        let mut o = 0;
        let mut k = 0;
        while k < 5 + 2 * args.len() {
            let b = piece(name, args, ret, k).as_bytes();
            let mut j = 0;
            while j < b.len() {
                out[o] = b[j];
                o += 1;
                j += 1;
            }
            k += 1;
        }
        out
    }
}

/// The global allocator: size classes of powers of two (8 bytes to 2 GiB),
/// each with a free list, over memory taken from the end of linear memory
/// with `memory.grow`.  Rust's default (dlmalloc) costs a few hundred
/// instructions per allocation and free, most of them interpreted (only
/// looping functions get machine code), which tripled the cost of a text
/// UDF's call; this one costs about twenty.  Freed blocks are reused for
/// their own class only, and memory is never given back (wasm memory cannot
/// shrink anyway).  Single-threaded, as wasm32 is.
pub struct Classes;

const CLASSES: usize = 32;
static mut FREE: [usize; CLASSES] = [0; CLASSES];
static mut BUMP: usize = 0;
static mut BUMP_END: usize = 0;

#[inline(always)]
fn class_of(layout: Layout) -> usize {
    let n = layout.size().max(layout.align()).max(8);
    (usize::BITS - (n - 1).leading_zeros()) as usize
}

#[cold]
unsafe fn grow(size: usize) -> *mut u8 {
    // The bump region ends where memory ends; take whole pages.
    let end = BUMP_END;
    if BUMP == 0 || end == 0 {
        let pages = core::arch::wasm32::memory_size(0);
        BUMP = pages * 65536;
        BUMP_END = BUMP;
    }
    let need = BUMP + size - BUMP_END;
    let pages = (need + 65535) / 65536;
    if core::arch::wasm32::memory_grow(0, pages) == usize::MAX {
        return core::ptr::null_mut();
    }
    BUMP_END += pages * 65536;
    let p = BUMP;
    BUMP += size;
    p as *mut u8
}

unsafe impl alloc::GlobalAlloc for Classes {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let c = class_of(layout);
        if c >= CLASSES {
            return core::ptr::null_mut();
        }
        let head = FREE[c];
        if head != 0 {
            FREE[c] = *(head as *const usize);
            return head as *mut u8;
        }
        // A block of size 2^c, aligned to its size up to a page (align <= size).
        let size = 1usize << c;
        let a = size.min(65536);
        let p = (BUMP + a - 1) & !(a - 1);
        if p + size <= BUMP_END && BUMP != 0 {
            BUMP = p + size;
            return p as *mut u8;
        }
        if BUMP != 0 && p > BUMP {
            BUMP = p; // the few bytes skipped for alignment are lost
        }
        let p2 = grow(size + a);
        if p2.is_null() {
            return p2;
        }
        let q = ((p2 as usize) + a - 1) & !(a - 1);
        BUMP = q + size;
        q as *mut u8
    }
    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let c = class_of(layout);
        *(ptr as *mut usize) = FREE[c];
        FREE[c] = ptr as usize;
    }
    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = Layout::from_size_align_unchecked(new_size, layout.align());
        if class_of(new) == class_of(layout) {
            return ptr;
        }
        let p = self.alloc(new);
        if !p.is_null() {
            core::ptr::copy_nonoverlapping(ptr, p, layout.size().min(new_size));
            self.dealloc(ptr, layout);
        }
        p
    }
}

#[global_allocator]
static GLOBAL: Classes = Classes;

/// The canonical ABI's allocator: the host calls it for room for each text
/// or bytea argument (`cabi_realloc(0, 0, 1, len)`).  Over Rust's global
/// allocator; a zero-sized request gets a dangling, aligned address.
#[no_mangle]
pub unsafe extern "C" fn cabi_realloc(old: *mut u8, old_size: usize, align: usize, new_size: usize) -> *mut u8 {
    let align = if align == 0 { 1 } else { align };
    if new_size == 0 {
        if old_size != 0 {
            alloc::dealloc(old, Layout::from_size_align_unchecked(old_size, align));
        }
        return align as *mut u8;
    }
    let layout = match Layout::from_size_align(new_size, align) {
        Ok(l) => l,
        Err(_) => trap(format_args!("cabi_realloc: bad alignment {}", align)),
    };
    let p = if old_size == 0 {
        alloc::alloc(layout)
    } else {
        alloc::realloc(old, Layout::from_size_align_unchecked(old_size, align), new_size)
    };
    if p.is_null() {
        alloc::handle_alloc_error(layout);
    }
    p
}
