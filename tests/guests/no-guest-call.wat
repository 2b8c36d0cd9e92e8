;; A module without `__guest_call`: it only exports a memory.
;; (The suite uses the Rust crate tests/guests/no-guest-call instead.)
(module
  (memory (export "memory") 1))
