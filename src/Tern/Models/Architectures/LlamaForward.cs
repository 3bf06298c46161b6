using Tern.Inference;

namespace Tern.Models.Architectures;

/// <summary>
/// The LLaMA graph with ternary projections (Llama3-8B-1.58, Falcon3-1.58bit): pre-norm blocks, SiLU-gated FFN,
/// RoPE on adjacent pairs (llama.cpp's converters permute Q/K rows for that), no sub-norms.
/// </summary>
internal sealed class LlamaForward : ArchitectureForward
{
    public override void Layer(ForwardState s, LayerWeights w, int layer)
    {
        var c = s.Config;
        s.RmsNorm(s.X, c.Dim, w.AttnNorm, s.In);
        s.MatMul(s.In, w.Q, s.Q, w.K, s.K, w.V, s.V);
        s.Rope(neox: false);
        s.StoreKv(layer);
        s.Attention(layer, 1f / MathF.Sqrt(c.HeadDim));
        s.In.Reset(s.Count, c.QDim);
        s.Rows(s.Attn, c.QDim).CopyTo(s.In.X);
        s.MatMul(w.O, s.In, s.Tmp);
        s.Add(s.X, s.Tmp, c.Dim);
        s.RmsNorm(s.X, c.Dim, w.FfnNorm, s.In);
        s.MatMul(s.In, w.Gate, s.Gate, w.Up, s.Up);
        s.GatedActivation(FfnActivation.Silu);
        s.In.Reset(s.Count, c.FfnDim);
        s.Rows(s.Gate, c.FfnDim).CopyTo(s.In.X);
        s.MatMul(w.Down, s.In, s.Tmp);
        s.Add(s.X, s.Tmp, c.Dim);
    }
}
