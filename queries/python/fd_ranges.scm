; Containers that hold one element per fd number.

; list(range(3, maxfd))
; set(range(0, hard))
(call
  function: (identifier) @_ctor
  arguments: (argument_list
    .
    (call
      function: (identifier) @_range
      arguments: (argument_list) @range.args) @range.inner
    .)
  (#any-of? @_ctor "list" "set" "frozenset" "tuple" "sorted")
  (#any-of? @_range "range" "xrange")) @range.container

; range(3, maxfd) in Python 2 code, where it builds a list
(call
  function: (identifier) @_range
  arguments: (argument_list) @range.args
  (#eq? @_range "range")) @range.py2
