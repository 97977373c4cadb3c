; Calls on a constant that may start a child process; Rust checks the receiver's name.
; Open3.popen3("python2", helper, close_others: true) do |i, o, e, t| ... end
(call
  receiver: [
    (constant)
    (scope_resolution)
  ] @spawn.recv
  method: (identifier) @spawn.method
  (#any-of? @spawn.method "popen3" "popen2" "popen2e" "capture2" "capture2e" "capture2b" "capture3" "pipeline" "pipeline_r" "pipeline_w" "pipeline_rw" "pipeline_start" "popen" "spawn" "system" "exec")) @spawn.call

; Kernel methods called without a receiver.
; system "ls", "-l", exception: true
(call
  !receiver
  method: (identifier) @spawn.method
  (#any-of? @spawn.method "spawn" "system" "exec")) @spawn.call
