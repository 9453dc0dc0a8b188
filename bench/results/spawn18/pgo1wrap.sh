#!/bin/bash
# the ranks with TieredPGO as built; the replacement (spawned from mpiexec's environment) gets DOTNET_TieredPGO=0
unset DOTNET_TieredPGO
exec "$@"
