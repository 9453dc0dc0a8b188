#!/bin/bash
# the ranks without the JIT listing; the spawned replacement (mpiexec's environment) writes it
unset DOTNET_JitDisasmSummary DOTNET_JitStdOutFile
exec "$@"
