#!/bin/bash
# usage: sock.sh N W R RCVBUF SNDBUF TOUCH LOWAT
N=${1:-33554432} W=${2:-262144} R=${3:-262144} RB=${4:-0} SB=${5:-0} T=${6:-1} L=${7:-0}
port=$((20000 + RANDOM % 10000))
ip netns exec h2 /tmp/xtcp12/sock recv $port $N $R $RB $T $L ${K:-1} & rp=$!
sleep 0.3
ip netns exec h1 /tmp/xtcp12/sock send 10.77.0.2 $port $N $W $SB ${K:-1}
wait $rp
