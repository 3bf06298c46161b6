using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tern.Tensors;

/// <summary>
/// Exact conversions between IEEE binary16 (F16), bfloat16 (BF16) and float32, on raw bit patterns.
/// </summary>
/// <remarks>
/// F16 → F32 is done with integer bit manipulation, never with <c>(float)Half</c>: .NET has no F16C intrinsic,
/// so the <see cref="Half"/> conversion is a software call that runs at well under 1 GB/s (dotnet-performance.md).
/// The trick used here: an F16 value without its sign, shifted left by 13, is a float32 bit pattern whose exponent
/// field is the F16 exponent field and whose mantissa is the F16 mantissa; read as a float it is the F16 value times
/// 2^-112 (bias 127 instead of 15). Multiplying by 2^112 — exact, a power of two — gives the F16 value, for normal
/// numbers and for subnormals alike (an F16 subnormal becomes a float32 subnormal, scaled up exactly).
/// Only exponent 31 (Inf/NaN) needs a fix-up: its exponent field must become 255.
/// </remarks>
public static class HalfConversion
{
    private const float TwoPow112 = 5.192296858534828e33f; // 2^112, exactly representable

    /// <summary>F16 bits → float32, exact for every one of the 65536 patterns (NaN payloads are kept, quieted like <c>(float)Half</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float F16ToF32(ushort h)
    {
        uint sign = (uint)(h & 0x8000) << 16;
        uint magnitude = (uint)(h & 0x7FFF) << 13;
        if ((h & 0x7C00) == 0x7C00) // Inf or NaN: exponent 31 → 255; a NaN also gets its quiet bit, as in hardware conversion
            return BitConverter.UInt32BitsToSingle(sign | 0x7F800000 | magnitude | ((h & 0x03FF) != 0 ? 0x00400000u : 0u));
        return BitConverter.UInt32BitsToSingle(sign | BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(magnitude) * TwoPow112));
    }

    /// <summary>Converts a span of F16 bit patterns to float32 (same results as the scalar overload; vectorized where the CPU allows).</summary>
    public static void F16ToF32(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length != src.Length)
            throw new ArgumentException($"destination length {dst.Length} differs from source length {src.Length}", nameof(dst));
        ref ushort s = ref MemoryMarshal.GetReference(src);
        ref uint d = ref Unsafe.As<float, uint>(ref MemoryMarshal.GetReference(dst));
        int n = src.Length, i = 0;

        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= n - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var (lo, hi) = Vector256.Widen(Vector256.LoadUnsafe(ref s, (nuint)i));
                ConvertF16Lanes(lo).StoreUnsafe(ref d, (nuint)i);
                ConvertF16Lanes(hi).StoreUnsafe(ref d, (nuint)(i + Vector256<uint>.Count));
            }
        }
        else if (Vector128.IsHardwareAccelerated)
        {
            for (; i <= n - Vector128<ushort>.Count; i += Vector128<ushort>.Count)
            {
                var (lo, hi) = Vector128.Widen(Vector128.LoadUnsafe(ref s, (nuint)i));
                ConvertF16Lanes(lo).StoreUnsafe(ref d, (nuint)i);
                ConvertF16Lanes(hi).StoreUnsafe(ref d, (nuint)(i + Vector128<uint>.Count));
            }
        }
        for (; i < n; i++)
            Unsafe.Add(ref d, i) = BitConverter.SingleToUInt32Bits(F16ToF32(Unsafe.Add(ref s, i)));
    }

    // One F16 value per 32-bit lane (zero-extended) → float32 bits. Same arithmetic as the scalar F16ToF32.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> ConvertF16Lanes(Vector256<uint> h)
    {
        var sign = (h & Vector256.Create(0x8000u)) << 16;
        var magnitude = (h & Vector256.Create(0x7FFFu)) << 13;
        var finite = (magnitude.AsSingle() * Vector256.Create(TwoPow112)).AsUInt32();
        var quiet = ~Vector256.Equals(h & Vector256.Create(0x03FFu), Vector256<uint>.Zero) & Vector256.Create(0x00400000u);
        var infNaN = magnitude | Vector256.Create(0x7F800000u) | quiet;
        var isInfNaN = Vector256.Equals(h & Vector256.Create(0x7C00u), Vector256.Create(0x7C00u));
        return sign | Vector256.ConditionalSelect(isInfNaN, infNaN, finite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> ConvertF16Lanes(Vector128<uint> h)
    {
        var sign = (h & Vector128.Create(0x8000u)) << 16;
        var magnitude = (h & Vector128.Create(0x7FFFu)) << 13;
        var finite = (magnitude.AsSingle() * Vector128.Create(TwoPow112)).AsUInt32();
        var quiet = ~Vector128.Equals(h & Vector128.Create(0x03FFu), Vector128<uint>.Zero) & Vector128.Create(0x00400000u);
        var infNaN = magnitude | Vector128.Create(0x7F800000u) | quiet;
        var isInfNaN = Vector128.Equals(h & Vector128.Create(0x7C00u), Vector128.Create(0x7C00u));
        return sign | Vector128.ConditionalSelect(isInfNaN, infNaN, finite);
    }

    /// <summary>
    /// float32 → F16 bits, rounding to nearest, ties to even; overflow gives ±Inf, NaN stays NaN (quiet, payload truncated).
    /// Identical to <c>BitConverter.HalfToUInt16Bits((Half)f)</c> and, for non-NaN input, to ggml's GGML_FP32_TO_FP16.
    /// </summary>
    public static ushort F32ToF16(float f)
    {
        uint x = BitConverter.SingleToUInt32Bits(f);
        uint sign = (x >> 16) & 0x8000;
        x &= 0x7FFFFFFF;

        if (x >= 0x7F800000) // Inf or NaN
            return (ushort)(sign | 0x7C00 | (x > 0x7F800000 ? 0x0200 | ((x >> 13) & 0x3FF) : 0));
        if (x >= 0x477FF000) // ≥ 65520 = halfway between 65504 (the largest F16) and 65536: rounds to Inf
            return (ushort)(sign | 0x7C00);
        if (x >= 0x38800000) // ≥ 2^-14: a normal F16. Re-bias the exponent (127 → 15) and round away the low 13 bits.
        {
            uint r = x - 0x38000000;
            r += 0x0FFF + ((r >> 13) & 1); // ties to even; a carry out of the mantissa correctly bumps the exponent
            return (ushort)(sign | (r >> 13));
        }
        if (x <= 0x33000000) // ≤ 2^-25 = half the smallest subnormal: rounds to (signed) zero
            return (ushort)sign;

        // F16 subnormal: result = round(value / 2^-24). value = m · 2^(e-150) with the implicit bit in m.
        int e = (int)(x >> 23);
        uint m = (x & 0x007FFFFF) | 0x00800000;
        int shift = 126 - e; // 14..24 here
        uint q = m >> shift;
        uint rest = m & ((1u << shift) - 1);
        uint half = 1u << (shift - 1);
        if (rest > half || (rest == half && (q & 1) != 0)) q++; // may become 0x400 = the smallest normal, which is right
        return (ushort)(sign | q);
    }

    /// <summary>BF16 bits → float32 (exact: BF16 is the upper half of a float32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float BF16ToF32(ushort b) => BitConverter.UInt32BitsToSingle((uint)b << 16);

    /// <summary>Converts a span of BF16 bit patterns to float32.</summary>
    public static void BF16ToF32(ReadOnlySpan<ushort> src, Span<float> dst)
    {
        if (dst.Length != src.Length)
            throw new ArgumentException($"destination length {dst.Length} differs from source length {src.Length}", nameof(dst));
        for (int i = 0; i < src.Length; i++) dst[i] = BF16ToF32(src[i]);
    }

    /// <summary>
    /// float32 → BF16 bits as ggml does it (ggml_compute_fp32_to_bf16): round to nearest, ties to even; NaN is made
    /// quiet by setting bit 6 of the result (payload truncated); subnormals are rounded, not flushed.
    /// </summary>
    public static ushort F32ToBF16(float f)
    {
        uint x = BitConverter.SingleToUInt32Bits(f);
        if ((x & 0x7FFFFFFF) > 0x7F800000) return (ushort)((x >> 16) | 0x40);
        return (ushort)((x + 0x7FFF + ((x >> 16) & 1)) >> 16);
    }
}
