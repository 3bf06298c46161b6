using Tern.Models;

namespace Tern.Inference;

/// <summary>
/// Keys and values of one sequence, per layer [kv_heads][allocated][head_dim] (RoPE already applied to keys), float32,
/// or IEEE halves for <see cref="KvCacheType.F16"/>:
/// each head's keys are contiguous, so attention streams them instead of striding across heads.
/// Each sequence (conversation) owns one; the model itself stays read-only and shared.
/// </summary>
/// <remarks>
/// Memory grows with the positions in use, not with the capacity: storage starts at a small block and doubles (up to
/// <see cref="Capacity"/>) when a forward pass needs a position beyond it, so eight mostly short conversations with a
/// 4096-token context do not hold eight full contexts. Growth copies each head's rows into the larger layout; it
/// happens a logarithmic number of times. A <see cref="KvBudget"/>, when given, is charged for every byte held.
///
/// <see cref="KvCacheType.F16"/> reproduces llama.cpp/bitnet.cpp's default F16 cache numerics: keys and values
/// rounded to F16, queries rounded to F16 for the q·k products, attention probabilities rounded to F16 for the
/// weighted sum of values. They are stored as halves (half the bytes); attention reads them back as the floats they
/// represent exactly (<see cref="ReadKeys"/>), so the numbers are those of rounding float32 storage to F16.
/// </remarks>
public sealed class KvCache : IDisposable
{
    /// <summary>Positions allocated at first use, and the step storage grows by at least.</summary>
    public const int BlockPositions = 64;

    private readonly LayerArrays<float>? _f32;
    private readonly LayerArrays<Half>? _f16;
    private int _allocated;
    private readonly KvBudget? _budget;

