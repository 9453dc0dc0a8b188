namespace Mitten.Checkpoint.Integrity;

/// <summary>CRC-32 (IEEE 802.3 polynomial, reflected), for detecting damaged state data.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[i] = c;
        }
        return table;
    }

    /// <summary>Continues a running CRC over <paramref name="data"/> (start with 0).</summary>
    internal static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data)
        {
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        }
        return ~c;
    }

    /// <summary>The CRC of <paramref name="data"/>.</summary>
    internal static uint HashToUInt32(ReadOnlySpan<byte> data) => Append(0, data);
}
