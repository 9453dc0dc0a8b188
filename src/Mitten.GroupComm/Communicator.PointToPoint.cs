using Mitten.GroupComm.Native;

namespace Mitten.GroupComm;

public sealed unsafe partial class Communicator
{
    /// <summary>Blocking standard-mode send of <paramref name="data"/> to <paramref name="destination"/>.</summary>
    public void Send<T>(ReadOnlySpan<T> data, int destination, int tag) where T : unmanaged
    {
        fixed (T* p = data)
        {
            MpiException.Check(MpiFunctions.Send(p, Datatype<T>.Count(data.Length), Datatype<T>.Handle, destination, tag, Handle), "MPI_Send");
        }
    }

    /// <summary>Sends one value.</summary>
    public void Send<T>(T value, int destination, int tag) where T : unmanaged =>
        Send(new ReadOnlySpan<T>(in value), destination, tag);

    /// <summary>Blocking synchronous send: returns once the receiver has started receiving.</summary>
    public void Ssend<T>(ReadOnlySpan<T> data, int destination, int tag) where T : unmanaged
    {
        fixed (T* p = data)
        {
            MpiException.Check(MpiFunctions.Ssend(p, Datatype<T>.Count(data.Length), Datatype<T>.Handle, destination, tag, Handle), "MPI_Ssend");
        }
    }

    /// <summary>
    /// Blocking receive into <paramref name="buffer"/> from <paramref name="source"/> (or
    /// <see cref="Mpi.AnySource"/>) with <paramref name="tag"/> (or <see cref="Mpi.AnyTag"/>).
    /// A message longer than the buffer raises an error of class <see cref="MpiErrorClass.Truncate"/>.
    /// </summary>
    public Status Recv<T>(Span<T> buffer, int source, int tag) where T : unmanaged
    {
        Status status = default;
        fixed (T* p = buffer)
        {
            MpiException.Check(MpiFunctions.Recv(p, Datatype<T>.Count(buffer.Length), Datatype<T>.Handle, source, tag, Handle, &status.Raw), "MPI_Recv");
        }
        return status;
    }

    /// <summary>Receives one value.</summary>
    public T Recv<T>(int source, int tag) where T : unmanaged
    {
        T value = default;
        Recv(new Span<T>(ref value), source, tag);
        return value;
    }

    /// <summary>Sends and receives in one call (deadlock-free exchange).</summary>
    public Status Sendrecv<TSend, TReceive>(ReadOnlySpan<TSend> send, int destination, int sendTag,
        Span<TReceive> receive, int source, int receiveTag)
        where TSend : unmanaged where TReceive : unmanaged
    {
        Status status = default;
        fixed (TSend* s = send)
        fixed (TReceive* r = receive)
        {
            MpiException.Check(MpiFunctions.Sendrecv(
                s, Datatype<TSend>.Count(send.Length), Datatype<TSend>.Handle, destination, sendTag,
                r, Datatype<TReceive>.Count(receive.Length), Datatype<TReceive>.Handle, source, receiveTag,
                Handle, &status.Raw), "MPI_Sendrecv");
        }
        return status;
    }

    /// <summary>
    /// Non-blocking send. The buffer is pinned by the returned request until it completes;
    /// do not change it before then.
    /// </summary>
    public Request Isend<T>(ReadOnlyMemory<T> data, int destination, int tag) where T : unmanaged
    {
        var pin = data.Pin();
        nint request;
        int rc = MpiFunctions.Isend(pin.Pointer, Datatype<T>.Count(data.Length), Datatype<T>.Handle, destination, tag, Handle, &request);
        return Request.Started(rc, "MPI_Isend", request, pin);
    }

    /// <summary>Non-blocking synchronous send; the buffer stays pinned until completion.</summary>
    public Request Issend<T>(ReadOnlyMemory<T> data, int destination, int tag) where T : unmanaged
    {
        var pin = data.Pin();
        nint request;
        int rc = MpiFunctions.Issend(pin.Pointer, Datatype<T>.Count(data.Length), Datatype<T>.Handle, destination, tag, Handle, &request);
        return Request.Started(rc, "MPI_Issend", request, pin);
    }

    /// <summary>Non-blocking receive; the buffer stays pinned until the request completes.</summary>
    public Request Irecv<T>(Memory<T> buffer, int source, int tag) where T : unmanaged
    {
        var pin = buffer.Pin();
        nint request;
        int rc = MpiFunctions.Irecv(pin.Pointer, Datatype<T>.Count(buffer.Length), Datatype<T>.Handle, source, tag, Handle, &request);
        return Request.Started(rc, "MPI_Irecv", request, pin);
    }

    /// <summary>Blocks until a matching message can be received, and describes it.</summary>
    public Status Probe(int source, int tag)
    {
        Status status = default;
        MpiException.Check(MpiFunctions.Probe(source, tag, Handle, &status.Raw), "MPI_Probe");
        return status;
    }

    /// <summary>Whether a matching message can be received now; <paramref name="status"/> describes it.</summary>
    public bool Iprobe(int source, int tag, out Status status)
    {
        status = default;
        int flag;
        fixed (Status.Storage* s = &status.Raw)
        {
            MpiException.Check(MpiFunctions.Iprobe(source, tag, Handle, &flag, s), "MPI_Iprobe");
        }
        return flag != 0;
    }
}
