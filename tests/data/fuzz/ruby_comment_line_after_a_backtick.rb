# fh
ÿÿee`, or
# `clx= Open3.capture2( d(