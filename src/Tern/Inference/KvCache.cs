using Tern.Models;

namespace Tern.Inference;

/// <summary>
/// Keys and values of one sequence, float32, per layer [capacity][kv_heads · head_dim] (RoPE already applied to keys).
/// Each sequence (conversation) owns one; the model itself stays read-only and shared.
/// </summary>
/// <remarks>
/// <see cref="KvCacheType.F16"/> reproduces llama.cpp/bitnet.cpp's default F16 cache numerics: keys and values
/// rounded to F16, queries rounded to F16 for the q·k products, attention probabilities rounded to F16 for the
/// weighted sum of values. Values are kept in float32 arrays holding F16-representable numbers.
/// </remarks>
public sealed class KvCache
{
    private readonly float[][] _k, _v;

    public KvCache(ModelConfig config, int capacity, KvCacheType type = KvCacheType.F32)
    {
        Type = type;
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), "context size must be at least 1");
        Capacity = capacity;
        KvDim = config.KvDim;
        Layers = config.Layers;
        _k = new float[Layers][];
        _v = new float[Layers][];
        for (int l = 0; l < Layers; l++)
        {
            _k[l] = new float[(long)capacity * KvDim];
            _v[l] = new float[(long)capacity * KvDim];
        }
    }

    public KvCacheType Type { get; }
    public int Capacity { get; }
    public int KvDim { get; }
    public int Layers { get; }
    public long Bytes => 2L * Layers * Capacity * KvDim * sizeof(float);

    public Span<float> Key(int layer, int position) => _k[layer].AsSpan(position * KvDim, KvDim);
    public Span<float> Value(int layer, int position) => _v[layer].AsSpan(position * KvDim, KvDim);
    /// <summary>Keys of positions [0, count) of one layer, [count][KvDim].</summary>
    public ReadOnlySpan<float> Keys(int layer, int count) => _k[layer].AsSpan(0, count * KvDim);
    public ReadOnlySpan<float> Values(int layer, int count) => _v[layer].AsSpan(0, count * KvDim);
}

public enum KvCacheType
{
    /// <summary>Float32 throughout: Tern's exact default.</summary>
    F32,
    /// <summary>llama.cpp's default cache numerics (see <see cref="KvCache"/>), for comparisons with bitnet.cpp.</summary>
    F16,
}
