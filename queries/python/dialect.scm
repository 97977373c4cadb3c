; Syntax that only Python 2 accepts: evidence that `range()` builds a list.

; print "hello"
; print >>sys.stderr, "oops"
(print_statement
  [
    argument: (_)
    (chevron)
  ]) @py2.print

; exec "code"
(exec_statement) @py2.exec

; except OSError, e:
(except_clause
  value: (_)
  .
  ","
  .
  value: (_)) @py2.except

; raise ValueError, "message"
(raise_statement
  (expression_list)) @py2.raise

; 0777 (old octal), 10L (long literal)
((integer) @py2.integer
  (#match? @py2.integer "^(0[0-7]+|[0-9]+[lL])$"))

; `x` (tree-sitter reads Python 2 backticks as a string)
((string) @py2.backtick
  (#match? @py2.backtick "^`"))

; if a <> b:
(comparison_operator
  "<>") @py2.diamond
