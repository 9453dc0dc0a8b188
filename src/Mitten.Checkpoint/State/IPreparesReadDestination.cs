namespace Mitten.Checkpoint.State;

/// <summary>
/// A source stream that can prepare the memory a large block is about to be read into (the
/// state transfer's receiving side puts memory it made ready beforehand there, so the read does
/// not pay the first touch of fresh pages). <see cref="StateReader"/> calls it once per block
/// frame, before reading the block; the block then overwrites every byte of the destination,
/// so an implementation may replace the destination's pages but must keep its address.
/// </summary>
internal interface IPreparesReadDestination
{
    /// <summary>Prepares <paramref name="destination"/> (the elements of one array of unmanaged values, about to be overwritten whole).</summary>
    void PrepareDestination(Span<byte> destination);
}
