using System.Diagnostics;
using Mitten.ControlDirectory;
using Xunit;

namespace Mitten.Tests.Runtime;

/// <summary>
/// The <c>mitten</c> command line without an MPI job: parse errors in one clear line, refusals
/// decided before launch (nothing created), and the job verbs (jobs, status without an id,
/// checkpoints, cancel, clean) against job directories laid out as the contract says.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CommandLineTests : IDisposable
{
    private readonly MittenCli mitten = new();
    private readonly List<Process> sleepers = [];

    public void Dispose()
    {
        foreach (Process p in sleepers)
        {
            if (!p.HasExited)
            {
                p.Kill();
            }
            p.Dispose();
        }
        mitten.Dispose();
    }

    [Fact]
    public void Parse_errors_are_one_line_a_user_understands()
    {
        mitten.Run("frob").IsOneLineError("unknown command 'frob' (commands: run, restart, status");
        mitten.Run().IsOneLineError("give a command: run, restart");
        mitten.Run("status", "--jsn").IsOneLineError("unknown option '--jsn'");
        MittenCli.Result ranks = mitten.Run("run", "-n", "abc", "--", "true");
        ranks.IsOneLineError("'abc' is not a whole number");
        Assert.DoesNotContain("System.", ranks.Stderr);
        mitten.Run("migrate", "j20260101-000000-0000", "--rank", "0", "--timeout", "0").IsOneLineError("--timeout must be more than 0 and at most 86400 seconds (got 0)");
        mitten.Run("run", "-n", "2", "--checkpoint-every", "0", "--", "true").IsOneLineError("--checkpoint-every must be at least 1");
        mitten.Run("run", "-n", "2", "--name", "bad name", "--", "true").IsOneLineError("--name 'bad name' must be");
    }

    [Fact]
    public void A_program_that_cannot_run_is_refused_before_launch()
    {
        mitten.Run("run", "-n", "2", "--", "./no-such-program").IsOneLineError("program ./no-such-program does not exist");
        mitten.Run("run", "-n", "2", "--", "no-such-program-on-path").IsOneLineError("program 'no-such-program-on-path' not found: not on PATH");
        string plain = Path.Combine(mitten.Home, "not-executable");
        Directory.CreateDirectory(mitten.Home);
        File.WriteAllText(plain, "#!/bin/sh\n");
        mitten.Run("run", "-n", "2", "--", plain).IsOneLineError("is not executable");
        Assert.False(Directory.Exists(mitten.JobsRoot) && Directory.EnumerateFileSystemEntries(mitten.JobsRoot).Any(), "a refused run made a job directory");
    }

    [Fact]
    public void Jobs_lists_every_job_and_status_prefers_the_running_one()
    {
        Process holder = Sleeper(null);
        string running = FakeJob("j20260101-000000-aaaa", JobDocument.RunningState, holder.Id, name: "heat");
        FakeJob("j20260102-000000-bbbb", JobDocument.FinishedState, null, exitCode: 0, finished: DateTimeOffset.UtcNow.AddDays(-30));
        FakeJob("j20260103-000000-cccc", JobDocument.RunningState, 999_999_999); // its mpiexec is gone: lost

        MittenCli.Result jobs = mitten.Run("jobs");
        Assert.True(jobs.ExitCode == 0, jobs.ToString());
        Assert.Matches(@"(?m)^j20260101-000000-aaaa\s+heat\s+running\s+4\s", jobs.Stdout);
        Assert.Matches(@"(?m)^j20260102-000000-bbbb\s+-\s+finished\s+4\s.*\s0\s+Heat", jobs.Stdout);
        Assert.Matches(@"(?m)^j20260103-000000-cccc\s+-\s+lost\s", jobs.Stdout);

        // Without an id: the newest running job, not the newest job.
        Assert.Contains("job j20260101-000000-aaaa: running", mitten.Run("status").Stdout);
        Assert.Contains("job j20260101-000000-aaaa: running", mitten.Run("status", "heat").Stdout);
        Assert.Contains("\"schemaVersion\": 1", mitten.Run("status", "--json").Stdout);
        Assert.DoesNotContain("effectiveState", mitten.Run("status", "--json").Stdout);

        // clean: ended jobs older than the cutoff go; the running one stays.
        MittenCli.Result dry = mitten.Run("clean", "--older-than", "7", "--dry-run");
        Assert.Contains("would remove j20260102-000000-bbbb", dry.Stdout);
        Assert.True(Directory.Exists(Path.Combine(mitten.JobsRoot, "j20260102-000000-bbbb")));
        MittenCli.Result clean = mitten.Run("clean", "--older-than", "0");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Contains("2 job directories removed, 1 kept", clean.Stdout);
        Assert.Equal([running], Directory.GetDirectories(mitten.JobsRoot));
    }

    [Fact]
    public void Cancel_stops_the_jobs_mpiexec_and_nothing_else()
    {
        string dir = Path.Combine(mitten.JobsRoot, "j20260101-000000-dddd");
        Process mpiexec = Sleeper(dir); // stands for mpiexec: a process of this job (MITTEN_JOB_DIR in its environment)
        FakeJob("j20260101-000000-dddd", JobDocument.RunningState, mpiexec.Id, name: "victim");
        Process stranger = Sleeper(null);
        FakeJob("j20260101-000000-eeee", JobDocument.RunningState, stranger.Id);

        mitten.Run("cancel", "j20260101-000000-eeee").IsOneLineError("is not job j20260101-000000-eeee's mpiexec");
        Assert.False(stranger.HasExited);
        MittenCli.Result cancel = mitten.Run("cancel", "victim", "--timeout", "20");
        Assert.True(cancel.ExitCode == 0, cancel.ToString());
        Assert.Contains("cancelled: job j20260101-000000-dddd", cancel.Stdout);
        Assert.True(mpiexec.WaitForExit(10_000));
    }

    [Fact]
    public void Checkpoints_lists_time_epoch_superstep_size_and_completeness()
    {
        string dir = FakeJob("j20260101-000000-ffff", JobDocument.FinishedState, null, exitCode: 1);
        string good = Path.Combine(dir, "checkpoints", "c1");
        Directory.CreateDirectory(Path.Combine(good, "1"));
        File.WriteAllText(Path.Combine(good, "1", "rank-0.state"), "abcd");
        File.WriteAllText(Path.Combine(good, "1", "manifest"), "mitten-checkpoint 1\nepoch 1\nranks 1\nrank 0 4\ncheck 0\n");
        ControlJson.WriteFile(Path.Combine(dir, "checkpoints", "c1.json"), new CheckpointOutcomeDocument { Id = "c1", Outcome = "written", Epoch = 1, Dir = good, Superstep = 120 });
        string torn = Path.Combine(dir, "checkpoints", "c2");
        Directory.CreateDirectory(Path.Combine(torn, "1"));
        File.WriteAllText(Path.Combine(torn, "1", "rank-0.state"), "ab");
        ControlJson.WriteFile(Path.Combine(dir, "checkpoints", "c2.json"), new CheckpointOutcomeDocument { Id = "c2", Outcome = "written", Epoch = 1, Dir = torn, Superstep = 240 });
        ControlJson.WriteFile(Path.Combine(dir, "checkpoints", "c3.json"), new CheckpointOutcomeDocument { Id = "c3", Outcome = "failed", Reason = "disk full" });

        MittenCli.Result list = mitten.Run("checkpoints", "j20260101-000000-ffff");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches(@"(?m)^c1\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+1\s+120\s+\d+ B\s+yes$", list.Stdout);
        Assert.Matches(@"(?m)^c2\s.*\s240\s.*no \(epoch 1 is incomplete \(no manifest\)\)$", list.Stdout);
        Assert.Matches(@"(?m)^c3\s.*no \(failed: disk full\)$", list.Stdout);
        // restart JOB picks the newest complete one (c1, not the torn c2) and refuses another rank count before launch.
        mitten.Run("restart", "j20260101-000000-ffff", "-n", "2").IsOneLineError("checkpoint " + good + " was written by 1 ranks; restart it with -n 1");
        mitten.Run("restart", "j20260101-000000-ffff", "--checkpoint", "c2").IsOneLineError("checkpoint c2 of job j20260101-000000-ffff is not complete");
    }

    private string FakeJob(string id, string state, int? mpiexecPid, string? name = null, int? exitCode = null, DateTimeOffset? finished = null)
    {
        string dir = Path.Combine(mitten.JobsRoot, id);
        AtomicFile.CreateOwnerOnlyDirectory(mitten.JobsRoot, tightenExisting: false);
        AtomicFile.CreateOwnerOnlyDirectory(dir, tightenExisting: true);
        foreach (string sub in ControlLayout.Subdirectories)
        {
            AtomicFile.CreateOwnerOnlyDirectory(Path.Combine(dir, sub), tightenExisting: true);
        }
        ControlJson.WriteFile(Path.Combine(dir, ControlLayout.JobFile), new JobDocument
        {
            Id = id, Ranks = 4, Program = "/opt/heat/Heat", Args = ["--cells", "100"], Started = DateTimeOffset.UtcNow.AddDays(-40),
            MpiexecPid = mpiexecPid, State = state, ExitCode = exitCode, Finished = finished, Name = name,
        });
        return dir;
    }

    private Process Sleeper(string? jobDir)
    {
        var psi = new ProcessStartInfo("sleep", "300") { UseShellExecute = false };
        if (jobDir is not null)
        {
            psi.Environment[ControlLayout.JobDirVariable] = jobDir;
        }
        Process p = Process.Start(psi)!;
        sleepers.Add(p);
        return p;
    }
}
