# control (plain-dup/plain) and mitten, old (separate buffers) and new (shared) builds alternating, T=20
while [ ! -e /tmp/perf15/ab2.stop ]; do
  i=$((i+1))
  for b in $( [ $((i%2)) -eq 1 ] && echo "before shared" || echo "shared before"); do
    for c in plain mitten; do ./mpp.sh /tmp/perf15/mpp-$b $b 1 $c reduce,bcast 262144,1048576,4194304 --measurements 20; done
  done
done
