namespace Tern.Tensors;

/// <summary>
/// Turns master (full-precision) weights into ternary weights the way BitNet b1.58 was trained and the way Microsoft's
/// converter (bitnet.cpp <c>utils/convert-hf-to-gguf-bitnet.py</c>, <c>weight_quant</c>) writes them:
/// <c>s⁻¹ = 1 / max(mean|W|, 1e-5)</c>, <c>t = clamp(round(W · s⁻¹), −1, 1)</c> with round-half-to-even, and the stored
/// weight is <c>t / s⁻¹</c>.
/// </summary>
public static class Ternarizer
{
    /// <summary>Smallest mean |W| used as the scale; keeps an all-zero tensor from dividing by zero.</summary>
    public const float MinScale = 1e-5f;

    /// <summary>
    /// Writes the trits of <paramref name="w"/> into <paramref name="trits"/> and returns the scale s with w ≈ s · t.
    /// </summary>
    /// <remarks>
    /// The returned s is <c>1 / s⁻¹</c> in float32, not mean|W| itself: the converter multiplies by the reciprocal and
    /// divides by it again, so this is the value that makes <c>t · s</c> equal its output bit for bit. It differs from
    /// mean|W| by at most one float32 ulp. The mean is summed in double precision (PyTorch sums float32 pairwise), so in rare
    /// cases the mean — and then a weight that lies exactly on a rounding boundary — may differ from PyTorch's by an ulp.
    /// </remarks>
    public static float Ternarize(ReadOnlySpan<float> w, Span<sbyte> trits)
    {
        if (trits.Length != w.Length)
            throw new ArgumentException($"trits length {trits.Length} differs from weights length {w.Length}", nameof(trits));
        if (w.Length == 0) throw new ArgumentException("no weights to ternarize", nameof(w));

        double sum = 0;
        foreach (float v in w) sum += MathF.Abs(v);
        float mean = (float)(sum / w.Length);
        if (float.IsNaN(mean)) throw new ArgumentException("weights contain NaN", nameof(w));
        float inverse = 1f / MathF.Max(mean, MinScale);

        for (int i = 0; i < w.Length; i++)
            trits[i] = (sbyte)Math.Clamp(MathF.Round(w[i] * inverse, MidpointRounding.ToEven), -1f, 1f);
        return 1f / inverse;
    }
}
