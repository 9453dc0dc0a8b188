using System.Buffers.Binary;
using System.Globalization;
using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// How a moving rank's state travels to its replacement, in one place for both sides
/// (docs/PROTOCOL.md, "The state transfer"). The state is one byte stream: whatever the
/// application's codec writes, in frames that end its section (<see cref="ApplicationStateWriter"/>),
/// then the received-message-list (an 8-byte length, then its bytes), complete only after the
/// drain; the application's state is final from the moving rank's stop, so its codec may start
/// before the drain (MITTEN_EARLY_STATE, Steps/EarlyState.cs). The codec writes straight into the transport and the replacement's codec
/// reads straight out of it, chunk by chunk, so capture, transfer and restore overlap, no
/// process holds the whole state as one buffer, and the size has no 2 GiB limit.
/// Two routes:
/// <list type="bullet">
/// <item><b>Shared memory</b> (a replacement on the same host): the moving rank writes the
/// stream round a ring in an anonymous memory file (<see cref="StateRing"/>: the taken spare's,
/// prepared while it was idle, or the moving rank's own) and publishes after every write how far
/// it has written (and at the end that the stream is complete) on the ring's control page; the
/// replacement opens the file through /proc/PID/fd/FD, reads what is published and credits what
/// it has read on the same page. A side that waits (the writer for room, the reader for bytes)
/// sleeps on a futex there (<see cref="RingSignal"/>) and is woken by the other side.
/// Nothing stays behind if either process dies.</item>
/// <item><b>TCP</b> (a warm spare on another host): the connection the moving rank opened to the
/// spare's doorbell to take it stays open on both sides and carries the stream in frames
/// (<see cref="TcpStateSender"/>); the kernel's socket buffers pipeline it, directly between the
/// two hosts, without MPI's chunk protocol. MITTEN_STATE_TCP=0 turns it off.</item>
/// <item><b>MPI chunks</b> (a spawned replacement on another host, or MITTEN_STATE_TRANSFER=mpi): chunks of
/// <see cref="ChunkBytes"/> sent with MPI_Isend from a ring of three pinned buffers while the
/// codec fills the next one; the replacement keeps receives posted ahead. Every chunk is full
/// except the last, which is shorter (possibly empty) and ends the stream.</item>
/// </list>
/// Every wait has a deadline: the sender's (a chunk send that does not complete, a replacement
/// that reports a failure) ends in <see cref="StateTransferException"/> and a rollback; the
/// replacement's (a chunk or published bytes that do not come, ABANDON) make it leave.
/// MITTEN_STATE_TRANSFER=auto|mpi|shm|tcp chooses the route (auto: shared memory when the target
/// host is this host, else TCP to a taken spare, else MPI chunks; tcp: TCP to a taken spare also on this host); MITTEN_STATE_CHUNK_BYTES sets the chunk size (default 4 MiB).
/// </summary>
internal static class StateTransfer
{
    internal const int DefaultChunkBytes = 4 << 20;

