namespace Tern.Kernels;

/// <summary>
/// Per-token absmax int8 quantization of activations (spec/activations.md): m = max(max|x|, 1e-5), a = 127/m,
/// q = round-half-to-even(x·a) clamped to [−128, 127]. The ternary layer's output is then y = (float)D / a · s_w.
/// </summary>
public static class ActivationQuantizer
{
    public const float MinAbsMax = 1e-5f;

    /// <summary>Quantizes one token's activations; returns the scale a = 127 / max|x|.</summary>
    public static float Quantize(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float m = System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(x);
        m = MathF.Abs(m);
        if (!(m >= MinAbsMax)) m = float.IsNaN(m) ? m : MinAbsMax;
        float a = 127f / m;
        for (int i = 0; i < x.Length; i++)
        {
            float v = MathF.Round(x[i] * a, MidpointRounding.ToEven);
            q[i] = (sbyte)Math.Clamp(v, -128f, 127f);
        }
        return a;
    }
}
