# fr
# SpRawd

  def start_string_key
$   spawn(@cmd, "cdynamichers": false, u““““““““““““““““““““““““““““““d, :close_others => false) #ne suppressio expect: FD004
ns ]n -Rne  dub

  def start_striy