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

    /// <summary>
    /// o_j = Σ_{p &lt; n} w[j·stride + p] · v_p for the four heads j of a group, 64 outputs at a time (16 accumulators), each
    /// element summed in order of p exactly as <see cref="Sum"/> does; v_p is loaded once for all four.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal static void Sum4(ReadOnlySpan<float> w, int stride, int n, ReadOnlySpan<float> values, int hd, Span<float> o)
    {
        ref float pv = ref MemoryMarshal.GetReference(values);
        _ = w.Slice(0, 3 * stride + n);
        _ = values.Slice(0, n * hd);
        _ = o.Slice(0, 4 * hd);
        ref float pw = ref MemoryMarshal.GetReference(w);
        // Positions in chunks of 64 (their value rows, 32 KB at head_dim 128, stay in L1 for every 64-wide slice c);
        // the sums go to o between chunks and come back, so each element is still one chain in order of p.
        for (int p0 = 0; p0 < n; p0 += 64)
        {
            int p1 = Math.Min(n, p0 + 64);
            for (int c = 0; c < hd; c += 64)
            {
                Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
                Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
                Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
                Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
                if (p0 > 0)
                {
                    (a00, a01, a02, a03) = Load(o.Slice(c, 64));
                    (a10, a11, a12, a13) = Load(o.Slice(hd + c, 64));
                    (a20, a21, a22, a23) = Load(o.Slice(2 * hd + c, 64));
                    (a30, a31, a32, a33) = Load(o.Slice(3 * hd + c, 64));
                }
                for (int p = p0; p < p1; p++)
                {
                    nuint at = (nuint)(p * hd + c);
                    var v0 = Vector512.LoadUnsafe(ref pv, at);
                    var v1 = Vector512.LoadUnsafe(ref pv, at + 16);
                    var v2 = Vector512.LoadUnsafe(ref pv, at + 32);
                    var v3 = Vector512.LoadUnsafe(ref pv, at + 48);
                    var w0 = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref pw, p));
                    var w1 = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref pw, stride + p));
                    var w2 = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref pw, 2 * stride + p));
                    var w3 = Vector512.Create(System.Runtime.CompilerServices.Unsafe.Add(ref pw, 3 * stride + p));
                    a00 = Vector512.FusedMultiplyAdd(w0, v0, a00); a01 = Vector512.FusedMultiplyAdd(w0, v1, a01); a02 = Vector512.FusedMultiplyAdd(w0, v2, a02); a03 = Vector512.FusedMultiplyAdd(w0, v3, a03);
                    a10 = Vector512.FusedMultiplyAdd(w1, v0, a10); a11 = Vector512.FusedMultiplyAdd(w1, v1, a11); a12 = Vector512.FusedMultiplyAdd(w1, v2, a12); a13 = Vector512.FusedMultiplyAdd(w1, v3, a13);
                    a20 = Vector512.FusedMultiplyAdd(w2, v0, a20); a21 = Vector512.FusedMultiplyAdd(w2, v1, a21); a22 = Vector512.FusedMultiplyAdd(w2, v2, a22); a23 = Vector512.FusedMultiplyAdd(w2, v3, a23);
                    a30 = Vector512.FusedMultiplyAdd(w3, v0, a30); a31 = Vector512.FusedMultiplyAdd(w3, v1, a31); a32 = Vector512.FusedMultiplyAdd(w3, v2, a32); a33 = Vector512.FusedMultiplyAdd(w3, v3, a33);
                }
                Store(o.Slice(c, 64), a00, a01, a02, a03);
                Store(o.Slice(hd + c, 64), a10, a11, a12, a13);
                Store(o.Slice(2 * hd + c, 64), a20, a21, a22, a23);
                Store(o.Slice(3 * hd + c, 64), a30, a31, a32, a33);
            }
        }
    }

    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Load(Span<float> o) =>
        (Vector512.Create<float>(o), Vector512.Create<float>(o[16..]), Vector512.Create<float>(o[32..]), Vector512.Create<float>(o[48..]));

    private static void Store(Span<float> o, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        a.CopyTo(o); b.CopyTo(o[16..]); c.CopyTo(o[32..]); d.CopyTo(o[48..]);
    }
}
