#!/bin/bash
# the job's ranks with tiered compilation off; the replacement (spawned as IS itself) keeps mpiexec's environment
export DOTNET_TieredCompilation=0
exec "$@"
