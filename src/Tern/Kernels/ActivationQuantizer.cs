using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels;

/// <summary>
/// Per-token absmax int8 quantization of activations (spec/activations.md): m = max(max|x|, 1e-5), a = 127/m,
/// q = round-half-to-even(x·a) clamped to [−128, 127]. The ternary layer's output is then y = (float)D / a · s_w.
/// The vector path performs the same float operations lane by lane, so it returns exactly what the scalar one does.
/// </summary>
public static class ActivationQuantizer
{
    public const float MinAbsMax = 1e-5f;

    /// <summary>Quantizes one token's activations; returns the scale a = 127 / max|x|.</summary>
    public static float Quantize(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        if (q.Length < x.Length) throw new ArgumentException("destination too short");
        float a = Scale(x);
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float px = ref MemoryMarshal.GetReference(x);
            ref sbyte pq = ref MemoryMarshal.GetReference(q);
            var va = Vector256.Create(a);
            var lo = Vector256.Create(-128f);
            var hi = Vector256.Create(127f);
            for (; i <= x.Length - 16; i += 16)
            {
                var r0 = Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(Vector256.Round(Vector256.LoadUnsafe(ref px, (nuint)i) * va), lo), hi));
                var r1 = Vector256.ConvertToInt32(Vector256.Min(Vector256.Max(Vector256.Round(Vector256.LoadUnsafe(ref px, (nuint)i + 8) * va), lo), hi));
                var s16 = Vector256.Narrow(r0, r1); // int32 → int16, values already in range
                var s8 = Vector128.Narrow(s16.GetLower(), s16.GetUpper());
                s8.StoreUnsafe(ref pq, (nuint)i);
            }
        }
        for (; i < x.Length; i++) q[i] = QuantizeOne(x[i], a);
        return a;
    }

    /// <summary>a = 127 / max(max|x|, 1e-5).</summary>
    public static float Scale(ReadOnlySpan<float> x)
    {
        float m = x.IsEmpty ? 0 : MathF.Abs(TensorPrimitives.MaxMagnitude(x));
        if (!(m >= MinAbsMax)) m = float.IsNaN(m) ? m : MinAbsMax;
        return 127f / m;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte QuantizeOne(float x, float a) =>
        (sbyte)Math.Clamp(MathF.Round(x * a, MidpointRounding.ToEven), -128f, 127f);

    /// <summary>The scalar reference.</summary>
    public static float QuantizeScalar(ReadOnlySpan<float> x, Span<sbyte> q)
    {
        float a = Scale(x);
        for (int i = 0; i < x.Length; i++) q[i] = QuantizeOne(x[i], a);
        return a;
    }
}
