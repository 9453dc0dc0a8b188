namespace Mitten.Tests.Drivers;

/// <summary>Bad migration requests are refused with a clear message and the job continues.</summary>
internal static class RequestScenario
{
    internal static int Run(DriverOptions options)
    {
        using var session = Mitten.MittenSession<BlockedState>.Start(() => new BlockedState(), BlockedState.Codec);
        int size = session.Size;
        Check.Throws<Mitten.MigrationRequestException>("no-such-rank", () => session.RequestMigration(size + 3, "localhost"),
            e => e.Message.Contains("does not exist"));
        Check.Throws<Mitten.MigrationRequestException>("negative-rank", () => session.RequestMigration(-1));
        Check.Throws<Mitten.MigrationRequestException>("bad-host", () => session.RequestMigration(0, "bad host!"),
            e => e.Message.Contains("not a valid host name"));
        for (int i = 0; i < 3; i++)
        {
            session.MigrationPoint();
            session.Communicator.Barrier();
        }
        Check.Equal("still-running", size, session.Communicator.Allreduce(1, Mitten.GroupComm.Op.Sum));
        session.Finish();
        return 0;
    }
}
