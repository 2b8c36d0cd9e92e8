;; `table-grow` test guest (WAT, loaded by kwhost directly): every call grows its table by
;; 1,048,576 null elements at a time until a growth is refused, then answers a response
;; that is both a valid settings verdict and an acceptance. Without a table-element limit the
;; host grows the table to 2^32 elements (tens of GB); with it the first growth is refused.
(module
  (import "wapc" "__guest_response" (func $response (param i32 i32)))
  (memory (export "memory") 1)
  (table $t 1 funcref)
  (data (i32.const 0) "{\22valid\22:true,\22accepted\22:true}")
  (func (export "__guest_call") (param i32 i32) (result i32)
    (block $refused
      (loop $grow
        (br_if $refused
          (i32.eq (table.grow $t (ref.null func) (i32.const 1048576)) (i32.const -1)))
        (br $grow)))
    (call $response (i32.const 0) (i32.const 30))
    (i32.const 1)))