    /// <summary>The chunk size (MITTEN_STATE_CHUNK_BYTES, default 4 MiB; tests make it small).</summary>
    internal static int ChunkBytes { get; } =
        int.TryParse(Environment.GetEnvironmentVariable("MITTEN_STATE_CHUNK_BYTES"), NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n > 0
            ? n : DefaultChunkBytes;

    /// <summary>Whether the shared-memory route is used for a replacement on <paramref name="sameHost"/>.</summary>
    internal static bool UseSharedMemory(bool sameHost) => Environment.GetEnvironmentVariable("MITTEN_STATE_TRANSFER") switch
    {
        "mpi" or "tcp" => false,
        "shm" => true,
        _ => sameHost && OperatingSystem.IsLinux(),
    };

    /// <summary>
    /// Opens the sending side towards the replacement (rank 0 of <paramref name="inter"/>). Its
    /// <see cref="StateSender.Channel"/> goes into the header, which must be sent before the state.
    /// <paramref name="receiverPid"/>: the replacement's process id when it is known before the
    /// header (a spare taken on this host), so its prepared state ring can be used; 0 otherwise.
    /// A spare taken over its doorbell left that TCP connection open (<see cref="TcpStateConnection"/>):
    /// the state goes over it when the route is not shared memory, unless MITTEN_STATE_TCP=0
    /// (MPI chunks then, as for a spawned replacement).
    /// </summary>
    internal static StateSender OpenSender(Communicator inter, bool sameHost, int receiverPid = 0)
    {
        bool sharedMemory = UseSharedMemory(sameHost);
        System.Net.Sockets.Socket? connection = TcpStateConnection.Take();
        if (connection is not null && TcpStateConnection.Enabled && !sharedMemory)
        {
            return new TcpStateSender(inter, connection, ChunkBytes, receiverPid);
        }
        connection?.Dispose();
        return sharedMemory ? new SharedMemoryStateSender(inter, ChunkBytes, receiverPid) : new MpiChunkStateSender(inter, ChunkBytes);
    }

    /// <summary>Reads <paramref name="stream"/> until it reports its end (Read returns 0); returns how many bytes were skipped.</summary>
    internal static long SkipRest(Stream stream)
    {
        byte[] scratch = new byte[64 * 1024];
        long skipped = 0;
        int n;
        while ((n = stream.Read(scratch)) > 0)
        {
            skipped += n;
        }
        return skipped;
    }

    /// <summary>
    /// Opens the receiving side described by <paramref name="channel"/> (from the header).
    /// <paramref name="leave"/> is called (and must not return) when the moving rank abandons
    /// the migration or a wait expires.
    /// </summary>
    internal static StateReceiver OpenReceiver(Communicator parent, string channel, Action<string> leave)
    {
        // The restore writes into memory the serializer allocates now: huge pages for it (HeapHugePages).
        Spares.HeapHugePages.EnsureAdvised();
        // ... and, on a spare, memory written while it was idle, moved into the large arrays (ReceiveMemory).
        Spares.ReceiveMemory.AwaitPreparing();
        string[] parts = channel.Split(':');
        if (parts[0] != "tcp")
        {
            TcpStateConnection.Drop(); // a taken spare's doorbell connection, not used for this state
        }
        return parts[0] switch
        {
            "shm" => new SharedMemoryStateReceiver(parent, int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture),
                long.Parse(parts[3], CultureInfo.InvariantCulture), leave),
            "mpi" => new MpiChunkStateReceiver(parent, int.Parse(parts[1], CultureInfo.InvariantCulture), leave),
            "tcp" => new TcpStateReceiver(parent, channel, leave),
            _ => throw new InvalidDataException($"unknown state channel '{channel}'"),
        };
    }
}

/// <summary>A failure of the transport itself while sending the state (not of the codec).</summary>
internal sealed class StateTransferException(string message) : Exception(message);

/// <summary>The moving rank's side of one state transfer.</summary>
internal abstract class StateSender : WriteOnlyStream
{
    private long written;

    /// <summary>What the replacement needs to open the receiving side ("shm:PID:FD:RINGBYTES", "tcp:ADDRESS:PORT" or "mpi:CHUNK").</summary>
    internal abstract string Channel { get; }

    /// <summary>The replacement's process id where the route knows it (the shared-memory reader says it on the ring), else 0.</summary>
    internal virtual int ReaderPid => 0;

    /// <summary>Bytes of state sent (the communication state's frame included).</summary>
    internal long BytesSent => written;

    /// <summary>For the trace: the transport's system calls and waits, where it counts them (else empty).</summary>
    internal virtual string TransportStats => "";

    /// <summary>
    /// Streams the application state (written by <paramref name="saveApplicationState"/>, the
    /// codec) and then the communication state, and ends the stream: the whole transfer on this
    /// thread. An exception of the codec passes through unchanged; a failure of the transfer is a
    /// <see cref="StateTransferException"/>.
    /// </summary>
    internal void Send(byte[] communicationState, Action<Stream> saveApplicationState)
    {
        SendApplicationState(saveApplicationState);
        SendCommunicationStateAndEnd(communicationState);
    }

    /// <summary>
    /// The stream's first part: the application's section (<see cref="ApplicationStateWriter"/>),
    /// written by the codec. May run on a thread of its own (<see cref="OffMainThread"/>) while
    /// the protocol's thread drains; the part after it must wait until it has returned.
    /// </summary>
    internal void SendApplicationState(Action<Stream> saveApplicationState)
    {
        var section = new ApplicationStateWriter(this);
        saveApplicationState(section);
        section.End();
    }

    /// <summary>The stream's last part: the received-message-list (an 8-byte length, then its bytes), complete only after the drain; then the end.</summary>
    internal void SendCommunicationStateAndEnd(byte[] communicationState)
    {
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(length, communicationState.Length);
        Write(length);
        Write(communicationState);
        Complete();
    }

    /// <summary>
    /// Set while the application's section is written on a thread other than the one that
    /// initialized MPI (MPI is initialized MPI_THREAD_SINGLE): the transport then makes no MPI
    /// call (no probe for RESTORE_FAILED; the reader's death and the deadline end a wait instead).
    /// </summary>
    internal volatile bool OffMainThread;

