using System.Globalization;

namespace Mitten.Protocol.Spares;

/// <summary>
/// One warm spare as every member of the group knows it: where it runs, its doorbell (a TCP
/// port on its host, on which it waits without using the processor) and the MPI port the
/// moving rank connects to once the spare has said yes. Marked <see cref="Unavailable"/> once
/// taken (by any migration, committed or not: a taken spare never waits again) or found dead.
/// </summary>
internal sealed class SpareInfo
{
    public int Id { get; set; }
    public string Host { get; set; } = "";
    public int Pid { get; set; }
    public int DoorbellPort { get; set; }
    public string MpiPort { get; set; } = "";
    public bool Unavailable { get; set; }

    /// <summary>The spare pool (an intracommunicator of the original group and the spares of one
    /// start-up spawn) this spare is a member of, or -1 when its spawn has none.</summary>
    public int Pool { get; set; } = -1;

    /// <summary>The spare's rank in <see cref="Pool"/>.</summary>
    public int PoolRank { get; set; } = -1;

    /// <summary>
    /// This slot's spare was taken by a committed migration and a new spare is being started
    /// behind the same doorbell (docs/PROTOCOL.md, "Replenishing"): a refused or BUSY call is
    /// "not ready yet", not "dead", and the end of the job waits for it until <see cref="ReplenishDeadlineUnixMs"/>.
    /// </summary>
    public bool Replenishing { get; set; }

    /// <summary>When a replenished spare must have opened its doorbell, or have left (Unix ms; 0 when not replenishing).</summary>
    public long ReplenishDeadlineUnixMs { get; set; }

    /// <summary>One line of the table the spares send at start: "host TAB pid TAB doorbell TAB mpi-port".</summary>
    internal string ToLine() => string.Create(CultureInfo.InvariantCulture, $"{Host}\t{Pid}\t{DoorbellPort}\t{MpiPort}");

    /// <summary>
    /// A line of the table rank 0 broadcasts: the spare's own line, then (rank 0 adds them)
    /// "TAB pool TAB pool-rank" when the spare is in a pool.
    /// </summary>
    internal static SpareInfo? FromLine(int id, string line)
    {
        string[] f = line.Split('\t');
        if ((f.Length != 4 && f.Length != 6) || !int.TryParse(f[1], CultureInfo.InvariantCulture, out int pid) ||
            !int.TryParse(f[2], CultureInfo.InvariantCulture, out int port) || f[3].Length == 0)
        {
            return null;
        }
        var spare = new SpareInfo { Id = id, Host = f[0], Pid = pid, DoorbellPort = port, MpiPort = f[3] };
        if (f.Length == 6 && int.TryParse(f[4], CultureInfo.InvariantCulture, out int pool) && int.TryParse(f[5], CultureInfo.InvariantCulture, out int poolRank))
        {
            spare.Pool = pool;
            spare.PoolRank = poolRank;
        }
        return spare;
    }

    public override string ToString() => $"spare {Id} (process {Pid} on {Host})";
}
