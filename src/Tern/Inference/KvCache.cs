using Tern.Models;

namespace Tern.Inference;

/// <summary>
/// Keys and values of one sequence, float32, per layer [kv_heads][allocated][head_dim] (RoPE already applied to keys):
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
/// weighted sum of values. Values are kept in float32 arrays holding F16-representable numbers.
/// </remarks>
public sealed class KvCache : IDisposable
{
    /// <summary>Positions allocated at first use, and the step storage grows by at least.</summary>
    public const int BlockPositions = 64;

    private float[][] _k, _v;
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
        _k = new float[Layers][];
        _v = new float[Layers][];
        for (int l = 0; l < Layers; l++) { _k[l] = []; _v[l] = []; }
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
    public long BytesFor(int positions) => 2L * Layers * positions * KvDim * sizeof(float);

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
            for (int l = 0; l < Layers; l++)
            {
                _k[l] = Grow(_k[l], size);
                _v[l] = Grow(_v[l], size);
            }
        }
        catch
        {
            _budget?.Return(extra);
            throw;
        }
        _allocated = size;
    }

    private float[] Grow(float[] old, int size)
    {
        var grown = new float[(long)size * KvDim];
        for (int h = 0; h < KvHeads && _allocated > 0; h++)
            old.AsSpan(h * _allocated * HeadDim, _allocated * HeadDim).CopyTo(grown.AsSpan(h * size * HeadDim));
        return grown;
    }

    /// <summary>Copies positions [0, <paramref name="count"/>) of this cache into <paramref name="target"/> (same model and type).</summary>
    public void CopyTo(KvCache target, int count)
    {
        if (target.Layers != Layers || target.KvDim != KvDim || target.Type != Type)
            throw new ArgumentException("the target cache was made for another model or cache type", nameof(target));
        if ((uint)count > (uint)_allocated) throw new ArgumentOutOfRangeException(nameof(count));
        target.EnsurePositions(count);
        for (int l = 0; l < Layers; l++)
            for (int h = 0; h < KvHeads; h++)
            {
                _k[l].AsSpan(h * _allocated * HeadDim, count * HeadDim).CopyTo(target._k[l].AsSpan(h * target._allocated * HeadDim));
                _v[l].AsSpan(h * _allocated * HeadDim, count * HeadDim).CopyTo(target._v[l].AsSpan(h * target._allocated * HeadDim));
            }
    }

    /// <summary>Drops all storage (and returns it to the budget); the cache can grow again afterwards.</summary>
    public void Release()
    {
        _budget?.Return(Bytes);
        for (int l = 0; l < Layers; l++) { _k[l] = []; _v[l] = []; }
        _allocated = 0;
    }

    public void Dispose() => Release();

    /// <summary>Key of one head at one position, [head_dim].</summary>
    public Span<float> Key(int layer, int kvHead, int position) => _k[layer].AsSpan((kvHead * _allocated + position) * HeadDim, HeadDim);
    public Span<float> Value(int layer, int kvHead, int position) => _v[layer].AsSpan((kvHead * _allocated + position) * HeadDim, HeadDim);
    /// <summary>Keys of one head at positions [0, count), [count][head_dim], contiguous.</summary>
    public ReadOnlySpan<float> Keys(int layer, int kvHead, int count) => _k[layer].AsSpan(kvHead * _allocated * HeadDim, count * HeadDim);
    public ReadOnlySpan<float> Values(int layer, int kvHead, int count) => _v[layer].AsSpan(kvHead * _allocated * HeadDim, count * HeadDim);
}

public enum KvCacheType
{
    /// <summary>Float32 throughout: Tern's exact default.</summary>
    F32,
    /// <summary>llama.cpp's default cache numerics (see <see cref="KvCache"/>), for comparisons with bitnet.cpp.</summary>
    F16,
}
