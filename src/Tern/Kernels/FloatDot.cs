using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels;

/// <summary>
/// Float32 dot product with one fixed summation order on every ISA: element i is added to lane i mod 16 of 16
/// running sums (multiply, then add: no FMA), and the 16 lanes are reduced in a fixed tree. Vector512, 2 × Vector256,
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
                s += Vector512.LoadUnsafe(ref pa, (nuint)i) * Vector512.LoadUnsafe(ref pb, (nuint)i);
            if (full != n) return WithTail(s.GetLower(), s.GetUpper(), a, b, full);
            half = s.GetLower() + s.GetUpper();
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = default, s1 = default;
            for (int i = 0; i < full; i += 16)
            {
                s0 += Vector256.LoadUnsafe(ref pa, (nuint)i) * Vector256.LoadUnsafe(ref pb, (nuint)i);
                s1 += Vector256.LoadUnsafe(ref pa, (nuint)i + 8) * Vector256.LoadUnsafe(ref pb, (nuint)i + 8);
            }
            if (full != n) return WithTail(s0, s1, a, b, full);
            half = s0 + s1;
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
            for (int i = 0; i < full; i += 16)
            {
                s0 += Vector128.LoadUnsafe(ref pa, (nuint)i) * Vector128.LoadUnsafe(ref pb, (nuint)i);
                s1 += Vector128.LoadUnsafe(ref pa, (nuint)i + 4) * Vector128.LoadUnsafe(ref pb, (nuint)i + 4);
                s2 += Vector128.LoadUnsafe(ref pa, (nuint)i + 8) * Vector128.LoadUnsafe(ref pb, (nuint)i + 8);
                s3 += Vector128.LoadUnsafe(ref pa, (nuint)i + 12) * Vector128.LoadUnsafe(ref pb, (nuint)i + 12);
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
            s0 += vq * Vector512.LoadUnsafe(ref pk, (nuint)(o0 + i));
            s1 += vq * Vector512.LoadUnsafe(ref pk, (nuint)(o1 + i));
            s2 += vq * Vector512.LoadUnsafe(ref pk, (nuint)(o2 + i));
            s3 += vq * Vector512.LoadUnsafe(ref pk, (nuint)(o3 + i));
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
            s0 += Vector512.LoadUnsafe(ref pq, (nuint)i) * vk;
            s1 += Vector512.LoadUnsafe(ref pq, (nuint)(n + i)) * vk;
            s2 += Vector512.LoadUnsafe(ref pq, (nuint)(2 * n + i)) * vk;
            s3 += Vector512.LoadUnsafe(ref pq, (nuint)(3 * n + i)) * vk;
        }
        result[0] = Fold(s0); result[1] = Fold(s1); result[2] = Fold(s2); result[3] = Fold(s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold(Vector512<float> s)
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
        for (int i = full; i < a.Length; i++) lanes[i - full] += a[i] * b[i];
        return Reduce(lanes);
    }

    /// <summary>The reference: the same operations in plain scalar code.</summary>
    public static float DotScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Span<float> lanes = stackalloc float[Lanes];
        lanes.Clear();
        for (int i = 0; i < a.Length; i++)
        {
            float p = a[i] * b[i];
            lanes[i % Lanes] += p;
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
