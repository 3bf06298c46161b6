using Tern.Inference;

namespace Tern.Models.Architectures;

/// <summary>
/// bitllama2.c's graph (../shared/oracle/bitllama2c/README.md): no learned norms inside blocks; every ternary
/// linear layer's input is first normalized without parameters, x / (rms(x) · n); RoPE on adjacent pairs with
/// θ_i = pos / 10000^(2i/head_dim) computed directly (not ggml's running product). Sums are sequential, as in its
/// C runner, so greedy generation reproduces it token for token.
/// </summary>
internal sealed class BitLlama2cForward : ArchitectureForward
{
    public override void Layer(ForwardState s, LayerWeights w, int layer)
    {
        var c = s.Config;
        BitNorm(s, s.X, c.Dim);
        s.MatMul(s.In, w.Q, s.Q, w.K, s.K, w.V, s.V);
        Rope(s, s.Q, c.Heads);
        Rope(s, s.K, c.KvHeads);
        s.StoreKv(layer);
        s.Attention(layer, 1f / MathF.Sqrt(c.HeadDim));
        BitNorm(s, s.Attn, c.QDim);
        s.MatMul(w.O, s.In, s.Tmp);
        s.Add(s.X, s.Tmp, c.Dim);
        BitNorm(s, s.X, c.Dim);
        s.MatMul(s.In, w.Gate, s.Gate, w.Up, s.Up);   // w1, w3
        s.GatedActivation(FfnActivation.Silu);
        BitNorm(s, s.Gate, c.FfnDim);
        s.MatMul(w.Down, s.In, s.Tmp);    // w2
        s.Add(s.X, s.Tmp, c.Dim);
    }

    /// <summary>s.In ← x · (1 / sqrt(mean(x²))) / n, per token, with a sequential sum (no epsilon).</summary>
    private static void BitNorm(ForwardState s, float[] src, int width)
    {
        s.In.Reset(s.Count, width);
        for (int t = 0; t < s.Count; t++)
        {
            var x = src.AsSpan(t * width, width);
            var y = s.In.Row(t);
            float ss = 0;
            for (int i = 0; i < width; i++) ss += x[i] * x[i];
            ss /= width;
            float scale = 1f / MathF.Sqrt(ss);
            scale /= width;
            for (int i = 0; i < width; i++) y[i] = x[i] * scale;
        }
    }

    private static void Rope(ForwardState s, float[] buffer, int heads)
    {
        int hd = s.Config.HeadDim, width = heads * hd;
        for (int t = 0; t < s.Count; t++)
        {
            int pos = s.Batch[t].Position;
            for (int i = 0; i < width; i += 2)
            {
                float freq = 1f / MathF.Pow(s.Config.RopeTheta, i % hd / (float)hd);
                float val = pos * freq;
                float fcr = MathF.Cos(val), fci = MathF.Sin(val);
                ref float v0 = ref buffer[t * width + i];
                ref float v1 = ref buffer[t * width + i + 1];
                float a = v0, b = v1;
                v0 = a * fcr - b * fci;
                v1 = a * fci + b * fcr;
            }
        }
    }
}
