using Tern.Models;
using Tern.Models.Layers;
using Tern.Threading;

namespace Tern.Inference;

/// <summary>
/// The working buffers and basic operations of one forward pass over a batch of tokens (possibly from several
/// sequences). Architectures compose these operations; every operation treats each token independently, in a fixed
/// order, so a token's result is the same whether it is computed alone or in a batch, and on any number of threads.
/// One file per concern: this one holds the batch and its buffers; ForwardState.Norm (fused add/activation, RMSNorm
/// and quantization), .Elementwise (FFN activation, residual add), .Rope, .Attention (KV store and attention) and
/// .MatMul (how products are split across threads). The float arithmetic itself is in Kernels/Float.
/// </summary>
public sealed partial class ForwardState
{
    private readonly MatMulJob _matMul = new();
    private readonly StackedMatMulJob _stacked = new();
    private readonly AttentionJob _attention = new();
    private BatchToken[] _batch = [];

    internal ForwardState(ModelConfig config, WorkerPool pool)
    {
        Config = config;
        Pool = pool;
        _attention.State = this;
    }

    public ModelConfig Config { get; }
    /// <summary>The model's per-pair RoPE divisors (rope_freqs.weight), or null.</summary>
    public float[]? RopeFreqs { get; init; }
    public WorkerPool Pool { get; }
    public int Count { get; private set; }
    public ReadOnlySpan<BatchToken> Batch => _batch.AsSpan(0, Count);

    // Buffers, [Count][width] row-major.
    public float[] X = [];        // residual stream [dim]
    public float[] Q = [];        // [heads · head_dim]
    public float[] K = [];        // [kv_heads · head_dim]
    public float[] V = [];        // [kv_heads · head_dim]
    public float[] Attn = [];     // attention output [heads · head_dim]
    public float[] Tmp = [];      // projection output [dim]
    public float[] Gate = [];     // [ffn]
    public float[] Up = [];       // [ffn]
    public readonly LinearInput In = new();     // normalized input of the next projections

    internal void Begin(ReadOnlySpan<BatchToken> batch)
    {
        Count = batch.Length;
        if (_batch.Length < Count) _batch = new BatchToken[Count];
        batch.CopyTo(_batch);
        _ropeAngles = false; // the positions changed: Rope computes their cos/sin again, once for all layers
        var c = Config;
        Ensure(ref X, c.Dim); Ensure(ref Q, c.QDim); Ensure(ref K, c.KvDim); Ensure(ref V, c.KvDim);
        Ensure(ref Attn, c.QDim); Ensure(ref Tmp, c.Dim); Ensure(ref Gate, c.FfnDim); Ensure(ref Up, c.FfnDim);
    }

    private void Ensure(ref float[] buffer, int width)
    {
        if (buffer.Length < Count * width) buffer = new float[Count * width];
    }

    public Span<float> Rows(float[] buffer, int width) => buffer.AsSpan(0, Count * width);
}
