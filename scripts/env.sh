# Sourced by the scripts: the environment Open MPI needs here.
# Open MPI refuses to run as root unless told; only set that when running as root.
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 TERM=${TERM:-dumb}
