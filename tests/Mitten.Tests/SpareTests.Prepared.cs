using System.Text.RegularExpressions;
using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.Mitten;

/// <summary>
/// Prepared groups (docs/PROTOCOL.md, "Prepared groups"): the first migration to a spare of a
/// pool commits through the group, control channel, window and intercommunicator made at start
/// (no collective call in the commit); a later one, for which nothing prepared fits, falls back
/// to MPI_Comm_create_group over the pool; MITTEN_PREPARED_GROUPS bounds what is prepared. The
/// trace names the path of each commit.
/// </summary>
public partial class SpareTests
{
    [Fact]
    public void A_migration_to_a_spare_commits_through_a_prepared_group_and_a_second_one_falls_back_to_the_pool()
    {
        // 3 ranks and 2 spares: 6 pairs prepared. Rank 1 takes spare 0 through a prepared group;
        // then the group holds the first replacement, so rank 2's move to spare 1 makes its group
        // with MPI_Comm_create_group over the pool (its intercommunicator to spare 1 was prepared).
        var job = Run(3, Scenario + " --migrate 1@2 --migrate 2@4", spares: 2, Trace);
        JobAssert.Succeeded(job, 6); // stderr has the trace
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(job);
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=1 ")));
        Assert.Contains("Committed", Assert.Single(job.LinesStartingWith("MIGRATION rank=2 ")));
        Assert.Matches(@"r0 pid\d+\] prepared 6 groups \(4 with this process\) in [\d.]+ ms", job.Stderr);
        Assert.Equal(2, Regex.Matches(job.Stderr, @"r-1 pid\d+\] prepared 6 groups \(3 with this process\)").Count); // each spare
        // The first migration: everything prepared.
        Assert.Matches(@"r1 pid\d+\] took spare 0 \(process \d+ on \S+\): doorbell [\d.]+ ms, prepared intercomm", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] commit path: prepared group", job.Stderr);
        Assert.Matches(@"r0 pid\d+\] new group installed: prepared group \(spare 3 of pool 0\)", job.Stderr);
        Assert.Matches(@"r2 pid\d+\] new group installed: prepared group \(spare 3 of pool 0\)", job.Stderr);
        Assert.Single(Regex.Matches(job.Stderr, @"replacement: joined the new group \(prepared group\)"));
        // The second: the fallback over the pool, by every member.
        Assert.Matches(@"r2 pid\d+\] took spare 1 \(process \d+ on \S+\): doorbell [\d.]+ ms, prepared intercomm", job.Stderr);
        Assert.Matches(@"r2 pid\d+\] commit path: MPI_Comm_create_group over the spare pool", job.Stderr);
        Assert.Matches(@"r0 pid\d+\] new group from spare pool 0 in", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] new group from spare pool 0 in", job.Stderr); // the first replacement, now a staying rank
        Assert.Single(Regex.Matches(job.Stderr, @"replacement: joined the new group \(spare pool\)"));
        Assert.DoesNotContain("connect/accept", job.Stderr);
    }

    [Fact]
    public void Only_as_many_pairs_as_MITTEN_PREPARED_GROUPS_are_prepared_and_the_others_use_the_pool()
    {
        // A limit of 1: only (spare 0, rank 0) is prepared, so rank 1's migration to spare 0 takes
        // it with MPI_Intercomm_create and makes the group with MPI_Comm_create_group over the pool.
        var job = Run(3, Scenario + " --migrate 1@3", spares: 1, new Dictionary<string, string> { ["MITTEN_TRACE"] = "1", ["MITTEN_PREPARED_GROUPS"] = "1" });
        JobAssert.Succeeded(job, 6); // stderr has the trace
        JobAssert.OkOnRanks(job, "all-delivered-once", 3);
        SameResults(job);
        Assert.Matches(@"r0 pid\d+\] prepared 1 groups \(0 with this process\)", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] prepared 1 groups \(1 with this process\)", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] took spare 0 \(process \d+ on \S+\): doorbell [\d.]+ ms, intercomm over pool", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] commit path: MPI_Comm_create_group over the spare pool", job.Stderr);
        Assert.Matches(@"r1 pid\d+\] replacement: joined the new group \(spare pool\)", job.Stderr);
        Assert.DoesNotContain("prepared group", job.Stderr);
    }
}