    /// <summary>A probe for RESTORE_FAILED, only on the MPI thread (see <see cref="OffMainThread"/>).</summary>
    protected void ThrowIfReplacementFailedOnMainThread(Communicator inter)
    {
        if (!OffMainThread)
        {
            ThrowIfReplacementFailed(inter);
        }
    }

    /// <summary>Takes <paramref name="data"/> into the transport (called for every write).</summary>
    protected abstract void Put(ReadOnlySpan<byte> data);

    /// <summary>Ends the stream and waits until the replacement can read all of it.</summary>
    protected abstract void Complete();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Put(buffer);
        written += buffer.Length;
    }

    protected override long BytesWritten => written;

    /// <summary>
    /// While waiting on the transport: a RESTORE_FAILED from the replacement (it read part of
    /// the stream and its codec failed) ends the transfer; the message stays queued for
    /// AwaitRestoreComplete, which reports it.
    /// </summary>
    protected static void ThrowIfReplacementFailed(Communicator inter)
    {
        if (inter.Iprobe(0, Messages.ControlTag.RestoreFailed, out _))
        {
            throw new StateTransferException("the replacement stopped reading the state");
        }
    }
}

/// <summary>
/// The replacement's side of one state transfer. A large array the codec is about to read gets
/// memory prepared before the state came, where there is some (<see cref="Spares.ReceiveMemory"/>).
/// </summary>
internal abstract class StateReceiver : ReadOnlyForwardStream, global::Mitten.Checkpoint.State.IPreparesReadDestination
{
    private long read;
    private bool ended;

    /// <summary>Bytes of state received so far.</summary>
    internal long BytesReceived => read;

    /// <summary>For the trace: the transport's system calls and waits, where it counts them (else empty).</summary>
    internal virtual string TransportStats => "";

    /// <summary>
    /// Reads the application's section with <paramref name="restoreApplicationState"/> (the
    /// codec), skipping what it left unread of the section; returns how many bytes it skipped.
    /// </summary>
    internal long ReadApplicationState(Action<Stream> restoreApplicationState)
    {
        var section = new ApplicationStateReader(this);
        restoreApplicationState(section);
        return section.SkipToEnd();
    }

    /// <summary>Reads the received-message-list, which follows the application's section.</summary>
    internal byte[] ReadCommunicationState()
    {
        Span<byte> length = stackalloc byte[8];
        ReadExactly(length);
        long n = BinaryPrimitives.ReadInt64LittleEndian(length);
        if (n is < 0 or > int.MaxValue)
        {
            throw new InvalidDataException($"the communication state's length {n} is not valid");
        }
        byte[] bytes = new byte[n];
        ReadExactly(bytes);
        return bytes;
    }

    /// <summary>
    /// After the codec's restore: reads whatever the codec left unread up to the end of the
    /// stream (so the sender's last chunks complete) and returns how many bytes that was.
    /// </summary>
    internal long DrainToEnd() => StateTransfer.SkipRest(this);

    /// <summary>Copies up to <paramref name="destination"/>.Length available bytes; 0 only at the end of the stream.</summary>
    protected abstract int Take(Span<byte> destination);

    public override int Read(Span<byte> buffer)
    {
        if (ended || buffer.IsEmpty)
        {
            return 0;
        }
        int n = Take(buffer);
        ended = n == 0;
        read += n;
        return n;
    }

    protected override long BytesRead => read;

    /// <summary>Releases the transport (the stream itself ignores Dispose, see <see cref="ReadOnlyForwardStream"/>) and the prepared memory the restore did not use.</summary>
    internal void Release()
    {
        ReleaseTransport();
        Spares.ReceiveMemory.Release();
    }

    /// <summary>Releases the transport.</summary>
    protected abstract void ReleaseTransport();

    /// <summary>Whether a state array about to be read gets prepared pages moved in (MITTEN_PLACE_STATE_ARRAYS, default 1).</summary>
    private static readonly bool PlaceStateArrays = Environment.GetEnvironmentVariable("MITTEN_PLACE_STATE_ARRAYS") != "0";

    void global::Mitten.Checkpoint.State.IPreparesReadDestination.PrepareDestination(Span<byte> destination)
    {
        if (PlaceStateArrays)
        {
            _ = Spares.ReceiveMemory.Place(destination);
        }
    }

    /// <summary>The deadline of one wait for the next chunk or published bytes (the same limit as the other messages from the moving rank).</summary>
    protected static Deadline NextChunkDeadline() =>
        Deadline.After(ProtocolTimeouts.Step + ProtocolTimeouts.Restore, "the next part of the state from the moving rank");

    /// <summary>ABANDON from the moving rank (it rolled back).</summary>
    protected static bool Abandoned(Communicator parent) => parent.Iprobe(0, Messages.ControlTag.Abandon, out _);
}
