#!/bin/bash
# the ranks with the start-up compile as built; the replacement (spawned from mpiexec's environment) gets MITTEN_PREJIT=0
unset MITTEN_PREJIT
exec "$@"
