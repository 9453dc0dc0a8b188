using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// What an application's logging and tracing get from Mitten (MittenDriver transit --telemetry:
/// an ActivityListener on the "Mitten" source and a logger factory given to the session, each
/// printing what it receives): a committed migration, a rolled-back one and a checkpoint.
/// </summary>
public partial class TelemetryTests
{
    private sealed record Span(string Name, int Pid, string Trace, string Id, string Parent, Dictionary<string, string> Tags);

    private static List<Span> Spans(MpiJob job) =>
        job.LinesStartingWith("SPAN ").Select(line =>
        {
            var fields = FieldPattern().Matches(line).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            return new Span(fields["name"], int.Parse(fields["pid"]), fields["trace"], fields["span"], fields["parent"],
                fields.Where(f => f.Key.StartsWith("mitten.", StringComparison.Ordinal)).ToDictionary());
        }).ToList();

    [Fact]
    public void Spans_and_log_messages_reach_the_application_with_rank_hosts_migration_id_and_bytes()
    {
        string directory = Path.Combine(Path.GetTempPath(), "mitten-telemetry-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var job = MpiJob.Run(3, MpiJob.Driver("MittenDriver"),
                ["transit", "--iterations", "8", "--telemetry", "--migrate", "1@2", "--migrate", "2@4:no-such-host.invalid", "--checkpoint", "5:" + directory],
                TimeSpan.FromSeconds(120));
            // Clean: exit 0 and nothing on stderr, so the rollback's message went to the application's logger only.
            JobAssert.Clean(job, 6);
            List<Span> spans = Spans(job);
            string Describe() => string.Join("\n", job.LinesStartingWith("SPAN ")) + "\n" + job.Describe();

            // The committed move of rank 1: the old process's migration span and its phases, in order, one trace.
            var committed = spans.Where(s => s.Name == "mitten.migration" && s.Tags["mitten.rank"] == "1").ToList();
            Span migration = Assert.Single(committed);
            Assert.Equal("committed", migration.Tags["mitten.outcome"]);
            Assert.Matches(@"^\d+$", migration.Tags["mitten.migration_id"]);
            // The program's request has an id of the one scheme the mitten command uses too.
            Assert.True(global::Mitten.ControlDirectory.Names.IsGeneratedRequestId(migration.Tags["mitten.request_id"]), Describe());
            Assert.StartsWith("m", migration.Tags["mitten.request_id"]);
            Assert.False(string.IsNullOrEmpty(migration.Tags["mitten.from_host"]), Describe());
            Assert.Equal(migration.Tags["mitten.from_host"], migration.Tags["mitten.to_host"]); // moved on this host
            Assert.True(long.Parse(migration.Tags["mitten.bytes"]) > 0, Describe());
            var phases = spans.Where(s => s.Parent == migration.Id && s.Pid == migration.Pid).Select(s => s.Name).ToList();
            Assert.Equal(["mitten.stopped", "mitten.synchronize", "mitten.spawn", "mitten.transfer", "mitten.restore", "mitten.commit"], phases);
            Assert.All(spans.Where(s => s.Parent == migration.Id), s => Assert.Equal(migration.Trace, s.Trace));
            Assert.Equal(migration.Tags["mitten.bytes"], spans.Single(s => s.Parent == migration.Id && s.Name == "mitten.transfer").Tags["mitten.bytes"]);

            // The replacement's spans join the same trace, under the old process's migration span.
            Span replacement = Assert.Single(spans, s => s.Name == "mitten.replacement");
            Assert.Equal(migration.Trace, replacement.Trace);
            Assert.Equal(migration.Id, replacement.Parent);
            Assert.NotEqual(migration.Pid, replacement.Pid);
            Assert.Equal(migration.Tags["mitten.migration_id"], replacement.Tags["mitten.migration_id"]);
            Assert.Equal("1", replacement.Tags["mitten.rank"]);
            Assert.Equal(["mitten.restore", "mitten.commit"], spans.Where(s => s.Parent == replacement.Id).Select(s => s.Name));
            // The migration id the spans carry is the one the application's MigrationHistory reports.
            Assert.Contains($"migration {migration.Tags["mitten.migration_id"]}: rank 1 ", job.Stdout);

            // The rollback of rank 2 (unknown host): a span with its outcome and reason, and one log message.
            Span rolledBack = Assert.Single(spans, s => s.Name == "mitten.migration" && s.Tags["mitten.rank"] == "2");
            Assert.Equal("rolled_back", rolledBack.Tags["mitten.outcome"]);
            Assert.Equal("no-such-host.invalid", rolledBack.Tags["mitten.to_host"]);
            Assert.Contains("is not one of the job's hosts", rolledBack.Tags["mitten.reason"]);
            Assert.Equal(["mitten.stopped", "mitten.synchronize", "mitten.rollback"], spans.Where(s => s.Parent == rolledBack.Id).Select(s => s.Name));
            string log = Assert.Single(job.LinesStartingWith("LOG "));
            Assert.Matches(@"^category=Mitten level=Information event=1 pid=\d+ \[Rank=2 MigrationId=(\d+) Reason=host 'no-such-host.invalid' is not one of", log);
            Assert.Contains($"MigrationId={rolledBack.Tags["mitten.migration_id"]} ", log);
            Assert.EndsWith($"rank 2: migration {rolledBack.Tags["mitten.migration_id"]} rolled back: " + rolledBack.Tags["mitten.reason"], log);

            // The checkpoint: one span per rank, epoch 1 written, with its bytes.
            var checkpoints = spans.Where(s => s.Name == "mitten.checkpoint").ToList();
            Assert.Equal(["0", "1", "2"], checkpoints.Select(s => s.Tags["mitten.rank"]).Order());
            Assert.All(checkpoints, s =>
            {
                Assert.Equal("1", s.Tags["mitten.epoch"]);
                Assert.Equal("written", s.Tags["mitten.outcome"]);
                Assert.True(long.Parse(s.Tags["mitten.bytes"]) > 0);
                Assert.Equal(Path.GetFullPath(directory), s.Tags["mitten.directory"]);
            });
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    [Fact]
    public void Without_a_logger_the_messages_stay_on_standard_error_and_no_span_is_made()
    {
        var job = MpiJob.Run(3, MpiJob.Driver("MittenDriver"), ["transit", "--iterations", "5", "--migrate", "2@2:no-such-host.invalid"],
            TimeSpan.FromSeconds(120));
        JobAssert.Succeeded(job, 6);
        Assert.Matches(@"(?m)^mitten: rank 2: migration \d+ rolled back: host 'no-such-host.invalid' is not one of the job's hosts", job.Stderr);
        Assert.Empty(job.LinesStartingWith("SPAN "));
        Assert.Empty(job.LinesStartingWith("LOG "));
    }

    // A tag value may contain spaces (a reason): it runs until the next " key=".
    [GeneratedRegex(@"(?:^|\s)([\w.]+)=(.*?)(?=\s[\w.]+=|$)")]
    private static partial Regex FieldPattern();
}
