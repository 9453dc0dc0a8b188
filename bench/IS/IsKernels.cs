using System.Runtime.CompilerServices;

namespace Mitten.Bench.IS;

/// <summary>
/// The passes of one IS iteration that touch every key, each in a method of its own. Inside the
/// large <c>RankKeys</c> the JIT ran out of registers: its listing reloaded the base pointers
/// and the loop bound from the stack on every pass and took an extra jump per pass. Here each
/// loop has a handful of locals, all in registers, works on raw pointers (the callers pin the
/// arrays with <c>fixed</c>; they are large, so the GC does not move them anyway), and counts
/// with a native-sized index, so no sign extension and no bounds check remain.
/// Every method is compiled fully optimized on first use (<see cref="MethodImplOptions.AggressiveOptimization"/>),
/// which happens in the untimed first iteration, and is kept out of line
/// (<see cref="MethodImplOptions.NoInlining"/>) so that it keeps its own register allocation.
/// Key values index the count arrays unchecked: they are in [0, MaxKey) by construction
/// (generator and bucket ranges), as in the original.
/// <c>scripts/bench.sh iskernel</c> compares these loops with the same ones in C
/// (<c>bench/native/is.c</c>); bench/RESULTS.md records what the JIT makes of each.
/// </summary>
internal static unsafe class IsKernels
{
    private const MethodImplOptions Kernel = MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization;

    /// <summary>counts[key &gt;&gt; shift]++ for every key.</summary>
    [MethodImpl(Kernel)]
    internal static void CountBuckets(int* keys, nint count, int* counts, int shift)
    {
        // Keys are non-negative: unsigned, their indices need no sign extension.
        uint* unsignedKeys = (uint*)keys;
        int s = shift & 31;
        nint i = 0;
        for (; i <= count - 4; i += 4)
        {
            uint k0 = unsignedKeys[i], k1 = unsignedKeys[i + 1], k2 = unsignedKeys[i + 2], k3 = unsignedKeys[i + 3];
            counts[k0 >> s]++;
            counts[k1 >> s]++;
            counts[k2 >> s]++;
            counts[k3 >> s]++;
        }
        for (; i < count; i++)
        {
            counts[unsignedKeys[i] >> s]++;
        }
    }

    /// <summary>pointers[i] = sum of counts[0..i) (exclusive prefix sum), for i in [0, buckets).</summary>
    [MethodImpl(Kernel)]
    internal static void ExclusivePrefixSum(int* counts, int* pointers, nint buckets)
    {
        int sum = 0;
        for (nint i = 0; i < buckets; i++)
        {
            pointers[i] = sum;
            sum += counts[i];
        }
    }

    /// <summary>Places every key at its bucket's running position: bucketKeys[pointers[key &gt;&gt; shift]++] = key.</summary>
    [MethodImpl(Kernel)]
    internal static void ScatterToBuckets(int* keys, nint count, int* pointers, int* bucketKeys, int shift)
    {
        // Keys and positions are non-negative: unsigned, their indices need no sign extension.
        uint* unsignedKeys = (uint*)keys;
        uint* positions = (uint*)pointers;
        uint* target = (uint*)bucketKeys;
        int s = shift & 31;
        nint i = 0;
        for (; i <= count - 2; i += 2)
        {
            uint k0 = unsignedKeys[i], k1 = unsignedKeys[i + 1];
            target[positions[k0 >> s]++] = k0;
            target[positions[k1 >> s]++] = k1;
        }
        for (; i < count; i++)
        {
            uint key = unsignedKeys[i];
            target[positions[key >> s]++] = key;
        }
    }

    /// <summary>counts[key - minKey]++ for every key (all keys in [minKey, minKey + range)).</summary>
    [MethodImpl(Kernel)]
    internal static void CountKeys(int* keys, nint count, int* counts, int minKey)
    {
        int* shifted = counts - minKey; // never dereferenced outside [counts, counts + range)
        uint* unsignedKeys = (uint*)keys; // keys are non-negative: no sign extension
        nint i = 0;
        for (; i <= count - 4; i += 4)
        {
            uint k0 = unsignedKeys[i], k1 = unsignedKeys[i + 1], k2 = unsignedKeys[i + 2], k3 = unsignedKeys[i + 3];
            shifted[k0]++;
            shifted[k1]++;
            shifted[k2]++;
            shifted[k3]++;
        }
        for (; i < count; i++)
        {
            shifted[unsignedKeys[i]]++;
        }
    }

    /// <summary>values[i] = values[0] + ... + values[i] in place (inclusive prefix sum), the running sum in a register.</summary>
    [MethodImpl(Kernel)]
    internal static void InclusivePrefixSum(int* values, nint length)
    {
        int sum = 0;
        nint i = 0;
        for (; i <= length - 4; i += 4)
        {
            sum += values[i];
            values[i] = sum;
            sum += values[i + 1];
            values[i + 1] = sum;
            sum += values[i + 2];
            values[i + 2] = sum;
            sum += values[i + 3];
            values[i + 3] = sum;
        }
        for (; i < length; i++)
        {
            sum += values[i];
            values[i] = sum;
        }
    }
}
