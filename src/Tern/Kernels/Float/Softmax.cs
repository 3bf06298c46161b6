using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels;

/// <summary>
/// Scaled softmax in place, x ← e^(s·x − max) / Σ, with one fixed order of float operations on every width: the
/// maximum is order-free; e^ is <see cref="FloatExp"/>; the sum adds element p to lane p mod 16 of 16 running sums
/// and folds them with <see cref="FloatDot.Reduce"/> (as <see cref="FloatDot"/> does); the division is a multiply by
/// 1/Σ. The vector paths and the scalar reference therefore agree bit for bit.
/// </summary>
public static class Softmax
{
    /// <summary>Softmax of s·x; with <paramref name="roundToHalf"/> the probabilities are rounded to F16 (F16-cache numerics).</summary>
    public static void Apply(Span<float> x, float scale, bool roundToHalf = false)
    {
        if (Vector512.IsHardwareAccelerated) Apply512(x, scale, roundToHalf);
        else if (Vector256.IsHardwareAccelerated) Apply256(x, scale, roundToHalf);
        else Scalar(x, scale, roundToHalf);
    }

    /// <summary>The reference: the same operations, one element at a time.</summary>
    public static void Scalar(Span<float> x, float scale, bool roundToHalf)
    {
        float max = float.NegativeInfinity;
        for (int p = 0; p < x.Length; p++)
        {
            float sc = x[p] * scale;
            x[p] = sc;
            max = sc > max ? sc : max;
        }
        Span<float> lanes = stackalloc float[FloatDot.Lanes];
        lanes.Clear();
        for (int p = 0; p < x.Length; p++)
        {
            float e = FloatExp.Exp(x[p] - max);
            x[p] = e;
            lanes[p % FloatDot.Lanes] += e;
        }
        float inv = 1f / FloatDot.Reduce(lanes);
        for (int p = 0; p < x.Length; p++)
        {
            float w = x[p] * inv;
            x[p] = roundToHalf ? (float)(Half)w : w;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Apply512(Span<float> x, float scale, bool roundToHalf)
    {
        int n = x.Length, full = n - n % 16;
        ref float px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        var vs = Vector512.Create(scale);
        var vmax = Vector512.Create(float.NegativeInfinity);
        for (int p = 0; p < full; p += 16)
        {
            var sc = Vector512.LoadUnsafe(ref px, (nuint)p) * vs;
            sc.StoreUnsafe(ref px, (nuint)p);
            vmax = Vector512.ConditionalSelect(Vector512.GreaterThan(sc, vmax), sc, vmax);
        }
        float max = MaxOf(vmax);
        for (int p = full; p < n; p++)
        {
            float sc = x[p] * scale;
            x[p] = sc;
            max = sc > max ? sc : max;
        }
        var m = Vector512.Create(max);
        var sum = Vector512<float>.Zero;
        for (int p = 0; p < full; p += 16)
        {
            var e = FloatExp.Exp(Vector512.LoadUnsafe(ref px, (nuint)p) - m);
            e.StoreUnsafe(ref px, (nuint)p);
            sum += e;
        }
        if (full < n)
        {
            // The last n mod 16 values in one padded vector: value p − full lands in lane p − full, as in the scalar
            // loop; the padding lanes add +0 (a lane sum is never −0), which leaves every sum as it was.
            Span<float> tail = stackalloc float[16];
            tail.Clear();
            int rest = n - full;
            x.Slice(full, rest).CopyTo(tail);
            var e = FloatExp.Exp(Vector512.Create<float>(tail) - m);
            var live = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(rest));
            sum += Vector512.ConditionalSelect(live.AsSingle(), e, Vector512<float>.Zero);
            e.CopyTo(tail);
            tail[..rest].CopyTo(x.Slice(full, rest));
        }
        float inv = 1f / FloatDot.Fold(sum);
        Normalize(x, inv, roundToHalf);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void Apply256(Span<float> x, float scale, bool roundToHalf)
    {
        int n = x.Length, full = n - n % 16;
        ref float px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
        var vs = Vector256.Create(scale);
        var vmax = Vector256.Create(float.NegativeInfinity);
        for (int p = 0; p < full; p += 8)
        {
            var sc = Vector256.LoadUnsafe(ref px, (nuint)p) * vs;
            sc.StoreUnsafe(ref px, (nuint)p);
            vmax = Vector256.ConditionalSelect(Vector256.GreaterThan(sc, vmax), sc, vmax);
        }
        float max = MaxOf(Vector512.Create(vmax, vmax)); // both halves alike: the same largest lane
        for (int p = full; p < n; p++)
        {
            float sc = x[p] * scale;
            x[p] = sc;
            max = sc > max ? sc : max;
        }
        var mv = Vector256.Create(max);
        Vector256<float> s0 = default, s1 = default; // lanes 0–7 and 8–15 of the 16 running sums
        for (int p = 0; p < full; p += 16)
        {
            var e0 = FloatExp.Exp(Vector256.LoadUnsafe(ref px, (nuint)p) - mv);
            var e1 = FloatExp.Exp(Vector256.LoadUnsafe(ref px, (nuint)p + 8) - mv);
            e0.StoreUnsafe(ref px, (nuint)p);
            e1.StoreUnsafe(ref px, (nuint)p + 8);
            s0 += e0;
            s1 += e1;
        }
        float inv = 1f / Tail(s0, s1, x, full, max);
        Normalize(x, inv, roundToHalf);
    }

    /// <summary>
    /// Largest lane of lanes that are never NaN (the callers' running maxima keep NaN out), by a tree of
    /// compare-and-selects instead of 16 unpredictable branches. Where the scalar reference's first-wins scan would
    /// keep −0 and the tree +0 (or the reverse), the softmax does not change: the maximum is only subtracted, and
    /// x − (±0) differs only for x = ±0, where e^(±0) is exactly 1 either way.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float MaxOf(Vector512<float> v)
    {
        var h = Larger(v.GetLower(), v.GetUpper());
        var q = Larger(h.GetLower(), h.GetUpper());
        q = Larger(q, Vector128.Shuffle(q, Vector128.Create(2, 3, 0, 1)));
        q = Larger(q, Vector128.Shuffle(q, Vector128.Create(1, 0, 3, 2)));
        return q.ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Larger(Vector256<float> a, Vector256<float> b) => Vector256.ConditionalSelect(Vector256.GreaterThan(b, a), b, a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Larger(Vector128<float> a, Vector128<float> b) => Vector128.ConditionalSelect(Vector128.GreaterThan(b, a), b, a);

    /// <summary>Adds e^ of the last n mod 16 elements to their lanes (writing them back) and folds the 16 sums.</summary>
    private static float Tail(Vector256<float> lo, Vector256<float> hi, Span<float> x, int full, float max)
    {
        Span<float> lanes = stackalloc float[FloatDot.Lanes];
        lo.CopyTo(lanes);
        hi.CopyTo(lanes[8..]);
        for (int p = full; p < x.Length; p++)
        {
            float e = FloatExp.Exp(x[p] - max);
            x[p] = e;
            lanes[p - full] += e;
        }
        return FloatDot.Reduce(lanes);
    }

    private static void Normalize(Span<float> x, float inv, bool roundToHalf)
    {
        int p = 0;
        if (!roundToHalf)
        {
            ref float px = ref System.Runtime.InteropServices.MemoryMarshal.GetReference(x);
            if (Vector512.IsHardwareAccelerated)
            {
                var wi = Vector512.Create(inv);
                for (; p <= x.Length - 16; p += 16) (Vector512.LoadUnsafe(ref px, (nuint)p) * wi).StoreUnsafe(ref px, (nuint)p);
            }
            var vi = Vector256.Create(inv);
            for (; p <= x.Length - 8; p += 8) (Vector256.LoadUnsafe(ref px, (nuint)p) * vi).StoreUnsafe(ref px, (nuint)p);
        }
        for (; p < x.Length; p++)
        {
            float w = x[p] * inv;
            x[p] = roundToHalf ? (float)(Half)w : w;
        }
    }
}
