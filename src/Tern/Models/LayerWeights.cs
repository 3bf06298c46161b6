using Tern.Models.Layers;

namespace Tern.Models;

/// <summary>The weights of one transformer block. Norm gains are float32 copies (tiny); projections are views into the file.</summary>
public sealed class LayerWeights
{
    public float[]? AttnNorm { get; init; }     // [dim]     (null for bitllama2c: parameter-free norms)
    public required Linear Q { get; init; }     // [dim → heads · head_dim]
    public required Linear K { get; init; }     // [dim → kv_heads · head_dim]
    public required Linear V { get; init; }     // [dim → kv_heads · head_dim]
    public float[]? AttnSubNorm { get; init; }  // [heads · head_dim]  (BitNet families only)
    public required Linear O { get; init; }     // [heads · head_dim → dim]
    public float[]? FfnNorm { get; init; }      // [dim]
    public required Linear Gate { get; init; }  // [dim → ffn]
    public required Linear Up { get; init; }    // [dim → ffn]
    public float[]? FfnSubNorm { get; init; }   // [ffn]     (BitNet families only)
    public required Linear Down { get; init; }  // [ffn → dim]

    public IEnumerable<Linear> Projections => [Q, K, V, O, Gate, Up, Down];
}
