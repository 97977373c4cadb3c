; Loops that visit every fd number in a range. The Rust side checks that the body touches the
; loop variable and resolves the range's upper bound through the file's data flow.

; for fd in range(3, maxfd):
; for fd in xrange(maxfd):
(for_statement
  left: (identifier) @loop.var
  right: (call
    function: (identifier) @_range
    arguments: (argument_list) @loop.range)
  (#any-of? @_range "range" "xrange")) @loop.for

; for fd in reversed(range(3, maxfd)):
(for_statement
  left: (identifier) @loop.var
  right: (call
    function: (identifier) @_reversed
    arguments: (argument_list
      .
      (call
        function: (identifier) @_range
        arguments: (argument_list) @loop.range)
      .))
  (#eq? @_reversed "reversed")
  (#any-of? @_range "range" "xrange")) @loop.for

; [os.close(fd) for fd in range(3, maxfd)]
(for_in_clause
  left: (identifier) @loop.var
  right: (call
    function: (identifier) @_range
    arguments: (argument_list) @loop.range)
  (#any-of? @_range "range" "xrange")) @loop.comprehension

; map(os.close, range(3, maxfd))
(call
  function: (identifier) @_map
  arguments: (argument_list
    .
    (_) @loop.map_fn
    .
    (call
      function: (identifier) @_range
      arguments: (argument_list) @loop.range)
    .)
  (#eq? @_map "map")
  (#any-of? @_range "range" "xrange")) @loop.map

; while fd < maxfd:
(while_statement
  condition: (comparison_operator
    .
    (identifier) @loop.var
    .
    (_) @loop.bound)) @loop.while
