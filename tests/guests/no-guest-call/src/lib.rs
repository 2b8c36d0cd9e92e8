//! `no-guest-call` test guest: a wasm module that does not use `wapc-guest`, so
//! it lacks `__guest_call` (and `wapc_init`). It only exports `validate` and
//! `memory`; a waPC host must refuse it.

/// Looks like a policy entry point, but is not the waPC one.
#[unsafe(no_mangle)]
pub extern "C" fn validate(len: i32) -> i32 {
    len
}
