using System.Diagnostics;
using Mitten.Runtime.Control;

namespace Mitten.Runtime.Cli;

/// <summary>
/// <c>mitten run --detach</c>: checks what can be checked, makes the job directory, starts
/// <c>mitten run</c> for it in a new session (stdin /dev/null, output to
/// <c>&lt;job dir&gt;/output.log</c>), and returns once job.json names its mpiexec (or says it
/// ended), at most 60 s later.
/// </summary>
internal static class Detached
{
    public static async Task<int> LaunchAsync(string? jobsRoot, LaunchRequest request, CancellationToken cancel)
    {
        JobHost.Validate(request);
        JobDirectory job = JobDirectory.Create(JobDirectory.JobsRoot(jobsRoot), DateTimeOffset.UtcNow);
        string log = Path.Combine(job.Path, "output.log");
        var arguments = new List<string>();
        string self = Environment.ProcessPath ?? throw new MittenException("cannot find the mitten executable to detach");
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            arguments.Add(typeof(Detached).Assembly.Location); // run as 'dotnet mitten.dll'
        }
        if (jobsRoot is not null)
        {
            arguments.AddRange(["--job-dir-root", jobsRoot]);
        }
        arguments.AddRange(["run", "-n", request.Ranks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--into-job-dir", job.Path]);
        if (request.HostFilePath is not null)
        {
            arguments.AddRange(["--host-file", Path.GetFullPath(request.HostFilePath)]);
        }
        if (request.Name is not null)
        {
            arguments.AddRange(["--name", request.Name]);
        }
        if (request.CheckpointEvery is TimeSpan every)
        {
            arguments.AddRange(["--checkpoint-every", every.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        if (request.MaxRestarts > 0)
        {
            arguments.AddRange(["--max-restarts", request.MaxRestarts.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }
        arguments.Add("--");
        arguments.Add(request.Program);
        arguments.AddRange(request.Arguments);
        // setsid: the job leaves this terminal's session, so closing the terminal does not end it.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("log=$1; shift; exec setsid \"$@\" </dev/null >>\"$log\" 2>&1");
        psi.ArgumentList.Add("mitten-detach");
        psi.ArgumentList.Add(log);
        psi.ArgumentList.Add(self);
        foreach (string a in arguments)
        {
            psi.ArgumentList.Add(a);
        }
        using Process child = Process.Start(psi) ?? throw new MittenException("cannot start the detached mitten run");
        DateTime giveUp = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < giveUp)
        {
            if (JobDirectory.TryRead(job) is { } info && (info.MpiexecPid is not null || !info.IsRunning))
            {
                Console.Error.WriteLine($"job: {job.Id}");
                Console.WriteLine(job.Id);
                return info.IsRunning || info.ExitCode == 0 ? ExitCodes.Success : info.ExitCode ?? ExitCodes.Error;
            }
            if (child.HasExited && JobDirectory.TryRead(job) is null)
            {
                string tail = File.Exists(log) ? File.ReadLines(log).LastOrDefault() ?? "" : "";
                throw new MittenException($"the detached run of job {job.Id} ended before it started: {tail}");
            }
            await Task.Delay(100, cancel);
        }
        throw new MittenException($"job {job.Id} did not start within 60 s (see {log})", ExitCodes.TimedOut);
    }
}
