using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tern.Kernels.X86;

/// <summary>
/// The 256-bit width of <see cref="LookupMatMul{W}"/> (AVX2 only, for CPUs without AVX-512): 16 tokens per block,
/// 32-byte entries (81 × 32 B per group, two passes of four groups = 20.7 KB of tables), offsets
/// <c>g·2592 + i·32</c> (at most 10 336). At 2B-4T shapes (`Tern.Benchmarks -- throughput --kernel avx2`,
/// DOTNET_EnableAVX512=0 on Zen 4, 2026-12-03, 4096-row panels, alternating with the build before it, two rounds,
/// GMAC per CPU-second): 1 thread 112–125 / 124–133 / 142–160 at n = 64 / 128 / 512 against 65–73 / 81–83 / 77–113
/// for <see cref="Avx2Tiles"/>; 2 threads 240–272 / 261–285 / 287–299 against 141–160 / 120–133 / 141–173.
/// </summary>
internal unsafe struct Lookup256 : ILookupWidth
{
    private const int T = 16;
    private const int GroupTableBytes = 81 * 2 * T;

    public static bool IsSupported => Avx2.IsSupported;
    public static int Tokens => T;
    /// <summary>
    /// Measured against the tiles at 2560 columns, 64 tokens, DOTNET_EnableAVX512=0 (GMAC per CPU-second, three
    /// alternating rounds): 48 rows 48–70 vs 63–68, 64 rows 58–81 vs 64–70, 96 rows 74–102 vs 71–110, 128 rows
    /// 89–116 vs 74–110; the offsets and tables per call stop paying below ~64 rows.
    /// </summary>
    public static int MinRows => 64;

    /// <summary>
    /// A panel's accumulators take 96 bytes per row (196 KB for 2048 rows). Measured at 2B-4T shapes
    /// (`Tern.Benchmarks -- throughput --kernel avx2 --tokens 128,512`, 1 thread, DOTNET_EnableAVX512=0, GMAC per
    /// CPU-second, three alternating rounds): 2048 rows 131–147 / 142–156, 4096 120–134 / 137–146, 8192 106–113 /
    /// 119–130; 1024 and 1536 were within the noise of 2048.
    /// </summary>
    public static int PanelRows => 2048;

