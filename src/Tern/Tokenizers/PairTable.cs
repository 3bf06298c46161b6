using System.Runtime.CompilerServices;

namespace Tern.Tokenizers;

/// <summary>
/// Maps a pair of token ids to a merge (its rank and the token it makes): an open-addressing hash table with linear
/// probing. A general Dictionary&lt;long, …&gt; is several times slower here because long.GetHashCode is
/// <c>low ^ high</c>, which sends the pair (a, b) to the same bucket as every (c, d) with c ^ d == a ^ b.
/// </summary>
internal sealed class PairTable
{
    private const long Empty = -1; // keys of valid pairs are never negative
    private readonly long[] _keys;
    private readonly long[] _values; // (rank << 32) | result
    private readonly int _mask;

    public PairTable(int capacity)
    {
        int size = 16;
        while (size < capacity + capacity / 2) size <<= 1; // load factor ≤ 2/3 (LLaMA-3: 280k merges in 512k slots, 8 MB)
        _keys = new long[size];
        _values = new long[size];
        _mask = size - 1;
        Array.Fill(_keys, Empty);
    }

    public int Count { get; private set; }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    // Fibonacci hashing: the multiply spreads both halves of the key over the high bits.
    private int Slot(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> 32) & _mask;

    /// <summary>Adds the pair unless it is already present (the first, best-ranked merge wins). Ids must be ≥ 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // into the once-per-model build loop, which is compiled optimized at once
    public bool TryAdd(int left, int right, int rank, int result)
    {
        long key = Key(left, right);
        for (int i = Slot(key); ; i = (i + 1) & _mask)
        {
            if (_keys[i] == key) return false;
            if (_keys[i] == Empty)
            {
                if (Count + 1 > (_mask + 1) / 3 * 2) throw new InvalidOperationException("pair table is full");
                _keys[i] = key;
                _values[i] = ((long)rank << 32) | (uint)result;
                Count++;
                return true;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(int left, int right, out int rank, out int result)
    {
        if ((left | right) < 0)
        {
            rank = result = 0;
            return false;
        }
        long key = Key(left, right);
        for (int i = Slot(key); ; i = (i + 1) & _mask)
        {
            long k = _keys[i];
            if (k == key)
            {
                long v = _values[i];
                rank = (int)(v >> 32);
                result = (int)v;
                return true;
            }
            if (k == Empty)
            {
                rank = result = 0;
                return false;
            }
        }
    }
}
