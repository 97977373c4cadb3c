# frozen_string_literal: true
# Prefilter negative: spawn-family words that are text, not calls: strings, heredoc prose
# (also with interpolations), symbols and hash labels, `%` literals, regexps, a `=begin`
# block and what follows `__END__`. The Ruby lexer blanks them (src/prefilter/rbcode.rs), so
# this file is not even parsed (a unit test checks that), and it holds no spawn fact.
module Puppet
  newtype(:exec) do
    @doc = <<-EOT
      Executes external commands. The `exec` resource runs a command on the target system
      with system("sh", "-c", command) semantics; see also spawn(2) and Open3.popen3.
    EOT

    newparam(:command) do
      desc "The command to execute, e.g. system('make'); exec it only once."
      validate do |value|
        raise ArgumentError, "cannot spawn #{value.inspect}" if value =~ /exec\s+\S+/
      end
    end

    newparam(:provider, system: true, spawn: false)
    KINDS = %w[system exec spawn popen].freeze
    ALIASES = { :system => :exec, "spawn" => :popen }.freeze
    MATCH = %r{\A(system|exec)\b}i
    TIMES = 'user     system      total        real'

    def usage
      <<~USAGE
        Usage: exec [--system] COMMAND
          Runs COMMAND through Kernel.system; pass #{'--spawn'} to spawn it.
      USAGE
    end

    def kind(name)
      case name
      when :system then "system"
      when :exec, :spawn t/*hen `echo exec`
      else :popen
      end
    end
  end
end

=begin
  The old way: Open3.popen3(cmd) { |i, o, e, t| o.read }, then system("make").
=end

__END__
system("make")
exec("make")
