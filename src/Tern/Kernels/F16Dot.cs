using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tern.Tensors;

namespace Tern.Kernels;

/// <summary>
/// Dot product of an F16 row with float32 activations, converting in registers — the output layer's hot loop.
/// Bit-identical to widening the row with <see cref="HalfConversion"/> and calling <see cref="FloatDot.Dot"/>: each
/// value is converted exactly, and the 16-lane summation order is the same.
/// </summary>
/// <remarks>
/// Conversion: magnitude bits (h &amp; 0x7FFF) &lt;&lt; 13 read as a float are the value × 2^−112 exactly (normals and
/// subnormals alike), so one multiply by 2^112 restores it; the sign bit is moved to bit 31. Inf/NaN (exponent 31)
/// would come out finite, so a row containing any is handed to the reference path.
/// </remarks>
public static class F16Dot
{
    private const float Pow2To112 = 5.192296858534828e33f; // 2^112

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static float Dot(ReadOnlySpan<ushort> row, ReadOnlySpan<float> x)
    {
        if (row.Length != x.Length) throw new ArgumentException("length mismatch");
        int n = row.Length, full = n - n % FloatDot.Lanes;
        ref ushort h = ref MemoryMarshal.GetReference(row);
        ref float px = ref MemoryMarshal.GetReference(x);
        Span<float> lanes = stackalloc float[FloatDot.Lanes];
        if (Vector512.IsHardwareAccelerated)
        {
            var s = Vector512<float>.Zero;
            var special = Vector512<uint>.Zero;
            var mag = Vector512.Create(0x7FFFu);
            var expMask = Vector512.Create(0x7C00u);
            var scale = Vector512.Create(Pow2To112);
            for (int i = 0; i < full; i += 16)
            {
                var v = Vector512.WidenLower(Vector256.LoadUnsafe(ref h, (nuint)i).ToVector512Unsafe());
                special |= Vector512.Equals(v & expMask, expMask);
                var f = (Vector512.ShiftLeft(v & mag, 13).AsSingle() * scale).AsUInt32() | Vector512.ShiftLeft(v & Vector512.Create(0x8000u), 16);
                s += f.AsSingle() * Vector512.LoadUnsafe(ref px, (nuint)i);
            }
            if (special != Vector512<uint>.Zero) return Fallback(row, x);
            s.CopyTo(lanes);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<float> s0 = default, s1 = default;
            var special = Vector256<uint>.Zero;
            var mag = Vector256.Create(0x7FFFu);
            var expMask = Vector256.Create(0x7C00u);
            var sign = Vector256.Create(0x8000u);
            var scale = Vector256.Create(Pow2To112);
            for (int i = 0; i < full; i += 16)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref h, (nuint)i));
                special |= Vector256.Equals(lo & expMask, expMask) | Vector256.Equals(hi & expMask, expMask);
                var f0 = (Vector256.ShiftLeft(lo & mag, 13).AsSingle() * scale).AsUInt32() | Vector256.ShiftLeft(lo & sign, 16);
                var f1 = (Vector256.ShiftLeft(hi & mag, 13).AsSingle() * scale).AsUInt32() | Vector256.ShiftLeft(hi & sign, 16);
                s0 += f0.AsSingle() * Vector256.LoadUnsafe(ref px, (nuint)i);
                s1 += f1.AsSingle() * Vector256.LoadUnsafe(ref px, (nuint)i + 8);
            }
            if (special != Vector256<uint>.Zero) return Fallback(row, x);
            s0.CopyTo(lanes); s1.CopyTo(lanes[8..]);
        }
        else
        {
            return Fallback(row, x);
        }
        for (int i = full; i < n; i++) lanes[i - full] += HalfConversion.F16ToF32(row[i]) * x[i];
        return FloatDot.Reduce(lanes);
    }

    [ThreadStatic] private static float[]? t_row;

    /// <summary>The reference: widen the row exactly, then the canonical dot.</summary>
    public static float Fallback(ReadOnlySpan<ushort> row, ReadOnlySpan<float> x)
    {
        var buf = t_row is { } b && b.Length >= row.Length ? b : (t_row = new float[Math.Max(row.Length, 1024)]);
        var f = buf.AsSpan(0, row.Length);
        HalfConversion.F16ToF32(row, f);
        return FloatDot.Dot(f, x);
    }
}
