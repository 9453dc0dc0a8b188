#!/bin/bash
( for i in $(seq 1 300); do for p in $(pgrep -x IS); do if tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -q FOO_TEST; then echo "pid $p has FOO_TEST spawned=$(tr '\0' '\n' < /proc/$p/environ 2>/dev/null| grep -c MITTEN_SPAWNED)"; fi; done 2>/dev/null; sleep 0.05; done | sort -u > /tmp/spawn18/foo.txt ) &
FOO_TEST=1 timeout 200 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -x FOO_TEST -n 8 /tmp/spawn18/foowrap.sh bench/IS/bin/Release/net10.0/IS --class A --migrate 1@5 > /tmp/spawn18/foo-job.txt 2>&1
wait
