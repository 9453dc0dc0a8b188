// The .NET start-up hook a spawned replacement runs before its Main (DOTNET_STARTUP_HOOKS=Mitten,
// set by the moving rank; Mitten.Protocol.EarlyMpiInit). The runtime looks the type up by this
// exact name in the global namespace and calls its public static Initialize.
#pragma warning disable CA1050 // the runtime requires the global namespace
internal static class StartupHook
#pragma warning restore CA1050
{
    /// <summary>Starts MPI_Init on a spawned replacement before Main (nothing in any other process).</summary>
    public static void Initialize() => Mitten.Protocol.EarlyMpiInit.StartIfSpawnedReplacement();
}
