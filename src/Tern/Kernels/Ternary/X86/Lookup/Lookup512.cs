using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tern.Kernels.X86;

/// <summary>
/// The 512-bit width of <see cref="LookupMatMul{W}"/> (AVX-512BW): 32 tokens per block, 64-byte entries, offsets
/// <c>g·5184 + i·64</c>. At 2B-4T shapes (`Tern.Benchmarks -- throughput`, 1 thread) the README's sitting had ~250
/// GMAC/s at 512 tokens and ~230 at 128 against 148–150 for the multiply-add tiles; on 2026-12-03 (a busier VM, builds
/// before and after the driver split alternating) 150–213 GMAC per CPU-second for both.
/// </summary>
internal unsafe struct Lookup512 : ILookupWidth
{
    private const int T = 32;
    private const int GroupTableBytes = 81 * 2 * T;

    public static bool IsSupported => Avx512BW.IsSupported;
    public static int Tokens => T;
    public static int MinRows => 64;

    /// <summary>
    /// A panel's int16 and int32 accumulators (192 bytes per row) stay in L2, and the tables are rebuilt per panel and
    /// block. Measured at 2B-4T shapes (`Tern.Benchmarks -- throughput --tokens 512`, 1 thread, alternating): 4096
    /// rows 181–185 GMAC/s, 8192 157–184, 1024 117–122; the multiply-add tiles 148–149.
    /// </summary>
    public static int PanelRows => 4096;

