; Block loops over fd numbers; Rust checks the receiver and arguments.
; 3.upto(max) { |fd| IO.for_fd(fd).close rescue nil }
(call
  receiver: (_) @loop.recv
  method: (identifier) @loop.method
  block: [
    (block
      parameters: (block_parameters
        .
        (identifier) @loop.var))
    (do_block
      parameters: (block_parameters
        .
        (identifier) @loop.var))
  ] @loop.block
  (#any-of? @loop.method "upto" "downto" "each" "reverse_each" "times" "step")) @loop.call

; for fd in 3..max do IO.for_fd(fd).close rescue nil end
(for
  pattern: (identifier) @loop.var
  value: (in) @loop.in
  body: (do) @loop.body) @loop.for

; while fd < max
; (Rust checks the condition: `identifier < bound` or `<=`. Spelling that out here costs ~20 ms
; of query compilation per process against the Ruby grammar.)
(while
  condition: (binary) @loop.cond
  body: (do) @loop.body) @loop.while
