namespace Mitten;

/// <summary>What a Mitten receive got: sender, tag and element count.</summary>
/// <param name="Source">Rank of the sender.</param>
/// <param name="Tag">Tag of the message.</param>
/// <param name="Count">Number of elements received.</param>
public readonly record struct ReceiveStatus(int Source, int Tag, int Count);
