#!/bin/bash
# xhost.sh TAG: one traced cross-host migration (IS B, 4 ranks on h1,h2; spare on h2; rank 1 h1->h2)
cd /work/wt/proto12 && . scripts/env.sh
up=0
if ! ip netns list | grep -q '^h2'; then bash scripts/hosts.sh up 2 >&2; up=1; fi
eval "$(bash scripts/hosts.sh env)"
printf "${HOSTFILE:-h1 slots=2\nh2 slots=2\n}" > /tmp/p12/hostfile
f=/tmp/p12/xhost-$1
load=$(cut -d' ' -f1 /proc/loadavg)
MITTEN_TRACE=1 MITTEN_SPARES=1 MITTEN_SPARE_HOSTS=${TO:-h2} env $EXTRA flock /tmp/mitten-mpi-jobs.lock timeout 240 mpiexec --oversubscribe --mca orte_allowed_exit_without_sync 1 -n 4 --hostfile /tmp/p12/hostfile bench/IS/bin/Release/net10.0/IS --class B --migrate 1@5:${TO:-h2} > $f.out 2> $f.err
echo "rc=$? load=$load"
if [ $up = 1 ]; then bash scripts/hosts.sh down >&2; fi
ip netns list
