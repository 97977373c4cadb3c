; What counts as a binding of a name, and a method definition. The frontend does not run this
; query over whole trees (that costs ~115 ns per node); it looks up the bindings of each name it
; resolves (`Ctx::index_name` in src/lang/ruby.rs), and a test requires that lookup to agree with
; every match of this query on every Ruby fixture. Change both together.

; max = Process.getrlimit(:NOFILE)[1]
(assignment
  left: [
    (identifier)
    (constant)
    (scope_resolution)
    (instance_variable)
    (class_variable)
    (global_variable)
  ] @assign.name
  right: (_) @assign.value) @assign.plain

; soft, hard = Process.getrlimit(:NOFILE)
(assignment
  left: (left_assignment_list) @assign.names
  right: (_) @assign.value) @assign.multi

; max ||= 1024
(operator_assignment
  left: [
    (identifier)
    (constant)
    (instance_variable)
    (class_variable)
    (global_variable)
  ] @assign.name
  operator: [
    "||="
    "&&="
  ]
  right: (_) @assign.value) @assign.cond

; def close_fds(max = Process.getrlimit(:NOFILE)[1], lo: 3)
[
  (optional_parameter
    name: (identifier) @assign.name
    value: (_) @assign.value)
  (keyword_parameter
    name: (identifier) @assign.name
    value: (_) @assign.value)
] @assign.param

; def max_fd; Process.getrlimit(:NOFILE).last; end
[
  (method
    name: (_) @method.name)
  (singleton_method
    name: (_) @method.name)
] @method.def
