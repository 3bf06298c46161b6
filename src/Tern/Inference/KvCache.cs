using Tern.Models;

namespace Tern.Inference;

/// <summary>
/// Keys and values of one sequence, float32, per layer [kv_heads][capacity][head_dim] (RoPE already applied to keys):
/// each head's keys are contiguous, so attention streams them instead of striding across heads.
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
        HeadDim = config.HeadDim;
        KvHeads = config.KvHeads;
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
    public int HeadDim { get; }
    public int KvHeads { get; }
    public int Layers { get; }
    public long Bytes => 2L * Layers * Capacity * KvDim * sizeof(float);

    /// <summary>Key of one head at one position, [head_dim].</summary>
    public Span<float> Key(int layer, int kvHead, int position) => _k[layer].AsSpan((kvHead * Capacity + position) * HeadDim, HeadDim);
    public Span<float> Value(int layer, int kvHead, int position) => _v[layer].AsSpan((kvHead * Capacity + position) * HeadDim, HeadDim);
    /// <summary>Keys of one head at positions [0, count), [count][head_dim], contiguous.</summary>
    public ReadOnlySpan<float> Keys(int layer, int kvHead, int count) => _k[layer].AsSpan(kvHead * Capacity * HeadDim, count * HeadDim);
    public ReadOnlySpan<float> Values(int layer, int kvHead, int count) => _v[layer].AsSpan(kvHead * Capacity * HeadDim, count * HeadDim);
}

public enum KvCacheType
{
    /// <summary>Float32 throughout: Tern's exact default.</summary>
    F32,
    /// <summary>llama.cpp's default cache numerics (see <see cref="KvCache"/>), for comparisons with bitnet.cpp.</summary>
    F16,
}
