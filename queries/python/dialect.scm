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

; Old octal (0777), long (10L) and backtick (`x`) literals are found from the text and confirmed
; on the tree in python.rs: a pattern over every integer and string node, with a regex
; predicate each, cost more than the rest of the query together.

; if a <> b:
(comparison_operator
  "<>") @py2.diamond
