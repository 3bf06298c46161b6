using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels;

/// <summary>Weighted sums of float rows (attention's Σ_p w_p · v_p), each element a single fused chain in order of p.</summary>
internal static class WeightedSum
{
    /// <summary>
    /// o = Σ_p w[p] · v_p, summed in order of p for every element (v_p = values[p · stride + offset ..]). 64 outputs
    /// at a time stay in registers across all positions; the per-element order is that of the plain loop.
    /// </summary>
    internal static void Sum(ReadOnlySpan<float> w, ReadOnlySpan<float> values, int stride, int offset, Span<float> o)
    {
        int hd = o.Length, j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            ref float pv = ref MemoryMarshal.GetReference(values);
            for (; j <= hd - 64; j += 64)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int p = 0; p < w.Length; p++)
                {
                    var vw = Vector512.Create(w[p]);
                    nuint at = (nuint)(p * stride + offset + j);
                    a0 = Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, at), a0);
                    a1 = Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, at + 16), a1);
                    a2 = Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, at + 32), a2);
                    a3 = Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, at + 48), a3);
                }
                a0.CopyTo(o[j..]); a1.CopyTo(o[(j + 16)..]); a2.CopyTo(o[(j + 32)..]); a3.CopyTo(o[(j + 48)..]);
            }
        }
        if (j < hd)
        {
            var rest = o[j..];
            rest.Clear();
            for (int p = 0; p < w.Length; p++) AddScaled(rest, values.Slice(p * stride + offset + j, hd - j), w[p]);
        }
    }

    /// <summary>o += w · v element-wise, fused (one rounding: each lane is computed alike on every ISA).</summary>
    internal static void AddScaled(Span<float> o, ReadOnlySpan<float> v, float w)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vw = Vector512.Create(w);
            ref float po = ref MemoryMarshal.GetReference(o);
            ref float pv = ref MemoryMarshal.GetReference(v);
            for (; i <= o.Length - 16; i += 16)
                Vector512.FusedMultiplyAdd(vw, Vector512.LoadUnsafe(ref pv, (nuint)i), Vector512.LoadUnsafe(ref po, (nuint)i)).StoreUnsafe(ref po, (nuint)i);
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vw = Vector256.Create(w);
            ref float po = ref MemoryMarshal.GetReference(o);
            ref float pv = ref MemoryMarshal.GetReference(v);
            for (; i <= o.Length - 8; i += 8)
                Vector256.FusedMultiplyAdd(vw, Vector256.LoadUnsafe(ref pv, (nuint)i), Vector256.LoadUnsafe(ref po, (nuint)i))
                    .StoreUnsafe(ref po, (nuint)i);
        }
        for (; i < o.Length; i++) o[i] = MathF.FusedMultiplyAdd(w, v[i], o[i]);
    }
}
