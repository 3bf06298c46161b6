using Tern.Inference;

namespace Tern.Models.Architectures;

/// <summary>
/// BitNet b1.58 (2B-4T, "bitnet-b1.58"/"bitnet-25") and 1bitLLM ("bitnet"): LLaMA-like blocks with an extra
/// RMSNorm (sub-norm) before the attention output and the FFN down projection, NEOX RoPE. They differ only in
/// the FFN activation: squared ReLU for 2B-4T, SiLU for 1bitLLM.
/// </summary>
internal sealed class BitNetForward(FfnActivation activation) : ArchitectureForward
{
    public FfnActivation Activation { get; } = activation;

    public override void Layer(ForwardState s, LayerWeights w, int layer)
    {
        var c = s.Config;
        // Attention
        s.RmsNorm(s.X, c.Dim, w.AttnNorm, s.In, w.Q, w.K, w.V);
        s.MatMul(s.In, w.Q, s.Q, w.K, s.K, w.V, s.V);
        s.Rope(neox: true);
        s.StoreKv(layer);
        s.Attention(layer, 1f / MathF.Sqrt(c.HeadDim));
        s.RmsNorm(s.Attn, c.QDim, w.AttnSubNorm, s.In, w.O); // sub-norm before the output projection
        s.MatMul(w.O, s.In, s.Tmp);
        // Feed-forward (the residual add and each norm run row by row with what precedes them: one pass, rows in L1)
        s.AddThenRmsNorm(s.X, s.Tmp, c.Dim, w.FfnNorm, s.In, w.Gate, w.Up);
        s.MatMul(s.In, w.Gate, s.Gate, w.Up, s.Up);
        s.GatedActivationThenRmsNorm(Activation, w.FfnSubNorm, s.In, w.Down); // sub-norm over n_ff before the down projection
        s.MatMul(w.Down, s.In, s.Tmp);
        s.Add(s.X, s.Tmp, c.Dim);
    }
}
