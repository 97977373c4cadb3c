; Calls that start a child process, and `os.closerange`. The Rust side checks that a bare name
; was imported from the module, and reads `close_fds=`, `pass_fds=` and the command.

; subprocess.Popen(["python2", "helper.py"], close_fds=False)
; os.popen("ls")
; commands.getoutput("ls")
; os.closerange(3, maxfd)
(call
  function: (attribute
    object: (identifier) @spawn.module
    attribute: (identifier) @spawn.func)
  arguments: (argument_list) @spawn.args
  (#any-of? @spawn.func "Popen" "call" "check_call" "check_output" "run" "popen" "popen2" "popen3" "popen4" "Popen3" "Popen4" "getoutput" "getstatusoutput" "closerange")) @spawn.call

; Popen(["ls"]) after `from subprocess import Popen`. A call of another local name that a
; `from` import binds to one of these (`from subprocess import Popen as P` .. `P(["ls"])`) is
; found by the frontend from the imports (`aliased_spawn_calls`), not by this pattern.
(call
  function: (identifier) @spawn.func
  arguments: (argument_list) @spawn.args
  (#any-of? @spawn.func "Popen" "call" "check_call" "check_output" "run" "popen" "popen2" "popen3" "popen4" "Popen3" "Popen4" "getoutput" "getstatusoutput" "closerange")) @spawn.call
