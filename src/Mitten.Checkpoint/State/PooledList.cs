using System.Buffers;
using System.Runtime.CompilerServices;

namespace Mitten.Checkpoint.State;

/// <summary>
/// A growable list whose storage comes from <see cref="ArrayPool{T}.Shared"/> and goes back there
/// (cleared) on <see cref="Release"/>, so the per-object tables of a large save or restore are not
/// fresh large-object-heap arrays every time (each of which may cost a full garbage collection).
/// </summary>
internal sealed class PooledList<T>
{
    private T[] items;
    private int count;

    public PooledList(int capacity = 256)
    {
        items = ArrayPool<T>.Shared.Rent(capacity);
    }

    public int Count => count;

    public ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            if ((uint)index >= (uint)count)
            {
                ThrowIndex();
            }
            return ref items[index];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(T item)
    {
        T[] array = items;
        int n = count;
        if ((uint)n < (uint)array.Length)
        {
            array[n] = item;
            count = n + 1;
            return;
        }
        AddWithGrowth(item);
    }

    /// <summary>Removes and returns the last item (the list used as a stack).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public T Pop()
    {
        if (count == 0)
        {
            ThrowIndex();
        }
        return items[--count];
    }

    /// <summary>Gives the storage back to the pool; the list is empty (and stays usable) afterwards.</summary>
    public void Release()
    {
        T[] array = items;
        items = [];
        if (array.Length > 0)
        {
            ArrayPool<T>.Shared.Return(array, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
        }
        count = 0;
    }

    private void AddWithGrowth(T item)
    {
        T[] larger = ArrayPool<T>.Shared.Rent(Math.Max(256, count * 2));
        Array.Copy(items, larger, count);
        T[] old = items;
        items = larger;
        if (old.Length > 0)
        {
            ArrayPool<T>.Shared.Return(old, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
        }
        items[count++] = item;
    }

    private static void ThrowIndex() => throw new ArgumentOutOfRangeException("index");
}
