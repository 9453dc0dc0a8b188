#!/bin/bash
export DOTNET_JitDisasmSummary=1 DOTNET_JitStdOutFile=/tmp/s14/jit/r$OMPI_COMM_WORLD_RANK.txt
exec "$@"
