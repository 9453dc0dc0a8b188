using Mitten.Tests.Support;
using Xunit;

namespace Mitten.Tests.GroupComm;

/// <summary>
/// The typed binding against the real Open MPI library: each test is one mpiexec job of the
/// GroupCommDriver whose ranks check themselves; the same scenario runs at several sizes.
/// </summary>
public class BindingTests
{
    private static MpiJob Run(string scenario, int ranks) =>
        MpiJob.Run(ranks, MpiJob.Driver("GroupCommDriver"), [scenario]);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Environment_init_finalize_time_and_names(int ranks)
    {
        var job = Run("env", ranks);
        JobAssert.Clean(job, ranks * 9);
        foreach (string name in new[] { "thread-level", "initialized", "wtime", "processor-name", "init-twice", "finalized" })
        {
            JobAssert.OkOnRanks(job, name, ranks);
        }
        Assert.Equal(ranks, job.LinesStartingWith("RANK ").Distinct().Count());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Communicators_and_groups(int ranks)
    {
        var job = Run("comm", ranks);
        JobAssert.Clean(job, ranks * 20);
        foreach (string name in new[] { "dup-congruent", "split-size", "split-rank", "group-translate", "group-incl-rank",
                     "create-member", "use-after-free", "world-survives-dispose",
                     "cart-rank", "cart-shift-source", "cart-shift-destination", "cart-left-out" })
        {
            JobAssert.OkOnRanks(job, name, ranks);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Point_to_point_requests_and_probes(int ranks)
    {
        var job = Run("p2p", ranks);
        JobAssert.Clean(job, ranks * 24);
        foreach (string name in new[] { "ring-send-recv", "sendrecv", "issend", "isend-irecv-waitall", "waitany-value",
                     "testany-nothing-yet", "testany-value", "cancel", "probe-count", "iprobe-found", "any-source-recv", "struct-send" })
        {
            JobAssert.OkOnRanks(job, name, ranks);
        }
        if (ranks > 1)
        {
            JobAssert.OkOnRanks(job, "ssend", ranks);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void Collectives_with_predefined_operations(int ranks)
    {
        var job = Run("coll", ranks);
        JobAssert.Clean(job, ranks * 20);
        foreach (string name in new[] { "bcast", "allreduce-max", "allreduce-in-place", "scatter", "scatterv", "allgather", "allgatherv",
                     "alltoall", "alltoallv", "scan", "reduce-scatter-block", "reduce-struct-rejected" })
        {
            JobAssert.OkOnRanks(job, name, ranks);
        }
        JobAssert.OkOnRanks(job, "gather", 1);
        JobAssert.OkOnRanks(job, "gatherv", 1);
        JobAssert.OkOnRanks(job, "reduce-sum", 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void One_sided_windows(int ranks)
    {
        var job = Run("rma", ranks);
        JobAssert.Clean(job, ranks * 8);
        foreach (string name in new[] { "put-exclusive", "get-shared", "fetch-and-op-unique", "get-accumulate-total",
                     "compare-and-swap-one-winner", "win-create-put", "win-use-after-free" })
        {
            JobAssert.OkOnRanks(job, name, ranks);
        }
        JobAssert.OkOnRanks(job, "accumulate-sum", 1);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Spawn_merge_and_disconnect_exit_cleanly(int ranks)
    {
        var job = Run("spawn", ranks);
        // Clean: exit 0 and nothing on stderr, with spawn, intercommunicators and windows used.
        JobAssert.Clean(job, ranks * 9);
        foreach (string name in new[] { "info-get", "spawn-codes", "spawn-remote-size", "merge-size", "merge-rank", "merge-allreduce",
                     "merge-children-last", "disconnected" })
        {
            JobAssert.OkOnRanks(job, name, ranks);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Bad_input_is_a_catchable_error_and_the_job_survives(int ranks)
    {
        var job = Run("errors", ranks);
        JobAssert.Clean(job, ranks * 12);
        foreach (string name in new[] { "invalid-rank", "invalid-tag", "negative-count", "short-receive-buffer", "alltoall-short-receive",
                     "layout-length", "truncate", "use-after-free", "disconnect-world", "spawn-missing-executable", "survives" })
        {
            JobAssert.OkOnRanks(job, name, ranks);
        }
        Assert.Contains("MPI_ERR_RANK", job.Stdout);
        Assert.Contains("does not exist or is not executable", job.Stdout);
    }

    [Fact]
    public void Blocking_send_and_receive_allocate_nothing_in_steady_state()
    {
        var job = Run("alloc", 2);
        JobAssert.Clean(job, 2);
        JobAssert.OkOnRanks(job, "zero-allocation-send-recv", 2);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void A_receive_blocked_in_MPI_Wait_is_interrupted_by_its_flag_word_and_loses_nothing(int ranks)
    {
        var job = Run("interruptible", ranks);
        if (System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
        {
            JobAssert.Clean(job, ranks);
            JobAssert.OkOnRanks(job, "hook-absent-says-why", ranks);
            return;
        }
        JobAssert.Clean(job, ranks * 17);
        foreach (string name in new[] { "hook-installed", "install-twice", "message-not-cancelled", "message-value", "message-no-interrupt",
                     "interrupted-cancelled", "interrupted-after-the-flag", "interrupted-counted", "preset-cancelled", "preset-prompt",
                     "matched-not-cancelled", "matched-value", "after-cancel-value", "iprobe-nothing-left" })
        {
            JobAssert.OkOnRanks(job, name, ranks);
        }
    }
}
