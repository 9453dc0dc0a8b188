using Mitten.Tests.Drivers;

// Scenarios of the migration layer, run under mpiexec; each rank checks itself.
//   transit  --iterations N [--migrate RANK@ITER[:HOST]]...   messages in flight, collectives, migrations
//   blocked  --iterations N --migrate RANK@ITER               a rank blocked on a stopped partner
//   calls    --iterations N [--migrate RANK@ITER]... [--truncate-at ITER]   Sendrecv, Ssend, Probe, request sets, v-collectives
//   derived [derived-blocked] --iterations N [--migrate RANK@ITER]...   derived communicators, Cartesian grids, Ibarrier/Ibcast/Iallreduce
//   requests                                                  bad requests are refused, the job goes on
//   warmup-guard                                              the start-up drain exercise does nothing while requests are live
//   payload  --payload-stream-sizes N,N,... | --payload-doubles N   rank 1 moves with payloads checked bit by bit
// One write() per line: Console's own stdout writer flushes every 256 characters, so a long line
// (MIGRATION ...) could reach mpiexec in pieces with another rank's line between them.
Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), bufferSize: 1 << 16) { AutoFlush = true });
if (args.Length > 0 && args[0] == "payload")
{
    return PayloadScenario.Run(args);
}
var options = DriverOptions.Parse(args);
return options.Scenario switch
{
    "transit" => TransitScenario.Run(options),
    "blocked" => BlockedScenario.Run(options),
    "requests" => RequestScenario.Run(options),
    "warmup-guard" => WarmupGuardScenario.Run(options),
    "calls" => CallsScenario.Run(options),
    "derived" => DerivedScenario.Run(options, blockedRow: false),
    "derived-blocked" => DerivedScenario.Run(options, blockedRow: true),
    _ => throw new ArgumentException($"unknown scenario '{options.Scenario}'"),
};
