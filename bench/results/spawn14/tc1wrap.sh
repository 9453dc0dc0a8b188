#!/bin/bash
# the job's ranks with tiered compilation on (default), while mpiexec's environment (the replacement's) has it off
unset DOTNET_TieredCompilation
exec "$@"
