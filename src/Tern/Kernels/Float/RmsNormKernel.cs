using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels;

/// <summary>
/// RMSNorm of one row: y = (x · 1/sqrt(mean(x²) + eps)) · g. The scale is one float for the row; each element is two
/// rounded products in the same order on every ISA, so a row gives the same bits whatever the vector width.
/// </summary>
public static class RmsNormKernel
{
    public static void Row(ReadOnlySpan<float> x, ReadOnlySpan<float> g, Span<float> y, float eps)
    {
        float mean = FloatDot.SumOfSquares(x) / x.Length;
        float scale = 1f / MathF.Sqrt(mean + eps);
        int i = 0, n = x.Length;
        if (g.Length < n || y.Length < n) throw new ArgumentException("gain or output shorter than the row");
        ref float px = ref MemoryMarshal.GetReference(x);
        ref float pg = ref MemoryMarshal.GetReference(g);
        ref float py = ref MemoryMarshal.GetReference(y);
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(scale);
            for (; i <= n - 16; i += 16)
                (Vector512.LoadUnsafe(ref px, (nuint)i) * vs * Vector512.LoadUnsafe(ref pg, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(scale);
            for (; i <= n - 8; i += 8)
                (Vector256.LoadUnsafe(ref px, (nuint)i) * vs * Vector256.LoadUnsafe(ref pg, (nuint)i)).StoreUnsafe(ref py, (nuint)i);
        }
        for (; i < n; i++) y[i] = x[i] * scale * g[i];
    }
}