    public KvCache(ModelConfig config, int capacity, KvCacheType type = KvCacheType.F32, KvBudget? budget = null)
    {
        Type = type;
        Config = config;
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), "context size must be at least 1");
        Capacity = capacity;
        KvDim = config.KvDim;
        HeadDim = config.HeadDim;
        KvHeads = config.KvHeads;
        Layers = config.Layers;
        _budget = budget;
        if (type == KvCacheType.F16) _f16 = new LayerArrays<Half>(Layers);
        else _f32 = new LayerArrays<float>(Layers);
    }

    public KvCacheType Type { get; }
    public ModelConfig Config { get; }
    /// <summary>The budget this cache is charged to, if any.</summary>
    public KvBudget? Budget => _budget;
    public int Capacity { get; }
    public int KvDim { get; }
    public int HeadDim { get; }
    public int KvHeads { get; }
    public int Layers { get; }

    /// <summary>Positions that have storage now (grows on demand up to <see cref="Capacity"/>).</summary>
    public int Allocated => _allocated;

    /// <summary>Bytes held now.</summary>
    public long Bytes => BytesFor(_allocated);

    /// <summary>
    /// Positions allocated once <paramref name="positions"/> are in use: the smallest <see cref="BlockPositions"/> × 2^k
    /// that holds them, at most <see cref="Capacity"/>. It depends only on the count, not on how the cache grew there,
    /// so a scheduler can reserve exactly what a request will hold.
    /// </summary>
    public int AllocationFor(int positions)
    {
        long size = BlockPositions;
        while (size < positions) size *= 2;
        return (int)Math.Min(Capacity, size);
    }

    /// <summary>Bytes the keys and values of <paramref name="positions"/> positions take.</summary>
    public long BytesFor(int positions) => 2L * Layers * positions * KvDim * (Type == KvCacheType.F16 ? 2 : sizeof(float));

    /// <summary>
    /// Makes positions [0, <paramref name="positions"/>) writable, keeping what [0, <see cref="Allocated"/>) holds.
    /// Throws <see cref="ContextFullException"/> past the capacity and <see cref="KvBudgetExceededException"/> when the
    /// budget cannot cover the growth (the cache is then unchanged). Not thread-safe: call before a forward pass.
    /// </summary>
    public void EnsurePositions(int positions)
    {
        if (positions <= _allocated) return;
        if (positions > Capacity) throw new ContextFullException(positions, Capacity);
        int size = AllocationFor(positions);
        long extra = BytesFor(size) - BytesFor(_allocated);
        _budget?.Take(extra);
        try
        {
            _f32?.Grow(_allocated, size, KvHeads, HeadDim);
            _f16?.Grow(_allocated, size, KvHeads, HeadDim);
        }
        catch
        {
            _budget?.Return(extra);
            throw;
        }
        _allocated = size;
    }


    /// <summary>Copies positions [0, <paramref name="count"/>) of this cache into <paramref name="target"/> (same model and type).</summary>
    public void CopyTo(KvCache target, int count)
    {
        if (target.Layers != Layers || target.KvDim != KvDim || target.Type != Type)
            throw new ArgumentException("the target cache was made for another model or cache type", nameof(target));
        if ((uint)count > (uint)_allocated) throw new ArgumentOutOfRangeException(nameof(count));
        target.EnsurePositions(count);
        _f32?.CopyTo(target._f32!, _allocated, target._allocated, count, KvHeads, HeadDim);
        _f16?.CopyTo(target._f16!, _allocated, target._allocated, count, KvHeads, HeadDim);
    }

    /// <summary>Drops all storage (and returns it to the budget); the cache can grow again afterwards.</summary>
    public void Release()
    {
        _budget?.Return(Bytes);
        _f32?.Clear();
        _f16?.Clear();
        _allocated = 0;
    }

    public void Dispose() => Release();

    /// <summary>Writes one head's key and value at one position (rounded to F16 in an F16 cache).</summary>
    public void Store(int layer, int kvHead, int position, ReadOnlySpan<float> key, ReadOnlySpan<float> value)
    {
        int at = (kvHead * _allocated + position) * HeadDim;
        if (_f32 is { } f)
        {
            key[..HeadDim].CopyTo(f.K[layer].AsSpan(at, HeadDim));
            value[..HeadDim].CopyTo(f.V[layer].AsSpan(at, HeadDim));
        }
        else
        {
            ToHalf(key[..HeadDim], _f16!.K[layer].AsSpan(at, HeadDim));
            ToHalf(value[..HeadDim], _f16.V[layer].AsSpan(at, HeadDim));
        }
    }

    /// <summary>IEEE round-to-nearest-even, element by element (the same rounding as (float)(Half)x).</summary>
    private static void ToHalf(ReadOnlySpan<float> src, Span<Half> dst)
    {
        for (int i = 0; i < src.Length; i++) dst[i] = (Half)src[i];
    }

    /// <summary>
    /// Keys of one head at positions [0, count), [count][head_dim], contiguous: the stored floats, or for an F16 cache
    /// the halves converted (exactly) into <paramref name="scratch"/> from position <paramref name="converted"/> on
    /// (positions before it are taken to be there already: a caller converting the same head for growing counts
    /// converts each position once).
    /// </summary>
    public ReadOnlySpan<float> ReadKeys(int layer, int kvHead, int count, Span<float> scratch, int converted = 0) =>
        Read(_f32?.K[layer], _f16?.K[layer], kvHead, count, scratch, converted);

    public ReadOnlySpan<float> ReadValues(int layer, int kvHead, int count, Span<float> scratch, int converted = 0) =>
        Read(_f32?.V[layer], _f16?.V[layer], kvHead, count, scratch, converted);

    private ReadOnlySpan<float> Read(float[]? f, Half[]? h, int kvHead, int count, Span<float> scratch, int converted)
    {
        int at = kvHead * _allocated * HeadDim;
        if (f is not null) return f.AsSpan(at, count * HeadDim);
        var src = h.AsSpan(at + converted * HeadDim, (count - converted) * HeadDim);
        System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(src, scratch.Slice(converted * HeadDim, src.Length));
        return scratch[..(count * HeadDim)];
    }

    /// <summary>Per-layer key and value arrays of one element type, [kv_heads][allocated][head_dim] each.</summary>
    private sealed class LayerArrays<T>(int layers) where T : unmanaged
    {
        public readonly T[][] K = Enumerable.Range(0, layers).Select(_ => Array.Empty<T>()).ToArray();
        public readonly T[][] V = Enumerable.Range(0, layers).Select(_ => Array.Empty<T>()).ToArray();

        public void Grow(int allocated, int size, int heads, int headDim)
        {
            // All new arrays first, then swap them in: an allocation that fails leaves the cache as it was.
            var k = K.Select(a => Grown(a, allocated, size, heads, headDim)).ToArray();
            var v = V.Select(a => Grown(a, allocated, size, heads, headDim)).ToArray();
            k.CopyTo(K, 0);
            v.CopyTo(V, 0);
        }

        private static T[] Grown(T[] old, int allocated, int size, int heads, int headDim)
        {
            var grown = new T[(long)size * heads * headDim];
            for (int h = 0; h < heads && allocated > 0; h++)
                old.AsSpan(h * allocated * headDim, allocated * headDim).CopyTo(grown.AsSpan(h * size * headDim));
            return grown;
        }

        public void CopyTo(LayerArrays<T> target, int allocated, int targetAllocated, int count, int heads, int headDim)
        {
            for (int l = 0; l < K.Length; l++)
                for (int h = 0; h < heads; h++)
                {
                    K[l].AsSpan(h * allocated * headDim, count * headDim).CopyTo(target.K[l].AsSpan(h * targetAllocated * headDim));
                    V[l].AsSpan(h * allocated * headDim, count * headDim).CopyTo(target.V[l].AsSpan(h * targetAllocated * headDim));
                }
        }

        public void Clear()
        {
            Array.Fill(K, []);
            Array.Fill(V, []);
        }
    }
}

public enum KvCacheType
{
    /// <summary>Float32 throughout: Tern's exact default.</summary>
    F32,
    /// <summary>llama.cpp's default cache numerics (see <see cref="KvCache"/>), for comparisons with bitnet.cpp.</summary>
    F16,
}
