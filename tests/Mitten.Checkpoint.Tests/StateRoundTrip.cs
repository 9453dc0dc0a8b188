using Mitten.Checkpoint.State;

namespace Mitten.Tests.Checkpoint;

/// <summary>Saves a value to a memory stream and restores it with the same registry.</summary>
internal static class StateRoundTrip
{
    public static T Of<T>(T value, StateTypeRegistry types)
    {
        var stream = new MemoryStream();
        StateSerializer.Save(value, stream, types);
        stream.Position = 0;
        return StateSerializer.Restore<T>(stream, types);
    }
}
