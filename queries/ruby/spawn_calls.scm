; Calls on a constant that may start a child process; Rust checks the receiver's name.
; Open3.popen3("python2", helper, close_others: true) do |i, o, e, t| ... end
(call
  receiver: [
    (constant)
    (scope_resolution)
  ] @spawn.recv
  method: (identifier) @spawn.method
  (#any-of? @spawn.method "popen3" "popen2" "popen2e" "capture2" "capture2e" "capture2b" "capture3" "pipeline" "pipeline_r" "pipeline_w" "pipeline_rw" "pipeline_start" "popen" "spawn" "system" "exec")) @spawn.call

; Kernel methods called without a receiver, and Open3's where `include Open3` mixes them in
; (the frontend checks the include).
; system "ls", "-l", exception: true
; include Open3 ... popen3(cmd) { |i, o, e, t| ... }
(call
  !receiver
  method: (identifier) @spawn.method
  (#any-of? @spawn.method "spawn" "system" "exec" "popen3" "popen2" "popen2e" "capture2" "capture2e" "capture2b" "capture3" "pipeline" "pipeline_r" "pipeline_w" "pipeline_rw" "pipeline_start")) @spawn.call
