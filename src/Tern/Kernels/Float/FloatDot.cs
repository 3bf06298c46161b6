using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tern.Kernels;

/// <summary>
/// Float32 dot product with one fixed summation order on every ISA: element i is multiplied and added to lane i mod 16 of 16
/// running sums with one rounding (fused multiply-add; MathF.FusedMultiplyAdd in scalar code), and the 16 lanes are reduced in a fixed tree. Vector512, 2 × Vector256,
/// 4 × Vector128 and the scalar loop all perform exactly the same float operations, so results are bit-identical
/// whatever the CPU, thread count or batch shape.
/// </summary>
public static class FloatDot
{
    public const int Lanes = 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException("length mismatch");
        int n = a.Length, full = n - n % Lanes;
        ref float pa = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(a);
        ref float pb = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(b);
        // Each path ends by folding its 16 lanes in the order of Reduce: (l[i] + l[i+8]), then (+ l[i+4]), (+ l[i+2]), (+ l[i+1]).
        Vector256<float> half; // l[i] + l[i+8], i < 8
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512<float>.Zero;
            for (int i = 0; i < full; i += 16)
                s = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pa, (nuint)i), Vector512.LoadUnsafe(ref pb, (nuint)i), s);
            if (full != n) return WithTail(s.GetLower(), s.GetUpper(), a, b, full);
            half = s.GetLower() + s.GetUpper();
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = default, s1 = default;
            for (int i = 0; i < full; i += 16)
            {
                s0 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i), Vector256.LoadUnsafe(ref pb, (nuint)i), s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref pa, (nuint)i + 8), Vector256.LoadUnsafe(ref pb, (nuint)i + 8), s1);
            }
            if (full != n) return WithTail(s0, s1, a, b, full);
            half = s0 + s1;
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int i = 0; i < full; i += 16)
            {
                s0 = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref pa, (nuint)i), Vector128.LoadUnsafe(ref pb, (nuint)i), s0);
                s1 = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref pa, (nuint)i + 4), Vector128.LoadUnsafe(ref pb, (nuint)i + 4), s1);
                s2 = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref pa, (nuint)i + 8), Vector128.LoadUnsafe(ref pb, (nuint)i + 8), s2);
                s3 = Vector128.FusedMultiplyAdd(Vector128.LoadUnsafe(ref pa, (nuint)i + 12), Vector128.LoadUnsafe(ref pb, (nuint)i + 12), s3);
            }
            if (full != n) return WithTail(Vector256.Create(s0, s1), Vector256.Create(s2, s3), a, b, full);
            half = Vector256.Create(s0 + s2, s1 + s3);
        }
        else
        {
            return DotScalar(a, b);
        }
        var q = half.GetLower() + half.GetUpper();               // l[i] + l[i+4], i < 4
        return (q.GetElement(0) + q.GetElement(2)) + (q.GetElement(1) + q.GetElement(3));
    }

    /// <summary>
    /// Four dot products of <paramref name="q"/> with rows of <paramref name="k"/> at offsets o0..o3, each exactly
    /// <see cref="Dot"/>: four independent accumulation chains run side by side instead of one after another.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Dot4(ReadOnlySpan<float> q, ReadOnlySpan<float> k, int o0, int o1, int o2, int o3, Span<float> result)
    {
        int n = q.Length;
        if (!Vector512.IsHardwareAccelerated || n % Lanes != 0)
        {
            result[0] = Dot(q, k.Slice(o0, n)); result[1] = Dot(q, k.Slice(o1, n));
            result[2] = Dot(q, k.Slice(o2, n)); result[3] = Dot(q, k.Slice(o3, n));
            return;
        }
        _ = k.Slice(o0, n); _ = k.Slice(o1, n); _ = k.Slice(o2, n); _ = k.Slice(o3, n); // bounds
        ref float pq = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(q);
        ref float pk = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(k);
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int i = 0; i < n; i += 16)
        {
            var vq = Vector512.LoadUnsafe(ref pq, (nuint)i);
            s0 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, (nuint)(o0 + i)), s0);
            s1 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, (nuint)(o1 + i)), s1);
            s2 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, (nuint)(o2 + i)), s2);
            s3 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, (nuint)(o3 + i)), s3);
        }
        result[0] = Fold(s0); result[1] = Fold(s1); result[2] = Fold(s2); result[3] = Fold(s3);
    }

    /// <summary>
    /// Dot products of four queries (rows of <paramref name="q4"/>, each <paramref name="k"/>.Length long) with one
    /// key, each exactly <see cref="Dot"/>: the key is loaded once for all four (grouped-query attention).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotQueries4(ReadOnlySpan<float> q4, ReadOnlySpan<float> k, Span<float> result)
    {
        int n = k.Length;
        if (!Vector512.IsHardwareAccelerated || n % Lanes != 0)
        {
            for (int j = 0; j < 4; j++) result[j] = Dot(q4.Slice(j * n, n), k);
            return;
        }
        _ = q4.Slice(0, 4 * n);
        ref float pq = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(q4);
        ref float pk = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(k);
        Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
        for (int i = 0; i < n; i += 16)
        {
            var vk = Vector512.LoadUnsafe(ref pk, (nuint)i);
            s0 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pq, (nuint)i), vk, s0);
            s1 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pq, (nuint)(n + i)), vk, s1);
            s2 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pq, (nuint)(2 * n + i)), vk, s2);
            s3 = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref pq, (nuint)(3 * n + i)), vk, s3);
        }
        result[0] = Fold(s0); result[1] = Fold(s1); result[2] = Fold(s2); result[3] = Fold(s3);
    }

    /// <summary>Keys per <see cref="DotKeys16"/> call.</summary>
    public const int KeyBlock = 16;

    /// <summary>True when <see cref="DotKeys16"/> runs vectorized for rows of <paramref name="length"/> floats.</summary>
    public static bool KeyBlocksSupported(int length) => Avx512F.IsSupported && length % Lanes == 0;

    /// <summary>
    /// result[i] = <see cref="Dot"/>(q, key i) for 16 consecutive keys (rows of q.Length floats): 16 accumulation
    /// chains share each load of q, and the 16 folds run together — each stage of the fold tree pairs two vectors'
    /// halves with one shuffle each (<see cref="Fold16"/>). Needs <see cref="KeyBlocksSupported"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotKeys16(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, Span<float> result)
    {
        int n = q.Length;
        if (!KeyBlocksSupported(n)) throw new NotSupportedException("DotKeys16 needs AVX-512 and a multiple of 16 floats");
        _ = keys.Slice(0, KeyBlock * n);
        _ = result.Slice(0, KeyBlock);
        ref float pq = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(q);
        ref float pk = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(keys);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        for (int i = 0; i < n; i += 16)
        {
            var vq = Vector512.LoadUnsafe(ref pq, (nuint)i);
            nuint at = (nuint)i;
            nuint row = (nuint)n;
            a0 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at), a0);
            a1 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + row), a1);
            a2 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 2 * row), a2);
            a3 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 3 * row), a3);
            a4 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 4 * row), a4);
            a5 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 5 * row), a5);
            a6 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 6 * row), a6);
            a7 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 7 * row), a7);
            a8 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 8 * row), a8);
            a9 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 9 * row), a9);
            a10 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 10 * row), a10);
            a11 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 11 * row), a11);
            a12 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 12 * row), a12);
            a13 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 13 * row), a13);
            a14 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 14 * row), a14);
            a15 = Vector512.FusedMultiplyAdd(vq, Vector512.LoadUnsafe(ref pk, at + 15 * row), a15);
        }
        Fold16(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15)
            .StoreUnsafe(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(result));
    }

    /// <summary>
    /// Dot products of four queries (rows of <paramref name="q4"/>) with four consecutive keys (rows of
    /// <paramref name="keys4"/>, q4.Length / 4 floats each), each exactly <see cref="Dot"/>:
    /// scores[j·stride + p + i] = Dot(query j, key i). A register tile of 16 accumulation chains, each chunk of 16
    /// floats loaded once for four products (8 loads per 16 multiply-adds, against 17 in <see cref="DotKeys16"/>),
    /// folded together as <see cref="DotKeys16"/> folds its 16 keys. Needs <see cref="KeyBlocksSupported"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void DotQueries4Keys4(ReadOnlySpan<float> q4, ReadOnlySpan<float> keys4, Span<float> scores, int stride, int p)
    {
        int n = keys4.Length / 4;
        if (!KeyBlocksSupported(n) || keys4.Length != 4 * n) throw new NotSupportedException("DotQueries4Keys4 needs AVX-512 and four rows of a multiple of 16 floats");
        if (q4.Length != 4 * n) throw new ArgumentException("four queries as long as the keys", nameof(q4));
        if (p < 0 || stride < p + 4 || scores.Length < 3L * stride + p + 4) throw new ArgumentException("scores too short for four rows of four", nameof(scores));
        ref float k0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(keys4);
        ref float k1 = ref Unsafe.Add(ref k0, n);
        ref float k2 = ref Unsafe.Add(ref k0, 2 * n);
        ref float k3 = ref Unsafe.Add(ref k0, 3 * n);
        ref float q0 = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(q4);
        ref float q1 = ref Unsafe.Add(ref q0, n);
        ref float q2 = ref Unsafe.Add(ref q0, 2 * n);
        ref float q3 = ref Unsafe.Add(ref q0, 3 * n);
        // a[4j + i]: query j, key i.
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> a8 = default, a9 = default, a10 = default, a11 = default, a12 = default, a13 = default, a14 = default, a15 = default;
        for (nuint i = 0; i < (nuint)n; i += 16)
        {
            var x0 = Vector512.LoadUnsafe(ref k0, i);
            var x1 = Vector512.LoadUnsafe(ref k1, i);
            var x2 = Vector512.LoadUnsafe(ref k2, i);
            var x3 = Vector512.LoadUnsafe(ref k3, i);
            var y = Vector512.LoadUnsafe(ref q0, i);
            a0 = Vector512.FusedMultiplyAdd(y, x0, a0); a1 = Vector512.FusedMultiplyAdd(y, x1, a1); a2 = Vector512.FusedMultiplyAdd(y, x2, a2); a3 = Vector512.FusedMultiplyAdd(y, x3, a3);
            y = Vector512.LoadUnsafe(ref q1, i);
            a4 = Vector512.FusedMultiplyAdd(y, x0, a4); a5 = Vector512.FusedMultiplyAdd(y, x1, a5); a6 = Vector512.FusedMultiplyAdd(y, x2, a6); a7 = Vector512.FusedMultiplyAdd(y, x3, a7);
            y = Vector512.LoadUnsafe(ref q2, i);
            a8 = Vector512.FusedMultiplyAdd(y, x0, a8); a9 = Vector512.FusedMultiplyAdd(y, x1, a9); a10 = Vector512.FusedMultiplyAdd(y, x2, a10); a11 = Vector512.FusedMultiplyAdd(y, x3, a11);
            y = Vector512.LoadUnsafe(ref q3, i);
            a12 = Vector512.FusedMultiplyAdd(y, x0, a12); a13 = Vector512.FusedMultiplyAdd(y, x1, a13); a14 = Vector512.FusedMultiplyAdd(y, x2, a14); a15 = Vector512.FusedMultiplyAdd(y, x3, a15);
        }
        var r = Fold16(a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15);
        ref float s = ref Unsafe.Add(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(scores), p);
        r.GetLower().GetLower().StoreUnsafe(ref s);
        r.GetLower().GetUpper().StoreUnsafe(ref Unsafe.Add(ref s, stride));
        r.GetUpper().GetLower().StoreUnsafe(ref Unsafe.Add(ref s, 2 * stride));
        r.GetUpper().GetUpper().StoreUnsafe(ref Unsafe.Add(ref s, 3 * stride));
    }

    /// <summary>
    /// Lane m of the result = the 16 lanes of a_m summed in the order of <see cref="Reduce"/>, for 16 vectors at once:
    /// each stage of the tree pairs two vectors' halves with one shuffle each, so a stage adds exactly the lanes
    /// <see cref="Reduce"/> adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Fold16(Vector512<float> a0, Vector512<float> a1, Vector512<float> a2, Vector512<float> a3,
        Vector512<float> a4, Vector512<float> a5, Vector512<float> a6, Vector512<float> a7, Vector512<float> a8, Vector512<float> a9,
        Vector512<float> a10, Vector512<float> a11, Vector512<float> a12, Vector512<float> a13, Vector512<float> a14, Vector512<float> a15)
    {
        // Stage 1, l[i] + l[i+8]: b holds vector 2m in lanes 0–7 and vector 2m+1 in lanes 8–15.
        var b0 = Half8(a0, a1); var b1 = Half8(a2, a3); var b2 = Half8(a4, a5); var b3 = Half8(a6, a7);
        var b4 = Half8(a8, a9); var b5 = Half8(a10, a11); var b6 = Half8(a12, a13); var b7 = Half8(a14, a15);
        // Stage 2, l[i] + l[i+4]: 128-bit chunk j of c_m holds vector 4m + j.
        var c0 = Half4(b0, b1); var c1 = Half4(b2, b3); var c2 = Half4(b4, b5); var c3 = Half4(b6, b7);
        // Stage 3, l[i] + l[i+2]; stage 4, l[0] + l[1]: chunk j of e = vectors j, 4 + j, 8 + j, 12 + j.
        var d0 = Avx512F.Shuffle(c0, c1, 0x44) + Avx512F.Shuffle(c0, c1, 0xEE);
        var d1 = Avx512F.Shuffle(c2, c3, 0x44) + Avx512F.Shuffle(c2, c3, 0xEE);
        var e = Avx512F.Shuffle(d0, d1, 0x88) + Avx512F.Shuffle(d0, d1, 0xDD);
        return Avx512F.PermuteVar16x32(e, Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Half8(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0x44) + Avx512F.Shuffle4x128(x, y, 0xEE);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Half4(Vector512<float> x, Vector512<float> y) =>
        Avx512F.Shuffle4x128(x, y, 0x88) + Avx512F.Shuffle4x128(x, y, 0xDD);

    /// <summary>The 16 lanes of <paramref name="s"/> summed in the order of <see cref="Reduce"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Fold(Vector512<float> s)
    {
        var half = s.GetLower() + s.GetUpper();
        var q = half.GetLower() + half.GetUpper();
        return (q.GetElement(0) + q.GetElement(2)) + (q.GetElement(1) + q.GetElement(3));
    }

    private static float WithTail(Vector256<float> lo, Vector256<float> hi, ReadOnlySpan<float> a, ReadOnlySpan<float> b, int full)
    {
        Span<float> lanes = stackalloc float[Lanes];
        lo.CopyTo(lanes);
        hi.CopyTo(lanes[8..]);
        for (int i = full; i < a.Length; i++) lanes[i - full] = MathF.FusedMultiplyAdd(a[i], b[i], lanes[i - full]);
        return Reduce(lanes);
    }

    /// <summary>The reference: the same operations in plain scalar code.</summary>
    public static float DotScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Span<float> lanes = stackalloc float[Lanes];
        lanes.Clear();
        for (int i = 0; i < a.Length; i++)
        {
            lanes[i % Lanes] = MathF.FusedMultiplyAdd(a[i], b[i], lanes[i % Lanes]);
        }
        return Reduce(lanes);
    }

    /// <summary>Fixed reduction tree: halve the lane count by adding the upper half onto the lower half.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Reduce(Span<float> l)
    {
        for (int i = 0; i < 8; i++) l[i] += l[i + 8];
        for (int i = 0; i < 4; i++) l[i] += l[i + 4];
        for (int i = 0; i < 2; i++) l[i] += l[i + 2];
        return l[0] + l[1];
    }

    /// <summary>Sum of squares with the same fixed order (used by RMSNorm).</summary>
    public static float SumOfSquares(ReadOnlySpan<float> x) => Dot(x, x);
}