    /// <summary>
    /// 16 columns at a time: vector R_t holds tokens t and t + 16 (16 columns each, sign-extended), and three rounds of
    /// unpacks (16-, 32-, 64-bit) transpose both 256-bit halves at once, leaving in C[8n + p] column p (lanes 0, 2) and
    /// p + 8 (lanes 1, 3) of tokens 8n … 8n + 7 (and 16 + 8n …); one two-source permute per column joins n = 0 and 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(sbyte* q, int k, short* xt)
    {
        var r = stackalloc Vector512<short>[16];
        var b = stackalloc Vector512<int>[16];
        var lowCols = Vector512.Create(0L, 1, 8, 9, 4, 5, 12, 13);
        var highCols = Vector512.Create(2L, 3, 10, 11, 6, 7, 14, 15);
        for (int c0 = 0; c0 < k; c0 += 16, xt += 16 * T)
        {
            for (int t = 0; t < 16; t++)
                r[t] = Avx512BW.ConvertToVector512Int16(Vector256.Create(Vector128.Load(q + (long)t * k + c0), Vector128.Load(q + (long)(t + 16) * k + c0)));
            for (int i = 0; i < 8; i++) // 16-bit: rows 2i, 2i + 1 interleaved; positions 0–3 (a = 0) and 4–7 (a = 1)
            {
                var x = r[2 * i];
                var y = r[2 * i + 1];
                r[2 * i] = Avx512BW.UnpackLow(x, y);
                r[2 * i + 1] = Avx512BW.UnpackHigh(x, y);
            }
            for (int m = 0; m < 2 * 2; m++) // 32-bit: rows 4m … 4m + 3
                for (int a = 0; a < 2; a++)
                {
                    var x = r[4 * m + a].AsInt32();
                    var y = r[4 * m + 2 + a].AsInt32();
                    b[4 * m + 2 * a] = Avx512F.UnpackLow(x, y);
                    b[4 * m + 2 * a + 1] = Avx512F.UnpackHigh(x, y);
                }
            for (int n = 0; n < 2; n++) // 64-bit: rows 8n … 8n + 7, position p = 4a + 2b + d
                for (int ab = 0; ab < 4; ab++)
                {
                    var x = b[8 * n + ab].AsInt64();
                    var y = b[8 * n + 4 + ab].AsInt64();
                    r[8 * n + 2 * ab] = Avx512F.UnpackLow(x, y).AsInt16();
                    r[8 * n + 2 * ab + 1] = Avx512F.UnpackHigh(x, y).AsInt16();
                }
            for (int p = 0; p < 8; p++)
            {
                var lo = r[p].AsInt64();
                var hi = r[8 + p].AsInt64();
                Avx512F.PermuteVar8x64x2(lo, lowCols, hi).AsInt16().Store(xt + p * T);
                Avx512F.PermuteVar8x64x2(lo, highCols, hi).AsInt16().Store(xt + (p + 8) * T);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BuildGroup(short* x0, short* x1, short* x2, short* x3, short* e)
    {
        var a0 = Vector512.Load(x0);
        var a1 = Vector512.Load(x1);
        var a2 = Vector512.Load(x2);
        var a3 = Vector512.Load(x3);
        // Entry 27d₃ + 9d₂ + 3d₁ + d₀, written in index order, straight-line.
        Nine(a0, a1, -a3 - a2, e);
        Nine(a0, a1, -a3, e + 9 * T);
        Nine(a0, a1, a2 - a3, e + 18 * T);
        Nine(a0, a1, -a2, e + 27 * T);
        Nine(a0, a1, Vector512<short>.Zero, e + 36 * T);
        Nine(a0, a1, a2, e + 45 * T);
        Nine(a0, a1, a3 - a2, e + 54 * T);
        Nine(a0, a1, a3, e + 63 * T);
        Nine(a0, a1, a3 + a2, e + 72 * T);
    }

    /// <summary>The nine entries v + (d₁ − 1)·a₁ + (d₀ − 1)·a₀ from e on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Nine(Vector512<short> a0, Vector512<short> a1, Vector512<short> v, short* e)
    {
        Three(a0, v - a1, e);
        Three(a0, v, e + 3 * T);
        Three(a0, v + a1, e + 6 * T);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Three(Vector512<short> a0, Vector512<short> v, short* e)
    {
        (v - a0).Store(e);
        v.Store(e + T);
        (v + a0).Store(e + 2 * T);
    }

    /// <summary>
    /// Four rows' halves are transposed as 4 × 4 blocks of 16 bytes so that each pair gets one 64-byte store (measured
    /// on 4096 × 2560 I2_S rows: 113 ns per row against 175 with eight 8-byte stores per row and half).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Offsets4(byte* src, long rb, ushort* dst, long pair, ref Vector256<byte> bad)
    {
        // v_i holds row r + i: 16-byte lane m = pair m. Out_m lane i = v_i lane m.
        var v0 = HalfOffsets(src, ref bad).AsUInt64();
        var v1 = HalfOffsets(src + rb, ref bad).AsUInt64();
        var v2 = HalfOffsets(src + 2 * rb, ref bad).AsUInt64();
        var v3 = HalfOffsets(src + 3 * rb, ref bad).AsUInt64();
        var a01 = Avx512F.Shuffle4x128(v0, v1, 0x44); // v0.0 v0.1 v1.0 v1.1
        var a23 = Avx512F.Shuffle4x128(v2, v3, 0x44);
        var b01 = Avx512F.Shuffle4x128(v0, v1, 0xEE); // v0.2 v0.3 v1.2 v1.3
        var b23 = Avx512F.Shuffle4x128(v2, v3, 0xEE);
        Avx512F.Shuffle4x128(a01, a23, 0x88).AsUInt16().Store(dst);
        Avx512F.Shuffle4x128(a01, a23, 0xDD).AsUInt16().Store(dst + pair);
        Avx512F.Shuffle4x128(b01, b23, 0x88).AsUInt16().Store(dst + 2 * pair);
        Avx512F.Shuffle4x128(b01, b23, 0xDD).AsUInt16().Store(dst + 3 * pair);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Offsets1(byte* src, ushort* dst, long pair, ref Vector256<byte> bad)
    {
        var v = HalfOffsets(src, ref bad);
        v.GetLower().GetLower().Store(dst);
        v.GetLower().GetUpper().Store(dst + pair);
        v.GetUpper().GetLower().Store(dst + 2 * pair);
        v.GetUpper().GetUpper().Store(dst + 3 * pair);
    }

    /// <summary>The 32 offsets (group·5184 + index·64) of one 128-value half, in byte order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> HalfOffsets(byte* src, ref Vector256<byte> bad)
    {
        var groupBase = Vector512.Create(Vector128.Create((ushort)0, GroupTableBytes, 2 * GroupTableBytes, 3 * GroupTableBytes, 0, GroupTableBytes, 2 * GroupTableBytes, 3 * GroupTableBytes));
        return Vector512.ShiftLeft(Avx512BW.ConvertToVector512UInt16(LookupIndexes.Half(src, ref bad)), 6) + groupBase;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddPair(short* acc16, ushort* o, int row, byte* t0, byte* t1) =>
        (Vector512.Load(acc16 + row * T) + Lookup8(o + row * 8, t0, t1)).Store(acc16 + row * T);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddPairWiden(short* acc16, int* acc32, ushort* o, byte* t0, byte* t1)
    {
        var v = Vector512.Load(acc16) + Lookup8(o, t0, t1);
        (Vector512.Load(acc32) + Avx512BW.ConvertToVector512Int32(v.GetLower())).Store(acc32);
        (Vector512.Load(acc32 + 16) + Avx512BW.ConvertToVector512Int32(v.GetUpper())).Store(acc32 + 16);
        Vector512<short>.Zero.Store(acc16);
    }

    /// <summary>
    /// The sum of the four entries o[0..3] select in the first pass's tables and the four o[4..7] select in the second's.
    /// The offsets come in four 32-bit loads, zero-extended into 64-bit registers, two per load (a <c>movzx</c> and a
    /// <c>shr</c>): the loop is bound by its loads and by instructions renamed, and this costs fewest of both. Measured
    /// in one process, alternating (`Tern.Benchmarks -- ab`, 1 thread, 3 rounds, GMAC/s at n = 128 / 512): two 64-bit
    /// loads peeled by shifts 215–219 / 234–239; four 32-bit loads 220–227 / 243–244; eight 16-bit loads 212–214 /
    /// 228–231 (17 loads per row visit); with 64-bit zero-extension (no extra <c>mov</c>s) and two rows per loop
    /// iteration in the driver's RowsPass 229–238 / 251–256.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Lookup8(ushort* o, byte* t0, byte* t1)
    {
        ulong a = *(uint*)o, b = *(uint*)(o + 2), c = *(uint*)(o + 4), d = *(uint*)(o + 6);
        var x0 = Entry(t0, (ushort)a);
        var x1 = Entry(t0, a >> 16);
        var x2 = Entry(t0, (ushort)b);
        var x3 = Entry(t0, b >> 16);
        var y0 = Entry(t1, (ushort)c);
        var y1 = Entry(t1, c >> 16);
        var y2 = Entry(t1, (ushort)d);
        var y3 = Entry(t1, d >> 16);
        return ((x0 + x1) + (x2 + x3)) + ((y0 + y1) + (y2 + y3));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<short> Entry(byte* tables, ulong offset) => Vector512.Load((short*)(tables + offset));

    /// <summary>Two vectors per row: tokens 0–15 and 16–31.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Rescale(int* acc32, int rows, float* a, float scale, float extra)
    {
        var a0 = Vector512.Load(a);
        var a1 = Vector512.Load(a + 16);
        var s = Vector512.Create(scale);
        var e = Vector512.Create(extra);
        for (int r = 0; r < rows; r++, acc32 += T)
        {
            var v0 = Vector512.ConvertToSingle(Vector512.Load(acc32)) / a0 * s;
            var v1 = Vector512.ConvertToSingle(Vector512.Load(acc32 + 16)) / a1 * s;
            if (extra != 1f) { v0 *= e; v1 *= e; }
            v0.AsInt32().Store(acc32);
            v1.AsInt32().Store(acc32 + 16);
        }
    }
}