    /// <summary>
    /// 16 columns at a time: vector R_t holds token t's 16 columns (sign-extended), and three rounds of in-lane unpacks
    /// (16-, 32-, 64-bit; the same index pattern as <see cref="Lookup512.Transpose"/>) leave in C[8n + p] column p
    /// (lane 0) and p + 8 (lane 1) of tokens 8n … 8n + 7; one <c>vperm2i128</c> per column joins n = 0 and 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(sbyte* q, int k, short* xt)
    {
        var r = stackalloc Vector256<short>[16];
        var b = stackalloc Vector256<int>[16];
        for (int c0 = 0; c0 < k; c0 += 16, xt += 16 * T)
        {
            for (int t = 0; t < 16; t++)
                r[t] = Avx2.ConvertToVector256Int16(Vector128.Load(q + (long)t * k + c0));
            for (int i = 0; i < 8; i++) // 16-bit: rows 2i, 2i + 1 interleaved
            {
                var x = r[2 * i];
                var y = r[2 * i + 1];
                r[2 * i] = Avx2.UnpackLow(x, y);
                r[2 * i + 1] = Avx2.UnpackHigh(x, y);
            }
            for (int m = 0; m < 2 * 2; m++) // 32-bit: rows 4m … 4m + 3
                for (int a = 0; a < 2; a++)
                {
                    var x = r[4 * m + a].AsInt32();
                    var y = r[4 * m + 2 + a].AsInt32();
                    b[4 * m + 2 * a] = Avx2.UnpackLow(x, y);
                    b[4 * m + 2 * a + 1] = Avx2.UnpackHigh(x, y);
                }
            for (int n = 0; n < 2; n++) // 64-bit: rows 8n … 8n + 7
                for (int ab = 0; ab < 4; ab++)
                {
                    var x = b[8 * n + ab].AsInt64();
                    var y = b[8 * n + 4 + ab].AsInt64();
                    r[8 * n + 2 * ab] = Avx2.UnpackLow(x, y).AsInt16();
                    r[8 * n + 2 * ab + 1] = Avx2.UnpackHigh(x, y).AsInt16();
                }
            for (int p = 0; p < 8; p++)
            {
                var lo = r[p];
                var hi = r[8 + p];
                Avx2.Permute2x128(lo, hi, 0x20).Store(xt + p * T);
                Avx2.Permute2x128(lo, hi, 0x31).Store(xt + (p + 8) * T);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void BuildGroup(short* x0, short* x1, short* x2, short* x3, short* e)
    {
        var a0 = Vector256.Load(x0);
        var a1 = Vector256.Load(x1);
        var a2 = Vector256.Load(x2);
        var a3 = Vector256.Load(x3);
        // Entry 27d₃ + 9d₂ + 3d₁ + d₀, written in index order, straight-line.
        Nine(a0, a1, -a3 - a2, e);
        Nine(a0, a1, -a3, e + 9 * T);
        Nine(a0, a1, a2 - a3, e + 18 * T);
        Nine(a0, a1, -a2, e + 27 * T);
        Nine(a0, a1, Vector256<short>.Zero, e + 36 * T);
        Nine(a0, a1, a2, e + 45 * T);
        Nine(a0, a1, a3 - a2, e + 54 * T);
        Nine(a0, a1, a3, e + 63 * T);
        Nine(a0, a1, a3 + a2, e + 72 * T);
    }

    /// <summary>The nine entries v + (d₁ − 1)·a₁ + (d₀ − 1)·a₀ from e on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Nine(Vector256<short> a0, Vector256<short> a1, Vector256<short> v, short* e)
    {
        Three(a0, v - a1, e);
        Three(a0, v, e + 3 * T);
        Three(a0, v + a1, e + 6 * T);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Three(Vector256<short> a0, Vector256<short> v, short* e)
    {
        (v - a0).Store(e);
        v.Store(e + T);
        (v + a0).Store(e + 2 * T);
    }

    /// <summary>
    /// Row i's offsets are lo_i (pairs 0, 1) and hi_i (pairs 2, 3), a pair per 128-bit lane; pair m of the four rows
    /// is 64 bytes, two <c>vperm2i128</c> joins of two rows each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Offsets4(byte* src, long rb, ushort* dst, long pair, ref Vector256<byte> bad)
    {
        var (lo0, hi0) = HalfOffsets(src, ref bad);
        var (lo1, hi1) = HalfOffsets(src + rb, ref bad);
        var (lo2, hi2) = HalfOffsets(src + 2 * rb, ref bad);
        var (lo3, hi3) = HalfOffsets(src + 3 * rb, ref bad);
        Avx2.Permute2x128(lo0, lo1, 0x20).Store(dst);
        Avx2.Permute2x128(lo2, lo3, 0x20).Store(dst + 16);
        Avx2.Permute2x128(lo0, lo1, 0x31).Store(dst + pair);
        Avx2.Permute2x128(lo2, lo3, 0x31).Store(dst + pair + 16);
        Avx2.Permute2x128(hi0, hi1, 0x20).Store(dst + 2 * pair);
        Avx2.Permute2x128(hi2, hi3, 0x20).Store(dst + 2 * pair + 16);
        Avx2.Permute2x128(hi0, hi1, 0x31).Store(dst + 3 * pair);
        Avx2.Permute2x128(hi2, hi3, 0x31).Store(dst + 3 * pair + 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Offsets1(byte* src, ushort* dst, long pair, ref Vector256<byte> bad)
    {
        var (lo, hi) = HalfOffsets(src, ref bad);
        lo.GetLower().Store(dst);
        lo.GetUpper().Store(dst + pair);
        hi.GetLower().Store(dst + 2 * pair);
        hi.GetUpper().Store(dst + 3 * pair);
    }

    /// <summary>The 32 offsets (group·2592 + index·32) of one 128-value half, in byte order: bytes 0–15, then 16–31.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<ushort> Lo, Vector256<ushort> Hi) HalfOffsets(byte* src, ref Vector256<byte> bad)
    {
        var groupBase = Vector256.Create((ushort)0, GroupTableBytes, 2 * GroupTableBytes, 3 * GroupTableBytes, 0, GroupTableBytes, 2 * GroupTableBytes, 3 * GroupTableBytes,
            0, GroupTableBytes, 2 * GroupTableBytes, 3 * GroupTableBytes, 0, GroupTableBytes, 2 * GroupTableBytes, 3 * GroupTableBytes);
        var i = LookupIndexes.Half(src, ref bad);
        return (Vector256.ShiftLeft(Avx2.ConvertToVector256Int16(i.GetLower()).AsUInt16(), 5) + groupBase,
                Vector256.ShiftLeft(Avx2.ConvertToVector256Int16(i.GetUpper()).AsUInt16(), 5) + groupBase);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddPair(short* acc16, ushort* o, int row, byte* t0, byte* t1) =>
        (Vector256.Load(acc16 + row * T) + Lookup8(o + row * 8, t0, t1)).Store(acc16 + row * T);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddPairWiden(short* acc16, int* acc32, ushort* o, byte* t0, byte* t1)
    {
        var v = Vector256.Load(acc16) + Lookup8(o, t0, t1);
        (Vector256.Load(acc32) + Avx2.ConvertToVector256Int32(v.GetLower())).Store(acc32);
        (Vector256.Load(acc32 + 8) + Avx2.ConvertToVector256Int32(v.GetUpper())).Store(acc32 + 8);
        Vector256<short>.Zero.Store(acc16);
    }

    /// <summary>
    /// The sum of the four entries o[0..3] select in the first pass's tables and the four o[4..7] select in the second's;
    /// the offsets in four 32-bit loads, as <see cref="Lookup512"/> has them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Lookup8(ushort* o, byte* t0, byte* t1)
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
    private static Vector256<short> Entry(byte* tables, ulong offset) => Vector256.Load((short*)(tables + offset));

    /// <summary>Two vectors per row: tokens 0–7 and 8–15.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    public static void Rescale(int* acc32, int rows, float* a, float scale, float extra)
    {
        var a0 = Vector256.Load(a);
        var a1 = Vector256.Load(a + 8);
        var s = Vector256.Create(scale);
        var e = Vector256.Create(extra);
        for (int r = 0; r < rows; r++, acc32 += T)
        {
            var v0 = Vector256.ConvertToSingle(Vector256.Load(acc32)) / a0 * s;
            var v1 = Vector256.ConvertToSingle(Vector256.Load(acc32 + 8)) / a1 * s;
            if (extra != 1f) { v0 *= e; v1 *= e; }
            v0.AsInt32().Store(acc32);
            v1.AsInt32().Store(acc32 + 8);
        }
    }
}
