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
(while
  condition: (binary
    left: (identifier) @loop.var
    operator: [
      "<"
      "<="
    ]
    right: (_) @loop.hi)
  body: (do) @loop.body) @loop.while
