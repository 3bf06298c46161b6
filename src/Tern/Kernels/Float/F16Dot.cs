using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
        if (Avx512F.IsSupported)
        {
            var s = Vector512<float>.Zero;
            var maxBits = Vector512<uint>.Zero;
            var mag = Vector512.Create(0x7FFFu);
            var signBit = Vector512.Create(0x8000u);
            var scale = Vector512.Create(Pow2To112);
            for (int i = 0; i < full; i += 16)
            {
                var v = Avx512F.ConvertToVector512UInt32(Vector256.LoadUnsafe(ref h, (nuint)i)); // vpmovzxwd
                var m = v & mag;
                maxBits = Vector512.Max(maxBits, m);
                var f = (Vector512.ShiftLeft(m, 13).AsSingle() * scale).AsUInt32() | Vector512.ShiftLeft(v & signBit, 16);
                s = Vector512.FusedMultiplyAdd(f.AsSingle(), Vector512.LoadUnsafe(ref px, (nuint)i), s);
            }
            // A magnitude ≥ 0x7C00 has exponent 31: Inf or NaN.
            if (Vector512.GreaterThanOrEqualAny(maxBits, Vector512.Create(0x7C00u))) return Fallback(row, x);
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
                s0 = Vector256.FusedMultiplyAdd(f0.AsSingle(), Vector256.LoadUnsafe(ref px, (nuint)i), s0);
                s1 = Vector256.FusedMultiplyAdd(f1.AsSingle(), Vector256.LoadUnsafe(ref px, (nuint)i + 8), s1);
            }
            if (special != Vector256<uint>.Zero) return Fallback(row, x);
            s0.CopyTo(lanes); s1.CopyTo(lanes[8..]);
        }
        else
        {
            return Fallback(row, x);
        }
        for (int i = full; i < n; i++) lanes[i - full] = MathF.FusedMultiplyAdd(HalfConversion.F16ToF32(row[i]), x[i], lanes[i - full]);
        return FloatDot.Reduce(lanes);
    }

    /// <summary>
    /// The same result as <see cref="Dot"/> for rows known to hold no Inf/NaN (checked once per matrix with
    /// <see cref="AllFinite"/>). Conversion trick: sign-extending the 16 bits to 32 and shifting left by 13 puts the
    /// sign in bit 31 (with copies in bits 30–28, masked off) and exponent/mantissa in bits 27–13.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe float DotFinite(ReadOnlySpan<ushort> row, ReadOnlySpan<float> x)
    {
        if (row.Length != x.Length) throw new ArgumentException("length mismatch");
        int n = row.Length, full = n - n % FloatDot.Lanes;
        // AVX-512, or 128-bit vectors where they are the widest (ARM64's AdvSimd, x86 without AVX2); AVX2 keeps Dot.
        bool narrow = !Avx512F.IsSupported && Vector128.IsHardwareAccelerated && !Vector256.IsHardwareAccelerated;
        if ((!Avx512F.IsSupported && !narrow) || full == 0) return Dot(row, x);
        fixed (ushort* h = row)
        fixed (float* px = x)
        {
            Span<float> lanes = stackalloc float[FloatDot.Lanes];
            if (narrow)
            {
                Finite128(h, px, full, lanes);
            }
            else
            {
                var s = Vector512<float>.Zero;
                var keep = Vector512.Create(0x8FFFE000u);
                var scale = Vector512.Create(Pow2To112);
                for (int i = 0; i < full; i += 16)
                {
                    var v = Avx512F.ConvertToVector512Int32(Avx.LoadVector256((short*)h + i)).AsUInt32(); // vpmovsxwd
                    var f = (Vector512.ShiftLeft(v, 13) & keep).AsSingle() * scale;
                    s = Vector512.FusedMultiplyAdd(f, Avx512F.LoadVector512(px + i), s);
                }
                s.CopyTo(lanes);
            }
            for (int i = full; i < n; i++) lanes[i - full] = MathF.FusedMultiplyAdd(HalfConversion.F16ToF32(row[i]), x[i], lanes[i - full]);
            return FloatDot.Reduce(lanes);
        }
    }

    /// <summary>
    /// <see cref="DotFinite"/>'s loop on 128-bit vectors: the 16 lanes of the AVX-512 accumulator as four vectors
    /// (lane i of vector j = lane 4j + i), each value converted and fused-multiply-added into the same lane in the same
    /// order, so the lanes — and the sum <see cref="FloatDot.Reduce"/> makes of them — are bit-identical. Without it
    /// these machines widened each row into a buffer first (<see cref="Fallback"/>), about three times the
    /// instructions per weight of the output layer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Finite128(ushort* h, float* px, int full, Span<float> lanes)
    {
        Vector128<float> s0 = default, s1 = default, s2 = default, s3 = default;
        var keep = Vector128.Create(0x8FFFE000u);
        var scale = Vector128.Create(Pow2To112);
        for (int i = 0; i < full; i += 16)
        {
            var (v0, v1) = Vector128.Widen(Vector128.Load((short*)h + i)); // sign-extended, as vpmovsxwd
            var (v2, v3) = Vector128.Widen(Vector128.Load((short*)h + i + 8));
            s0 = Vector128.FusedMultiplyAdd((Vector128.ShiftLeft(v0.AsUInt32(), 13) & keep).AsSingle() * scale, Vector128.Load(px + i), s0);
            s1 = Vector128.FusedMultiplyAdd((Vector128.ShiftLeft(v1.AsUInt32(), 13) & keep).AsSingle() * scale, Vector128.Load(px + i + 4), s1);
            s2 = Vector128.FusedMultiplyAdd((Vector128.ShiftLeft(v2.AsUInt32(), 13) & keep).AsSingle() * scale, Vector128.Load(px + i + 8), s2);
            s3 = Vector128.FusedMultiplyAdd((Vector128.ShiftLeft(v3.AsUInt32(), 13) & keep).AsSingle() * scale, Vector128.Load(px + i + 12), s3);
        }
        s0.CopyTo(lanes);
        s1.CopyTo(lanes[4..]);
        s2.CopyTo(lanes[8..]);
        s3.CopyTo(lanes[12..]);
    }

    /// <summary>True when <see cref="DotFinite4"/> runs vectorized for rows of <paramref name="length"/> values (AVX-512, or AVX2 by <see cref="DotFinite4x256"/>).</summary>
    public static bool FourRowsSupported(int length) => (Avx512F.IsSupported || Avx2.IsSupported) && length >= FloatDot.Lanes;

    /// <summary>
    /// How far ahead (in halves) the two-row batch forms prefetch each row, one line per row every 32 halves (into
    /// L1). <see cref="DotFinite4"/> used to do the same for its four rows: 16 KB ahead streamed 12.6–13.2 GB/s on
    /// one core against 9.3–10.6 without (`Tern.Benchmarks -- f16 120000 2560`), and into L2 rather than L1 took tg
    /// at 1 thread from 10.9 to 14.0 tok/s (`tern bench -m 2b4t -p 0 -n 32 -t 1,2 -r 2`, alternating builds). Four
    /// streams a row apart still read slower than one: over 320 MB of F16 rows at 1 thread (AVX2, Zen 4, 4 rounds
    /// alternating) a plain sum read 20–25 GB/s, the four-row dot 17–19 with per-row prefetches and 19–22 with the
    /// next block prefetched in address order, which it now does; `tern bench -p 0 -n 32 -t 1 --profile` (AVX2,
    /// alternating builds, 3 rounds): the output layer 2.44–2.67 s against 2.93–3.06 s per 68 tokens.
    /// </summary>
    internal const int PrefetchHalves = 8192;

    /// <summary>Largest |x| for which <see cref="ScaleForFourRows"/> is exact (x·2¹¹² must stay finite).</summary>
    public const float MaxScaledInput = 65536f;

    /// <summary>
    /// xs = x · 2¹¹² for <see cref="DotFinite4"/>; false (and xs untouched) when some |x| ≥ 2¹⁶ (or is NaN), where the
    /// scaling would overflow: use <see cref="DotFinite"/> then.
    /// </summary>
    public static bool ScaleForFourRows(ReadOnlySpan<float> x, Span<float> xs)
    {
        foreach (float v in x) if (!(MathF.Abs(v) < MaxScaledInput)) return false;
        for (int i = 0; i < x.Length; i++) xs[i] = x[i] * Pow2To112;
        return true;
    }

    /// <summary>
    /// <see cref="DotFinite"/> of four rows (at <paramref name="rows"/> + i·<paramref name="stride"/> halves), each
    /// bit-identical to a single-row call with x, from <paramref name="xs"/> = x · 2¹¹² (<see cref="ScaleForFourRows"/>):
    /// the shifted F16 bits are the value · 2⁻¹¹² exactly, and (v · 2⁻¹¹²)(x · 2¹¹²) = v · x exactly, so the fused
    /// multiply-add rounds the same sum — without the per-element multiply by 2¹¹². Four independent accumulation
    /// chains instead of one, and each xs load serves four rows. Needs <see cref="FourRowsSupported"/>; rows known to
    /// hold no Inf/NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static unsafe void DotFinite4(ushort* rows, long stride, ReadOnlySpan<float> xs, Span<float> result)
    {
        int n = xs.Length, full = n - n % FloatDot.Lanes;
        if (!FourRowsSupported(n)) throw new NotSupportedException("DotFinite4 needs AVX-512 or AVX2 and at least 16 values");
        if (!Avx512F.IsSupported) { DotFinite4x256(rows, stride, xs, result); return; }
        _ = result[3];
        fixed (float* px = xs)
        {
            Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
            var keep = Vector512.Create(0x8FFFE000u);
            short* h0 = (short*)rows, h1 = (short*)(rows + stride), h2 = (short*)(rows + 2 * stride), h3 = (short*)(rows + 3 * stride);
            // Four prefetches per 32 halves, in a loop body without branches (a branch inside it made the JIT keep the
            // accumulators on the stack: a store and reload on every chain, 2.6× slower in L2). They walk the next
            // block of four rows (contiguous: 4·stride halves on) front to back, 256 bytes per iteration, as this
            // block is consumed: one stream in address order. Prefetching each row ahead instead (four streams a row
            // apart) read slower from DRAM: see PrefetchHalves.
            short* next = (short*)(rows + 4 * stride);
            int i = 0;
            for (; i + 32 <= full; i += 32, next += 128)
            {
                Sse.Prefetch1(next); Sse.Prefetch1(next + 32); Sse.Prefetch1(next + 64); Sse.Prefetch1(next + 96);
                var vx = Avx512F.LoadVector512(px + i);
                s0 = Vector512.FusedMultiplyAdd(Widen(h0 + i, keep), vx, s0);
                s1 = Vector512.FusedMultiplyAdd(Widen(h1 + i, keep), vx, s1);
                s2 = Vector512.FusedMultiplyAdd(Widen(h2 + i, keep), vx, s2);
                s3 = Vector512.FusedMultiplyAdd(Widen(h3 + i, keep), vx, s3);
                vx = Avx512F.LoadVector512(px + i + 16);
                s0 = Vector512.FusedMultiplyAdd(Widen(h0 + i + 16, keep), vx, s0);
                s1 = Vector512.FusedMultiplyAdd(Widen(h1 + i + 16, keep), vx, s1);
                s2 = Vector512.FusedMultiplyAdd(Widen(h2 + i + 16, keep), vx, s2);
                s3 = Vector512.FusedMultiplyAdd(Widen(h3 + i + 16, keep), vx, s3);
            }
            if (i < full) // one 16-value chunk left
            {
                var vx = Avx512F.LoadVector512(px + i);
                s0 = Vector512.FusedMultiplyAdd(Widen(h0 + i, keep), vx, s0);
                s1 = Vector512.FusedMultiplyAdd(Widen(h1 + i, keep), vx, s1);
                s2 = Vector512.FusedMultiplyAdd(Widen(h2 + i, keep), vx, s2);
                s3 = Vector512.FusedMultiplyAdd(Widen(h3 + i, keep), vx, s3);
            }
            Span<float> lanes = stackalloc float[FloatDot.Lanes];
            Finish(s0, h0, px, full, n, lanes, out result[0]);
            Finish(s1, h1, px, full, n, lanes, out result[1]);
            Finish(s2, h2, px, full, n, lanes, out result[2]);
            Finish(s3, h3, px, full, n, lanes, out result[3]);
        }
    }

    /// <summary>True when <see cref="DotFinite4x4"/> runs (AVX-512, rows of at least 16 values).</summary>
    public static bool FourTokensSupported(int length) => Avx512F.IsSupported && length >= FloatDot.Lanes;

    /// <summary>
    /// <see cref="DotFinite4"/> of four rows against four tokens at once (a batch of decoding sequences):
    /// result[4t + i] for row i and token t, whose scaled activations are at <paramref name="xs"/> + t·<paramref name="xStride"/>.
    /// Two rows at a time: each 16-value chunk of a row is converted once and multiplied into all four tokens (the
    /// conversion's three operations shared four ways), eight independent chains. Each chain adds the same products in
    /// the same order as <see cref="DotFinite4"/>'s for that row and token: the same bits.
    /// </summary>
    public static unsafe void DotFinite4x4(ushort* rows, long stride, float* xs, long xStride, int n, Span<float> result) =>
        FourRowsByTokens(rows, stride, xs, xStride, n, result, 4, &TwoRowsFourTokens);

    /// <summary>
    /// The shared frame of <see cref="DotFinite4x4"/> and <see cref="DotFinite4x8"/>: rows 0–1 and 2–3 through the
    /// two-row kernel (lanes to acc[(4t + i)·16]), then each row and token's tail and lane sum.
    /// </summary>
    private static unsafe void FourRowsByTokens(ushort* rows, long stride, float* xs, long xStride, int n, Span<float> result, int tokens,
        delegate*<short*, short*, float*, long, int, float*, void> twoRows)
    {
        int full = n - n % FloatDot.Lanes;
        if (!FourTokensSupported(n)) throw new NotSupportedException($"DotFinite4x{tokens} needs AVX-512 and at least 16 values");
        _ = result[4 * tokens - 1];
        float* acc = stackalloc float[32 * FloatDot.Lanes]; // [token][row][lane], up to 8 tokens
        short* h0 = (short*)rows, h1 = (short*)(rows + stride), h2 = (short*)(rows + 2 * stride), h3 = (short*)(rows + 3 * stride);
        twoRows(h0, h1, xs, xStride, full, acc);
        twoRows(h2, h3, xs, xStride, full, acc + 2 * FloatDot.Lanes);
        for (int j = 0; j < 4 * tokens; j++)
        {
            short* h = (j % 4) switch { 0 => h0, 1 => h1, 2 => h2, _ => h3 };
            Finish(h, xs + j / 4 * xStride, full, n, new Span<float>(acc + j * FloatDot.Lanes, FloatDot.Lanes), out result[j]);
        }
    }

    /// <summary>
    /// The lanes of rows h0, h1 × four tokens over the whole 16-value chunks, to acc[(4t + i)·16] for row i of the pair.
    /// Eight chains, two converted chunks, one activation vector and the mask in registers (with 16 chains the JIT
    /// stored every chain to the stack on each iteration).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TwoRowsFourTokens(short* h0, short* h1, float* xs, long xStride, int full, float* acc)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
        var keep = Vector512.Create(0x8FFFE000u);
        float* x0 = xs, x1 = xs + xStride, x2 = xs + 2 * xStride, x3 = xs + 3 * xStride;
        for (int i = 0; i < full; i += 16)
        {
            Sse.Prefetch0(h0 + i + PrefetchHalves); Sse.Prefetch0(h1 + i + PrefetchHalves); // each line twice: no branch in the loop
            var w0 = Widen(h0 + i, keep);
            var w1 = Widen(h1 + i, keep);
            var v = Avx512F.LoadVector512(x0 + i);
            a0 = Vector512.FusedMultiplyAdd(w0, v, a0); b0 = Vector512.FusedMultiplyAdd(w1, v, b0);
            v = Avx512F.LoadVector512(x1 + i);
            a1 = Vector512.FusedMultiplyAdd(w0, v, a1); b1 = Vector512.FusedMultiplyAdd(w1, v, b1);
            v = Avx512F.LoadVector512(x2 + i);
            a2 = Vector512.FusedMultiplyAdd(w0, v, a2); b2 = Vector512.FusedMultiplyAdd(w1, v, b2);
            v = Avx512F.LoadVector512(x3 + i);
            a3 = Vector512.FusedMultiplyAdd(w0, v, a3); b3 = Vector512.FusedMultiplyAdd(w1, v, b3);
        }
        const int T = 4 * FloatDot.Lanes; // one token's four rows
        Avx512F.Store(acc, a0); Avx512F.Store(acc + FloatDot.Lanes, b0);
        Avx512F.Store(acc + T, a1); Avx512F.Store(acc + T + FloatDot.Lanes, b1);
        Avx512F.Store(acc + 2 * T, a2); Avx512F.Store(acc + 2 * T + FloatDot.Lanes, b2);
        Avx512F.Store(acc + 3 * T, a3); Avx512F.Store(acc + 3 * T + FloatDot.Lanes, b3);
    }

    /// <summary>
    /// <see cref="DotFinite4x4"/> for eight tokens: result[4t + i] for row i and token t. Each converted chunk serves
    /// eight multiply-adds, half the conversion work per multiply-add of the four-token form (the conversion's shift and
    /// sign-extension share a pipe with the FMAs). The same bits as <see cref="DotFinite4"/> per row and token.
    /// </summary>
    public static unsafe void DotFinite4x8(ushort* rows, long stride, float* xs, long xStride, int n, Span<float> result) =>
        FourRowsByTokens(rows, stride, xs, xStride, n, result, 8, &TwoRowsEightTokens);

    /// <summary>The lanes of rows h0, h1 × eight tokens, to acc[(4t + i)·16]: 16 chains, two converted chunks, one activation vector, the mask.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TwoRowsEightTokens(short* h0, short* h1, float* xs, long xStride, int full, float* acc)
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default, b4 = default, b5 = default, b6 = default, b7 = default;
        var keep = Vector512.Create(0x8FFFE000u);
        float* x0 = xs, x1 = xs + xStride, x2 = xs + 2 * xStride, x3 = xs + 3 * xStride;
        float* x4 = xs + 4 * xStride, x5 = xs + 5 * xStride, x6 = xs + 6 * xStride, x7 = xs + 7 * xStride;
        for (int i = 0; i < full; i += 16)
        {
            Sse.Prefetch0(h0 + i + PrefetchHalves); Sse.Prefetch0(h1 + i + PrefetchHalves); // each line twice: no branch in the loop
            var w0 = Widen(h0 + i, keep);
            var w1 = Widen(h1 + i, keep);
            var v = Avx512F.LoadVector512(x0 + i);
            a0 = Vector512.FusedMultiplyAdd(w0, v, a0); b0 = Vector512.FusedMultiplyAdd(w1, v, b0);
            v = Avx512F.LoadVector512(x1 + i);
            a1 = Vector512.FusedMultiplyAdd(w0, v, a1); b1 = Vector512.FusedMultiplyAdd(w1, v, b1);
            v = Avx512F.LoadVector512(x2 + i);
            a2 = Vector512.FusedMultiplyAdd(w0, v, a2); b2 = Vector512.FusedMultiplyAdd(w1, v, b2);
            v = Avx512F.LoadVector512(x3 + i);
            a3 = Vector512.FusedMultiplyAdd(w0, v, a3); b3 = Vector512.FusedMultiplyAdd(w1, v, b3);
            v = Avx512F.LoadVector512(x4 + i);
            a4 = Vector512.FusedMultiplyAdd(w0, v, a4); b4 = Vector512.FusedMultiplyAdd(w1, v, b4);
            v = Avx512F.LoadVector512(x5 + i);
            a5 = Vector512.FusedMultiplyAdd(w0, v, a5); b5 = Vector512.FusedMultiplyAdd(w1, v, b5);
            v = Avx512F.LoadVector512(x6 + i);
            a6 = Vector512.FusedMultiplyAdd(w0, v, a6); b6 = Vector512.FusedMultiplyAdd(w1, v, b6);
            v = Avx512F.LoadVector512(x7 + i);
            a7 = Vector512.FusedMultiplyAdd(w0, v, a7); b7 = Vector512.FusedMultiplyAdd(w1, v, b7);
        }
        const int T = 4 * FloatDot.Lanes; // one token's four rows
        Avx512F.Store(acc, a0); Avx512F.Store(acc + FloatDot.Lanes, b0);
        Avx512F.Store(acc + T, a1); Avx512F.Store(acc + T + FloatDot.Lanes, b1);
        Avx512F.Store(acc + 2 * T, a2); Avx512F.Store(acc + 2 * T + FloatDot.Lanes, b2);
        Avx512F.Store(acc + 3 * T, a3); Avx512F.Store(acc + 3 * T + FloatDot.Lanes, b3);
        Avx512F.Store(acc + 4 * T, a4); Avx512F.Store(acc + 4 * T + FloatDot.Lanes, b4);
        Avx512F.Store(acc + 5 * T, a5); Avx512F.Store(acc + 5 * T + FloatDot.Lanes, b5);
        Avx512F.Store(acc + 6 * T, a6); Avx512F.Store(acc + 6 * T + FloatDot.Lanes, b6);
        Avx512F.Store(acc + 7 * T, a7); Avx512F.Store(acc + 7 * T + FloatDot.Lanes, b7);
    }

    /// <summary>
    /// <see cref="DotFinite4"/> on 256-bit vectors (AVX2 machines): each row's 16 lanes are two accumulators (lanes
    /// 0–7 and 8–15), so every lane adds the same products in the same order as the 512-bit form and as
    /// <see cref="Dot"/>'s AVX2 path — the same bits. 8 accumulators, 2 activation vectors and the mask: 11 of the 16
    /// registers. <c>vpmovsxwd</c> sign-extends 8 halves straight from memory; the conversion is the one of
    /// <see cref="DotFinite"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static unsafe void DotFinite4x256(ushort* rows, long stride, ReadOnlySpan<float> xs, Span<float> result)
    {
        int n = xs.Length, full = n - n % FloatDot.Lanes;
        if (!Avx2.IsSupported || n < FloatDot.Lanes) throw new NotSupportedException("DotFinite4x256 needs AVX2 and at least 16 values");
        _ = result[3];
        fixed (float* px = xs)
        {
            Vector256<float> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
            var keep = Vector256.Create(0x8FFFE000u);
            short* h0 = (short*)rows, h1 = (short*)(rows + stride), h2 = (short*)(rows + 2 * stride), h3 = (short*)(rows + 3 * stride);
            // As in the 512-bit form: the next block prefetched front to back, without a branch in the loop body.
            short* next = (short*)(rows + 4 * stride);
            int i = 0;
            for (; i + 32 <= full; i += 32, next += 128)
            {
                Sse.Prefetch1(next); Sse.Prefetch1(next + 32); Sse.Prefetch1(next + 64); Sse.Prefetch1(next + 96);
                Chunk256(h0, h1, h2, h3, px, i, keep, ref a0, ref b0, ref a1, ref b1, ref a2, ref b2, ref a3, ref b3);
                Chunk256(h0, h1, h2, h3, px, i + 16, keep, ref a0, ref b0, ref a1, ref b1, ref a2, ref b2, ref a3, ref b3);
            }
            if (i < full) Chunk256(h0, h1, h2, h3, px, i, keep, ref a0, ref b0, ref a1, ref b1, ref a2, ref b2, ref a3, ref b3);
            Span<float> lanes = stackalloc float[FloatDot.Lanes];
            a0.CopyTo(lanes); b0.CopyTo(lanes[8..]); Finish(h0, px, full, n, lanes, out result[0]);
            a1.CopyTo(lanes); b1.CopyTo(lanes[8..]); Finish(h1, px, full, n, lanes, out result[1]);
            a2.CopyTo(lanes); b2.CopyTo(lanes[8..]); Finish(h2, px, full, n, lanes, out result[2]);
            a3.CopyTo(lanes); b3.CopyTo(lanes[8..]); Finish(h3, px, full, n, lanes, out result[3]);
        }
    }

    /// <summary>16 values of each of four rows into their two 8-lane accumulators (<see cref="DotFinite4x256"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Chunk256(short* h0, short* h1, short* h2, short* h3, float* px, int i, Vector256<uint> keep,
        ref Vector256<float> a0, ref Vector256<float> b0, ref Vector256<float> a1, ref Vector256<float> b1,
        ref Vector256<float> a2, ref Vector256<float> b2, ref Vector256<float> a3, ref Vector256<float> b3)
    {
        var xl = Avx.LoadVector256(px + i);
        var xh = Avx.LoadVector256(px + i + 8);
        a0 = Vector256.FusedMultiplyAdd(Widen(h0 + i, keep), xl, a0); b0 = Vector256.FusedMultiplyAdd(Widen(h0 + i + 8, keep), xh, b0);
        a1 = Vector256.FusedMultiplyAdd(Widen(h1 + i, keep), xl, a1); b1 = Vector256.FusedMultiplyAdd(Widen(h1 + i + 8, keep), xh, b1);
        a2 = Vector256.FusedMultiplyAdd(Widen(h2 + i, keep), xl, a2); b2 = Vector256.FusedMultiplyAdd(Widen(h2 + i + 8, keep), xh, b2);
        a3 = Vector256.FusedMultiplyAdd(Widen(h3 + i, keep), xl, a3); b3 = Vector256.FusedMultiplyAdd(Widen(h3 + i + 8, keep), xh, b3);
    }

    /// <summary>Sixteen F16 values at h as their float32 bits · 2⁻¹¹² (see <see cref="DotFinite"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector512<float> Widen(short* h, Vector512<uint> keep) =>
        (Vector512.ShiftLeft(Avx512F.ConvertToVector512Int32(Avx.LoadVector256(h)).AsUInt32(), 13) & keep).AsSingle();

    /// <summary>Eight F16 values at h as their float32 bits · 2⁻¹¹² (see <see cref="DotFinite"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe Vector256<float> Widen(short* h, Vector256<uint> keep) =>
        (Vector256.ShiftLeft(Avx2.ConvertToVector256Int32(h).AsUInt32(), 13) & keep).AsSingle();

    /// <summary>Folds one row's lanes after adding its tail (n mod 16 values), still in the scaled form.</summary>
    private static unsafe void Finish(Vector512<float> s, short* h, float* xs, int full, int n, Span<float> lanes, out float result)
    {
        s.CopyTo(lanes);
        Finish(h, xs, full, n, lanes, out result);
    }

    /// <summary>Folds lanes already holding one row's 16 partial sums, after adding its tail.</summary>
    private static unsafe void Finish(short* h, float* xs, int full, int n, Span<float> lanes, out float result)
    {
        for (int i = full; i < n; i++)
            lanes[i - full] = MathF.FusedMultiplyAdd(BitConverter.Int32BitsToSingle((int)(((uint)h[i] << 13) & 0x8FFFE000u)), xs[i], lanes[i - full]);
        result = FloatDot.Reduce(lanes);
    }

    /// <summary>True when no value is Inf or NaN (exponent bits all ones).</summary>
    public static bool AllFinite(ReadOnlySpan<ushort> values)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var acc = Vector256<ushort>.Zero;
            var exp = Vector256.Create((ushort)0x7C00);
            for (; i <= values.Length - 16; i += 16)
                acc |= Vector256.Equals(Vector256.Create(values.Slice(i, 16)) & exp, exp);
            if (acc != Vector256<ushort>.Zero) return false;
        }
        for (; i < values.Length; i++) if ((values[i] & 0x7C00) == 0x7C00) return false;
        return true;
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
