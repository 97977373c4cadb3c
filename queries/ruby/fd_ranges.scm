; (3..max).to_a
(call
  receiver: (parenthesized_statements
    .
    (range) @range.range
    .)
  method: (identifier) @_range_method
  (#eq? @_range_method "to_a")) @range.expr

; Array(3...max)
(call
  method: (constant) @_range_method
  arguments: (argument_list
    .
    (range) @range.range
    .)
  (#eq? @_range_method "Array")) @range.expr

; [*3..max]
(array
  .
  (splat_argument
    (range) @range.range)
  .) @range.expr
