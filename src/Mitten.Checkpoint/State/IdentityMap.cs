using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Mitten.Checkpoint.State;

/// <summary>
/// The writer's object table: gives every object met during one save a logical id (1, 2, ...
/// in first-met order) and finds the id again by reference identity. Open addressing with
/// linear probing over one <c>long</c> per slot (identity hash in the high half, id in the low
/// half), so a lookup usually touches one cache line of the table; the objects themselves are
/// kept in id order and only compared when the stored hash matches.
/// </summary>
internal sealed class IdentityMap
{
    private const int InitialSlots = 1 << 12;
    private long[] slots = RentCleared(InitialSlots);
    private int shift = 32 - BitOperations.Log2(InitialSlots);
    private readonly PooledList<object> byId = new(InitialSlots / 2);
    private int hashed;                 // entries in the hash table

    /// <summary>Objects added so far (the highest id given).</summary>
    public int Count => byId.Count;

    /// <summary>The object with id <paramref name="id"/> (1-based).</summary>
    public object this[int id] => byId[id - 1];

    /// <summary>
    /// The id of <paramref name="value"/>; when it was not in the table it is added with the next
    /// id and <paramref name="added"/> is true.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int GetOrAdd(object value, out bool added)
    {
        uint hash = (uint)RuntimeHelpers.GetHashCode(value);
        int index = Home(hash, shift);
        long[] table = slots;
        while (true)
        {
            long slot = table[index];
            if (slot == 0)
            {
                break;
            }
            if ((uint)(slot >>> 32) == hash && ReferenceEquals(byId[(int)slot - 1], value))
            {
                added = false;
                return (int)slot;
            }
            index = (index + 1) & (table.Length - 1);
        }
        added = true;
        return Add(value, hash, index);
    }

    /// <summary>True when <paramref name="id"/> is the id given to <paramref name="value"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool Holds(int id, object value) => (uint)(id - 1) < (uint)byId.Count && ReferenceEquals(byId[id - 1], value);

    /// <summary>
    /// Gives <paramref name="value"/> the next id without entering it in the hash table (for objects
    /// whose id is found through their mark; <see cref="Holds"/> confirms it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Append(object value)
    {
        byId.Add(value);
        return byId.Count;
    }

    private int Add(object value, uint hash, int index)
    {
        int id = Append(value);
        slots[index] = ((long)hash << 32) | (uint)id;
        if (++hashed > slots.Length / 2)
        {
            Grow();
        }
        return id;
    }

    /// <summary>Gives the tables back to the pool; the map must not be used afterwards.</summary>
    public void Release()
    {
        byId.Release();
        long[] table = slots;
        slots = [];
        if (table.Length > 0)
        {
            ArrayPool<long>.Shared.Return(table);
        }
    }

    private static long[] RentCleared(int length)
    {
        long[] table = ArrayPool<long>.Shared.Rent(length);
        Array.Clear(table);
        return table;
    }

    private void Grow()
    {
        long[] old = slots;
        long[] table = RentCleared(old.Length * 2);
        shift = 32 - BitOperations.Log2((uint)table.Length);
        int mask = table.Length - 1;
        foreach (long slot in old)
        {
            if (slot == 0)
            {
                continue;
            }
            int index = Home((uint)(slot >>> 32), shift);
            while (table[index] != 0)
            {
                index = (index + 1) & mask;
            }
            table[index] = slot;
        }
        slots = table;
        ArrayPool<long>.Shared.Return(old);
    }

    /// <summary>Fibonacci hashing: the top bits of hash * 2^32/phi (identity hashes have weak low bits).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Home(uint hash, int shift) => (int)((hash * 0x9E3779B9u) >> shift);
}
