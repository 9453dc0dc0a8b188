using System.Globalization;

namespace Mitten.Bench.Soak;

/// <summary>
/// A rank's files in the log directory, written so they survive the process (a migrated rank's
/// next process appends to the same files): <c>issued.R.log</c> (every request id this rank
/// issued), <c>errors.R.log</c>, <c>progress.R</c> (where the rank is now: for hangs) and
/// <c>final.R</c> (result and counters at the end).
/// </summary>
internal sealed class SoakLog(string directory, int rank)
{
    private const int MaxErrorsPerProcess = 200;
    private int errors;
    private readonly string progressFile = Path.Combine(directory, $"progress.{rank}");

    /// <summary>A request this rank issued (one line: the outcome must appear under this id).</summary>
    public void Issued(string id, int target, int iteration) =>
        Append($"issued.{rank}.log", $"{id} target={target} iteration={iteration} issuer={rank} pid={Environment.ProcessId} time={DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");

    /// <summary>A request that <c>RequestMigration</c> refused at once (no id).</summary>
    public void RefusedAtCall(int target, int iteration, string message) =>
        Append($"issued.{rank}.log", $"REFUSED target={target} iteration={iteration} issuer={rank} pid={Environment.ProcessId} reason={message.ReplaceLineEndings(" ")}");

    public void Error(string text)
    {
        if (++errors <= MaxErrorsPerProcess)
        {
            Append($"errors.{rank}.log", $"rank {rank} pid {Environment.ProcessId}: {text}");
            Console.Error.WriteLine($"soak: rank {rank}: {text}");
        }
    }

    /// <summary>Where this rank is (overwritten; read after a hang).</summary>
    public void Progress(int iteration, string phase)
    {
        try
        {
            File.WriteAllText(progressFile, string.Create(CultureInfo.InvariantCulture,
                $"rank={rank} pid={Environment.ProcessId} iteration={iteration} phase={phase} time={DateTimeOffset.UtcNow:HH:mm:ss.fff}\n"));
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The final line (written atomically).</summary>
    public void Final(string line)
    {
        string file = Path.Combine(directory, $"final.{rank}");
        File.WriteAllText(file + ".tmp", line + "\n");
        File.Move(file + ".tmp", file, overwrite: true);
    }

    /// <summary>The rank got through <c>Finish</c>.</summary>
    public void Finished() => Append($"finished.{rank}", $"pid={Environment.ProcessId}");

    private void Append(string name, string line)
    {
        using var stream = new FileStream(Path.Combine(directory, name), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(line + "\n");
        stream.Write(bytes); // one write(): lines from old and new processes never interleave
    }
}
