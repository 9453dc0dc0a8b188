using System.Runtime.CompilerServices;
using Mitten.GroupComm;
using Mitten.Protocol.Messages;

namespace Mitten.Protocol;

/// <summary>
/// Probes: the received-message-list first (messages drained at a synchronization are older
/// than anything still in MPI from the same sender), then MPI. A blocking probe is polled like a
/// receive, so a process waiting in it takes part in a synchronization and repeats it afterwards.
/// </summary>
internal sealed partial class GroupProtocol
{
    /// <summary>Waits until a message matching <paramref name="source"/> and <paramref name="tag"/> can be received; does not receive it.</summary>
    internal ReceiveStatus Probe<T>(Channel channel, int source, int tag) where T : unmanaged
    {
        CheckTag(tag, allowAny: true);
        while (true)
        {
            if (channel.Received.Count != 0 && TryPeekHeld(channel, source, tag, Unsafe.SizeOf<T>(), out ReceiveStatus held))
            {
                return held;
            }
            Status found;
            for (int spin = 0; spin < FastPolls && !window.SyncFlagSeen; spin++)
            {
                if (channel.Communicator.Iprobe(source, tag, out found) && found.Tag != ControlTag.DrainMarker)
                {
                    return new ReceiveStatus(found.Source, found.Tag, found.GetCount<T>());
                }
            }
            RequestHandle none = default;
            if (WaitPolled(channel, ref none, BlockedOperation.Receive, source, tag, out found, ownerSlot: -1, probe: true) == WaitResult.Completed)
            {
                return new ReceiveStatus(found.Source, found.Tag, found.GetCount<T>());
            }
            // Woken for a synchronization (or it took a drain marker): probe again, the list first.
        }
    }

    /// <summary>Whether a matching message can be received now, without blocking.</summary>
    internal static bool Iprobe<T>(Channel channel, int source, int tag, out ReceiveStatus status) where T : unmanaged
    {
        CheckTag(tag, allowAny: true);
        if (channel.Received.Count != 0 && TryPeekHeld(channel, source, tag, Unsafe.SizeOf<T>(), out status))
        {
            return true;
        }
        // A drain marker is only in flight while this process takes part in a synchronization,
        // never while the application runs; it is not an application message either way.
        if (channel.Communicator.Iprobe(source, tag, out Status found) && found.Tag != ControlTag.DrainMarker)
        {
            status = new ReceiveStatus(found.Source, found.Tag, found.GetCount<T>());
            return true;
        }
        status = default;
        return false;
    }

    /// <summary>
    /// The blocking probe's completion test inside <see cref="WaitPolled"/>: a matching message is
    /// there. A drain marker (seen only by a wildcard-tag probe) is taken, as a wildcard receive
    /// would take it, and reported with its tag so the wait records it and repeats the probe.
    /// </summary>
    private static bool ProbeArrived(Channel channel, int source, int tag, out Status status)
    {
        if (!channel.Communicator.Iprobe(source, tag, out status))
        {
            return false;
        }
        if (status.Tag == ControlTag.DrainMarker)
        {
            channel.Communicator.Recv<byte>(Span<byte>.Empty, status.Source, ControlTag.DrainMarker);
        }
        return true;
    }

    /// <summary>The first held message matching <paramref name="source"/> and <paramref name="tag"/>, without taking it.</summary>
    private static bool TryPeekHeld(Channel channel, int source, int tag, int elementSize, out ReceiveStatus status)
    {
        foreach (var held in channel.Received.Messages)
        {
            if ((source == Mpi.AnySource || held.Source == source) && (tag == Mpi.AnyTag || held.Tag == tag))
            {
                if (held.Payload.Length % elementSize != 0)
                {
                    throw new InvalidOperationException(
                        $"the message's size ({held.Payload.Length} bytes) is not a whole number of {elementSize}-byte elements");
                }
                status = new ReceiveStatus(held.Source, held.Tag, held.Payload.Length / elementSize);
                return true;
            }
        }
        status = default;
        return false;
    }
}
