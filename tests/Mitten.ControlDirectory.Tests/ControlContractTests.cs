using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Mitten.ControlDirectory;
using Xunit;

namespace Mitten.Tests.ControlDirectory;

/// <summary>
/// The shared control-directory contract (src/Mitten.ControlDirectory) against docs/CONTROL.md: every
/// example file in the document parses, passes the contract's checks, and is written back as
/// the same JSON; and the rules both sides rely on (escaping, host names, events, non-regular
/// files, the atomic writer).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class ControlContractTests
{
    private static readonly string Document = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "CONTROL.md"));

    [Fact]
    public void Every_example_in_CONTROL_md_round_trips_through_the_contract()
    {
        MatchCollection examples = Example().Matches(Document);
        Assert.True(examples.Count >= 10, $"only {examples.Count} examples found in docs/CONTROL.md");
        var kinds = new HashSet<string>();
        foreach (Match example in examples)
        {
            string file = example.Groups[1].Value;
            string text = example.Groups[2].Value;
            (JsonNode? written, string kind) = RoundTrip(file, text);
            kinds.Add(kind);
            JsonNode original = JsonNode.Parse(text)!;
            Assert.True(JsonNode.DeepEquals(original, written), $"{file}: wrote\n{written!.ToJsonString()}\nfor\n{original.ToJsonString()}");
        }
        Assert.Equal(["checkpoint outcome", "event", "job", "locations", "migration outcome", "rank", "request"], kinds.Order());
    }

    private static (JsonNode? Written, string Kind) RoundTrip(string file, string text)
    {
        ControlJsonContext c = ControlJson.Compact;
        string dir = file.Contains('/') ? file[..file.IndexOf('/')] : "";
        switch (file)
        {
            case "job.json":
                JobDocument job = ControlJson.Parse(text, c.JobDocument, file);
                Assert.Null(job.Problem());
                return (JsonSerializer.SerializeToNode(job, c.JobDocument), "job");
            case "locations.json":
                var table = ControlJson.Parse(text, c.DictionaryStringProcessLocation, file);
                return (JsonSerializer.SerializeToNode(table, c.DictionaryStringProcessLocation), "locations");
            case "events.jsonl":
                ControlEvent e = ControlJson.Parse(text, c.ControlEvent, file);
                Assert.Null(e.Problem());
                Assert.NotNull(e.Key);
                return (JsonSerializer.SerializeToNode(e, c.ControlEvent), "event");
        }
        switch (dir)
        {
            case "ranks":
                RankStatus rank = ControlJson.Parse(text, c.RankStatus, file);
                Assert.Null(rank.Problem());
                return (JsonSerializer.SerializeToNode(rank, c.RankStatus), "rank");
            case "requests":
                ControlRequest request = ControlJson.Parse(text, c.ControlRequest, file);
                Assert.Null(request.Problem(size: 4));
                Assert.Equal(Path.GetFileNameWithoutExtension(file), request.Id);
                return (JsonSerializer.SerializeToNode(request, c.ControlRequest), "request");
            case "migrations":
                MigrationOutcomeDocument migration = ControlJson.Parse(text, c.MigrationOutcomeDocument, file);
                return (JsonSerializer.SerializeToNode(migration, c.MigrationOutcomeDocument), "migration outcome");
            case "checkpoints":
                CheckpointOutcomeDocument checkpoint = ControlJson.Parse(text, c.CheckpointOutcomeDocument, file);
                Assert.Null(checkpoint.Problem());
                return (JsonSerializer.SerializeToNode(checkpoint, c.CheckpointOutcomeDocument), "checkpoint outcome");
        }
        throw new Xunit.Sdk.XunitException($"docs/CONTROL.md has an example for {file}, which the contract does not know");
    }

    [Fact]
    public void Every_event_CONTROL_md_lists_is_one_of_the_contracts_events()
    {
        string line = Document.Split('\n').Single(l => l.StartsWith("| `events.jsonl`", StringComparison.Ordinal));
        string events = line[line.IndexOf("event one of", StringComparison.Ordinal)..line.IndexOf("; a migration's final event", StringComparison.Ordinal)];
        string[] listed = Regex.Matches(Regex.Replace(events, @"\([^)]*\)", ""), "`([a-z_]+)`").Select(m => m.Groups[1].Value).ToArray();
        Assert.Contains("resumed", listed);
        Assert.Equal(listed.Order(), ControlLayout.Events.Order());
    }

    [Fact]
    public void Text_with_quotes_and_control_characters_makes_valid_one_line_JSON()
    {
        string path = "/tmp/a \"quoted\" dir\nwith a newline\\ and + sign";
        var e = new ControlEvent
        {
            Time = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero), Rank = 1, Event = "checkpoint", Request = "c1", Outcome = path,
        };
        byte[] line = ControlJson.Line(e, ControlJson.Compact.ControlEvent);
        string text = System.Text.Encoding.UTF8.GetString(line);
        Assert.DoesNotContain('\n', text);
        Assert.Contains("2026-01-02T03:04:05.678Z", text);
        Assert.DoesNotContain("\\u002B", text);
        Assert.Equal(path, ControlJson.Parse(line, ControlJson.Compact.ControlEvent, "line").Outcome);
    }

    [Theory]
    [InlineData("node3", true)]
    [InlineData("node3.cluster.example", true)]
    [InlineData("localhost", true)]
    [InlineData("a-b", true)]
    [InlineData("", false)]
    [InlineData("-node", false)]
    [InlineData("node-", false)]
    [InlineData("bad_host", false)]
    [InlineData("two..dots", false)]
    [InlineData("with space", false)]
    [InlineData("ünïcode", false)]
    public void One_host_name_rule(string host, bool valid)
    {
        Assert.Equal(valid, Names.IsHostName(host, out string why));
        Assert.Equal(valid, why.Length == 0);
        Assert.False(Names.IsHostName(new string('a', 63) + "." + new string('b', 63) + "." + new string('c', 63) + "." + new string('d', 63)));
        Assert.False(Names.IsHostName(new string('a', 64)));
    }

    [Fact]
    public void One_request_id_scheme_for_migrations_and_checkpoints_whose_ids_are_valid_file_names()
    {
        var ids = Enumerable.Range(0, 200).Select(i => Names.NewRequestId(i % 2 == 0 ? Names.MigrationKind : Names.CheckpointKind)).ToList();
        Assert.All(ids, id =>
        {
            Assert.True(Names.IsGeneratedRequestId(id), id);
            Assert.True(Names.IsRequestId(id), id);
        });
        Assert.All(ids.Where((_, i) => i % 2 == 0), id => Assert.StartsWith("m", id));
        Assert.All(ids.Where((_, i) => i % 2 == 1), id => Assert.StartsWith("c", id));
        // The form docs/CONTROL.md shows, and not the old API form.
        Assert.True(Names.IsGeneratedRequestId("m20260102030410123-9f3c"));
        Assert.False(Names.IsGeneratedRequestId("api-0123456789ab"));
    }

    [Fact]
    public void Malformed_documents_are_refused_with_the_field_named()
    {
        ControlJsonContext c = ControlJson.Compact;
        Assert.Contains("not JSON", Assert.Throws<ControlFormatException>(() => ControlJson.Parse("{ not json", c.RankStatus, "r.json")).Message);
        Assert.Equal("r.json: missing \"rank\"", Assert.Throws<ControlFormatException>(() => ControlJson.Parse("{\"host\":\"h\",\"pid\":2,\"state\":\"running\"}", c.RankStatus, "r.json")).Message);
        Assert.Contains("\"pid\"", Assert.Throws<ControlFormatException>(() => ControlJson.Parse("{\"rank\":0,\"host\":\"h\",\"pid\":\"2\",\"state\":\"running\"}", c.RankStatus, "r.json")).Message);
        Assert.Contains("outcome 'moved'", Assert.Throws<ControlFormatException>(() =>
            ControlJson.Parse("{\"id\":\"m1\",\"rank\":0,\"outcome\":\"moved\"}", c.MigrationOutcomeDocument, "m.json")).Message);
        Assert.Contains("not a JSON object", Assert.Throws<ControlFormatException>(() => ControlJson.Parse("[1]", c.RankStatus, "r.json")).Message);
        Assert.Contains("event 'explode'", ControlJson.Parse("{\"time\":\"2020-01-01T00:00:00Z\",\"event\":\"explode\"}", c.ControlEvent, "e").Problem());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
            ControlJson.Parse("{\"time\":1700000000,\"event\":\"rollback\"}", c.ControlEvent, "e").Time);
    }

    [Fact]
    public void The_atomic_writer_leaves_an_owner_only_file_and_no_temporary()
    {
        string dir = Directory.CreateTempSubdirectory("mitten-contract-").FullName;
        try
        {
            string file = Path.Combine(dir, "ranks.json");
            File.WriteAllText(file, "old");
            ControlJson.WriteFile(file, new RankStatus { Rank = 0, Host = "h", Pid = 1, State = "running" });
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(0, ControlJson.ReadFile(file, ControlJson.Compact.RankStatus).Rank);
            Assert.Equal([file], Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_FIFO_is_never_opened()
    {
        string dir = Directory.CreateTempSubdirectory("mitten-contract-").FullName;
        try
        {
            string fifo = Path.Combine(dir, "r.json");
            Assert.Equal(0, mkfifo(fifo, Convert.ToUInt32("600", 8)));
            Assert.False(FileKind.IsRegularFile(fifo));
            // Would block for ever if it opened the FIFO; the test's own timeout is the deadline.
            Task<string> read = Task.Run(() => Assert.Throws<ControlFormatException>(() => ControlJson.ReadFile(fifo, ControlJson.Compact.RankStatus)).Message);
            Assert.True(await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(10))) == read, "reading a FIFO blocked");
            Assert.Contains("not a regular file", await read);
            File.WriteAllText(Path.Combine(dir, "plain.json"), "{}");
            Assert.True(FileKind.IsRegularFile(Path.Combine(dir, "plain.json")));
            File.CreateSymbolicLink(Path.Combine(dir, "link.json"), Path.Combine(dir, "plain.json"));
            Assert.False(FileKind.IsRegularFile(Path.Combine(dir, "link.json")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string RepositoryRoot()
    {
        for (string? d = AppContext.BaseDirectory; d is not null; d = Path.GetDirectoryName(d))
        {
            if (File.Exists(Path.Combine(d, "Mitten.sln")))
            {
                return d;
            }
        }
        throw new InvalidOperationException("Mitten.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"```json ([^\s`]+)\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex Example();

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int mkfifo(string path, uint mode);
}
