using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tern.Kernels;

/// <summary>
/// The float output of an absmax-quantized ternary layer from its exact integer dots: y = (float)D / a · s_w, then
/// · extra when a layer has an extra scale (1bitLLM's `.scale`). Vector lanes do the same IEEE operations in the same
/// order as the scalar form, so every path gives the same bits.
/// </summary>
public static class DotRescale
{
    /// <summary>One value, the reference form.</summary>
    public static float One(int dot, float a, float scale, float extra)
    {
        float v = (float)dot / a * scale;
        return extra == 1f ? v : v * extra;
    }

    /// <summary>y[t·yStride + i] = <see cref="One"/>(dots[t·dotsStride + i], a[t], …) for t &lt; n, i &lt; rows.</summary>
    public static void Rows(ReadOnlySpan<int> dots, int dotsStride, int n, int rows, ReadOnlySpan<float> a, float scale, float extra, Span<float> y, int yStride)
    {
        if (n == 0 || rows == 0) return;
        if (dotsStride < rows || yStride < rows || a.Length < n || dots.Length < (long)(n - 1) * dotsStride + rows || y.Length < (long)(n - 1) * yStride + rows)
            throw new ArgumentException("rescale shapes do not fit their buffers");
        ref int pd = ref MemoryMarshal.GetReference(dots);
        ref float py = ref MemoryMarshal.GetReference(y);
        for (int t = 0; t < n; t++)
        {
            ref int d = ref Unsafe.Add(ref pd, (nint)t * dotsStride);
            ref float o = ref Unsafe.Add(ref py, (nint)t * yStride);
            int i = 0;
            if (Vector512.IsHardwareAccelerated)
            {
                var va = Vector512.Create(a[t]);
                var vs = Vector512.Create(scale);
                var ve = Vector512.Create(extra);
                for (; i <= rows - 16; i += 16)
                {
                    var v = Vector512.ConvertToSingle(Vector512.LoadUnsafe(ref d, (nuint)i)) / va * vs;
                    if (extra != 1f) v *= ve;
                    v.StoreUnsafe(ref o, (nuint)i);
                }
            }
            else if (Vector256.IsHardwareAccelerated)
            {
                var va = Vector256.Create(a[t]);
                var vs = Vector256.Create(scale);
                var ve = Vector256.Create(extra);
                for (; i <= rows - 8; i += 8)
                {
                    var v = Vector256.ConvertToSingle(Vector256.LoadUnsafe(ref d, (nuint)i)) / va * vs;
                    if (extra != 1f) v *= ve;
                    v.StoreUnsafe(ref o, (nuint)i);
                }
            }
            for (; i < rows; i++) Unsafe.Add(ref o, i) = One(Unsafe.Add(ref d, i), a[t], scale, extra);
        }
    }

    /// <summary>
    /// The default <see cref="ITernaryKernel.ScaledDots"/>: the kernel's dots into a per-thread buffer, then
    /// <see cref="Rows"/>.
    /// </summary>
    public static void ViaDots(ITernaryKernel kernel, TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, float extra, Span<float> y, int yStride)
    {
        CheckScaled(w, row0, row1, q, n, a, y, yStride);
        int rows = row1 - row0;
        if (n == 0 || rows == 0) return;
        var dots = Scratch((long)n * rows);
        kernel.Dots(w, row0, row1, q, n, dots.AsSpan(0, n * rows), rows);
        Rows(dots, rows, n, rows, a, w.Scale, extra, y, yStride);
    }

    /// <summary>Argument checks of <see cref="ITernaryKernel.ScaledDots"/>.</summary>
    public static void CheckScaled(TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, Span<float> y, int yStride)
    {
        if ((uint)row0 > (uint)row1 || row1 > w.Rows) throw new ArgumentOutOfRangeException(nameof(row1), $"row range [{row0}, {row1}) outside [0, {w.Rows})");
        if (n < 0 || (long)n * w.Cols > q.Length) throw new ArgumentException($"{n} tokens of {w.Cols} activations need {(long)n * w.Cols} values, got {q.Length}", nameof(q));
        if (a.Length < n) throw new ArgumentException($"{n} tokens need {n} activation scales, got {a.Length}", nameof(a));
        if (n > 0 && row1 > row0 && (yStride < row1 - row0 || (long)(n - 1) * yStride + (row1 - row0) > y.Length))
            throw new ArgumentException($"output ({y.Length} values, stride {yStride}) too small for {n} × {row1 - row0}", nameof(y));
    }

    [ThreadStatic] private static int[]? t_dots;

    /// <summary>A per-thread buffer of at least <paramref name="length"/> ints for dots that are rescaled right away.</summary>
    internal static int[] Scratch(long length)
    {
        if (length > int.MaxValue) throw new ArgumentOutOfRangeException(nameof(length), "dots buffer over 2^31 values");
        return t_dots is { } d && d.Length >= length ? d : (t_dots = new int[Math.Max((int)length, 1024)]);
    }
}
