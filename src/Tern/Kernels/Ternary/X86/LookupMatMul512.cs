using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Gguf;

namespace Tern.Kernels.X86;

/// <summary>
/// Ternary mat-mat by table lookup (after T-MAC's idea, our own layout): 32 tokens sit in the int16 lanes of a 512-bit
/// vector, and four weights of a row select one precomputed vector of their signed sums.
/// <para><b>Tables.</b> A group is one packed byte of a row: four weights, one per 2-bit plane (digit s at bits 2s, code
/// dₛ ∈ {0, 1, 2}, weight dₛ − 1, on column c(g, s)). For a block of 32 tokens its entry i = d₀ + 3d₁ + 9d₂ + 27d₃
/// holds the 32 sums Σₛ (dₛ − 1)·q[t, c(g, s)]: 81 entries of 64 bytes; a pass is four consecutive bytes. One
/// <c>vpaddw</c> of an entry does 4 weights × 32 tokens = 128 multiply-adds, where <c>vpdpbusd</c> on 256 bits does
/// 32. Tables for two passes of four groups (2 × 20.7 KB) are built at a time and stay in L1 while every row of the
/// range adds its eight entries; building costs ~100 vector operations per group, shared by all the rows.</para>
/// <para><b>Offsets.</b> Once per call and panel of rows, each packed byte becomes a byte offset into its pass's tables
/// (<c>(g mod 4)·5184 + i·64</c>, 16 bits), stored by pairs of passes: the eight offsets of row r for passes 2m and
/// 2m + 1 sit at <c>off[(m·rows + r)·8]</c>, so a pair reads them sequentially. The offsets serve every 32-token block; the
/// activations are transposed block by block, just before use (32 tokens of a column in one vector).</para>
/// <para><b>Exactness.</b> |entry| ≤ 4 · 128 = 512, so an int16 lane takes 14 passes of 4 entries (28 672 ≤ 32 767)
/// before it is widened into int32: every dot is the true integer sum. A panel holding the unused code 3 (which the
/// reference decodes as +2) is left to the caller's multiply-add tiles.</para>
/// </summary>
internal static unsafe class LookupMatMul512
{
    /// <summary>Tokens per block: the int16 lanes of one 512-bit vector.</summary>
    public const int Tokens = 32;
    /// <summary>Below this many rows the per-block table building outweighs the lookups.</summary>
    internal const int MinRows = 64;

    private const int Groups = 4;                       // groups of four columns per pass
    private const int EntryBytes = 64;                  // one table entry: 32 int16
    private const int GroupTableBytes = 81 * EntryBytes;
    private const int TableBytes = Groups * GroupTableBytes;
    /// <summary>Passes an int16 accumulator takes before widening (an even number: passes go in pairs): 14 · 4 · 512 = 28 672 ≤ 32 767.</summary>
    private const int PassesPerWiden = 14;

    public static bool IsSupported => Avx512BW.IsSupported;

    /// <summary>
    /// dots[t·stride + (r − row0)] = Σ T[r, ·]·q[t, ·] for the first whole blocks of 32 of the n tokens; returns how
    /// many tokens it did (a multiple of 32; 0 for TQ1_0 or when the shape does not pay). A panel of rows holding code
    /// 3 runs on <paramref name="fallback"/> (the caller's multiply-add tiles) for those tokens. With
    /// <paramref name="scaled"/>, the output is the rescaled floats instead (<see cref="ScaledOutput"/>; dots and stride
    /// are then unused).
    /// </summary>
    public static int Run(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride, delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> fallback, int panelRows = 0, ScaledOutput* scaled = null) => w.Type switch
    {
        GgmlType.I2_S => Run<I2SLayout>(w, row0, row1, q, n, dots, stride, fallback, panelRows > 0 ? panelRows : PanelRows, scaled),
        GgmlType.TQ2_0 => Run<TQ2Layout>(w, row0, row1, q, n, dots, stride, fallback, panelRows > 0 ? panelRows : PanelRows, scaled),
        _ => 0,
    };

    /// <summary>
    /// <see cref="ITernaryKernel.ScaledDots"/> for a kernel whose multiply-add tiles are <paramref name="tiles"/>:
    /// whole blocks of 32 tokens here with the rescale fused into the store, the other tokens through the kernel's dots.
    /// </summary>
    public static void ScaledDots(ITernaryKernel kernel, TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, float extra, Span<float> y, int yStride, delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> tiles)
    {
        DotRescale.CheckScaled(w, row0, row1, q, n, a, y, yStride);
        int done = 0;
        if (n >= Tokens && row1 > row0)
            fixed (sbyte* pq = q)
            fixed (float* pa = a)
            fixed (float* py = y)
            {
                var output = new ScaledOutput { Y = py, YStride = yStride, A = pa, Scale = w.Scale, Extra = extra };
                done = Run(w, row0, row1, pq, n, null, 0, tiles, scaled: &output);
            }
        if (done < n) DotRescale.ViaDots(kernel, w, row0, row1, q.Slice(done * w.Cols), n - done, a.Slice(done), extra, y.Slice(done * yStride), yStride);
    }

    /// <summary>
    /// Where the rescaled output goes: Y[t·YStride + (r − row0)] = <see cref="DotRescale.One"/>(D, A[t], Scale, Extra).
    /// The int32 sums of a block are rescaled in place, token lanes against A (the same IEEE operations lane by lane),
    /// and the transposing store then moves float bits: the int dots never reach memory.
    /// </summary>
    public struct ScaledOutput
    {
        public float* Y;
        public int YStride;
        public float* A;
        public float Scale;
        public float Extra;
    }

    /// <summary>
    /// Rows per panel: a panel's int16 and int32 accumulators (192 bytes per row) stay in L2, and the tables are
    /// rebuilt per panel and block. Measured at 2B-4T shapes (`Tern.Benchmarks -- throughput --tokens 512`, 1 thread,
    /// alternating): 4096 rows 181–185 GMAC/s, 8192 157–184, 1024 117–122; the multiply-add tiles 148–149.
    /// </summary>
    internal const int PanelRows = 4096;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Run<L>(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride, delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> fallback, int maxPanelRows, ScaledOutput* scaled) where L : struct, ITwoBitLayout
    {
        int rows = row1 - row0, k = w.Cols, blocks = n / Tokens;
        if (scaled != null) { dots = (int*)scaled->Y; stride = scaled->YStride; } // float bits, moved as ints
        // Rows of 2²⁰ values or more (no model has them) stay with the tiles: scratch stays well below 2 GB.
        if (!IsSupported || blocks == 0 || rows < MinRows || k >= 1 << 20) return 0;
        // Panels of equal size (the last one not much smaller than the others).
        int panels = (rows + maxPanelRows - 1) / maxPanelRows, panelRows = (rows + panels - 1) / panels;
        var off = (ushort*)KernelScratch.Codes((long)panelRows * k / 2);
        byte* scratch = KernelScratch.Lookup(2 * TableBytes + (long)k * Tokens * 2 + (long)panelRows * Tokens * 6);
        var xt = (short*)(scratch + 2 * TableBytes);
        var acc16 = (short*)(xt + (long)k * Tokens);
        var acc32 = (int*)(acc16 + (long)panelRows * Tokens);
        for (int p0 = 0; p0 < rows; p0 += panelRows)
        {
            int pr = Math.Min(panelRows, rows - p0);
            if (!Offsets<L>(w.Data + (row0 + p0) * L.RowBytes(k), pr, k, off))
            {
                if (scaled == null) fallback(w, row0 + p0, row0 + p0 + pr, q, blocks * Tokens, dots + p0, stride);
                else FallbackScaled(w, row0 + p0, pr, q, blocks * Tokens, fallback, scaled, p0);
                // The tiles use the same per-thread code scratch and may have grown it: fetch it again.
                off = (ushort*)KernelScratch.Codes((long)panelRows * k / 2);
                continue;
            }
            new Span<byte>(acc16, pr * Tokens * 2).Clear(); // the last pass of each block leaves it zero again
            for (int b = 0; b < blocks; b++)
            {
                // Transposed block by block, just before use: its 64 KB per 1000 columns stay in L2 for the block.
                Transpose(q + (long)b * Tokens * k, k, xt);
                Block<L>(off, pr, k, xt, scratch, acc16, acc32, dots + (long)b * Tokens * stride + p0, stride, scaled, b);
            }
        }
        return blocks * Tokens;
    }

    /// <summary>A panel with code 3 on the caller's tiles, into a temporary int buffer, then rescaled (never in real models).</summary>
    private static void FallbackScaled(TernaryMatrix w, int r0, int pr, sbyte* q, int n, delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> fallback, ScaledOutput* scaled, int p0)
    {
        var tmp = new int[(long)n * pr];
        fixed (int* pt = tmp) fallback(w, r0, r0 + pr, q, n, pt, pr);
        DotRescale.Rows(tmp, pr, n, pr, new ReadOnlySpan<float>(scaled->A, n), scaled->Scale, scaled->Extra,
            new Span<float>(scaled->Y + p0, (n - 1) * scaled->YStride + pr), scaled->YStride);
    }

    /// <summary>One block of 32 tokens (transposed) over a panel of rows whose offsets are ready.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block<L>(ushort* off, int rows, int k, short* xt, byte* tables, short* acc16, int* acc32, int* dots, int stride, ScaledOutput* scaled, int block) where L : struct, ITwoBitLayout
    {
        int passes = k / 16;
        new Span<byte>(acc32, rows * Tokens * 4).Clear();
        for (int p = 0; p < passes; p += 2) // passes come in pairs: k is a multiple of 128
        {
            BuildTables<L>(xt, p, tables);
            BuildTables<L>(xt, p + 1, tables + TableBytes);
            ushort* o = off + (long)p * rows * 4; // pair p / 2: 8 offsets per row
            if ((p + 2) % PassesPerWiden == 0 || p + 2 == passes) RowsPassWiden(o, rows, tables, acc16, acc32);
            else RowsPass(o, rows, tables, acc16);
        }
        if (scaled != null) Rescale(acc32, rows, scaled->A + block * Tokens, scaled->Scale, scaled->Extra);
        Store(acc32, rows, dots, stride);
    }

    /// <summary>acc32[r·32 + t] ← the bits of DotRescale.One(acc32[r·32 + t], a[t], scale, extra), two vectors per row.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Rescale(int* acc32, int rows, float* a, float scale, float extra)
    {
        var a0 = Vector512.Load(a);
        var a1 = Vector512.Load(a + 16);
        var s = Vector512.Create(scale);
        var e = Vector512.Create(extra);
        for (int r = 0; r < rows; r++, acc32 += Tokens)
        {
            var v0 = Vector512.ConvertToSingle(Vector512.Load(acc32)) / a0 * s;
            var v1 = Vector512.ConvertToSingle(Vector512.Load(acc32 + 16)) / a1 * s;
            if (extra != 1f) { v0 *= e; v1 *= e; }
            v0.AsInt32().Store(acc32);
            v1.AsInt32().Store(acc32 + 16);
        }
    }

    /// <summary>
    /// Table offsets of every packed byte (one group: its four weights, digit s at bits 2s) of the rows, by pairs of
    /// passes: <c>off[(m·rows + r)·8 + 4j + g]</c> for group g of pass 2m + j, so a pair reads 16 consecutive bytes per
    /// row. The base-3 index of a byte is lo[b &amp; 15] + hi[b &gt;&gt; 4] (two <c>vpshufb</c>); a nibble holding code 3
    /// maps to 0x80, which makes the call return false. A row's 128-value half gives 64 bytes of offsets, four pairs of
    /// 16; four rows' halves are transposed as 4 × 4 blocks of 16 bytes so that each pair gets one 64-byte store
    /// (measured on 4096 × 2560 I2_S rows: 113 ns per row against 175 with eight 8-byte stores per row and half).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static bool Offsets<L>(byte* w, int rows, int k, ushort* off) where L : struct, ITwoBitLayout
    {
        long rb = L.RowBytes(k), pair = (long)rows * 8;
        var bad = Vector256<byte>.Zero;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
            for (int h = 0; h < k / 128; h++)
            {
                byte* src = w + r * rb + (h >> 1) * L.ChunkBytes + (h & 1) * 32;
                ushort* dst = off + h * 4 * pair + r * 8;
                // v_i holds row r + i: 16-byte lane m = pair 4h + m. Out_m lane i = v_i lane m.
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
        for (; r < rows; r++) // the last rows one by one, a 16-byte store per pair
            for (int h = 0; h < k / 128; h++)
            {
                var v = HalfOffsets(w + r * rb + (h >> 1) * L.ChunkBytes + (h & 1) * 32, ref bad);
                ushort* dst = off + h * 4 * pair + r * 8;
                v.GetLower().GetLower().Store(dst);
                v.GetLower().GetUpper().Store(dst + pair);
                v.GetUpper().GetLower().Store(dst + 2 * pair);
                v.GetUpper().GetUpper().Store(dst + 3 * pair);
            }
        return (bad & Vector256.Create(BadIndex)) == Vector256<byte>.Zero;
    }

    private const byte BadIndex = 0x80;

    /// <summary>The 32 offsets of one 128-value half (32 packed bytes at src), in byte order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ushort> HalfOffsets(byte* src, ref Vector256<byte> bad)
    {
        const byte X = BadIndex;
        var lo = Vector256.Create(Vector128.Create((byte)0, 1, 2, X, 3, 4, 5, X, 6, 7, 8, X, X, X, X, X));
        var hi = Vector256.Create(Vector128.Create((byte)0, 9, 18, X, 27, 36, 45, X, 54, 63, 72, X, X, X, X, X));
        var nibble = Vector256.Create((byte)15);
        var groupBase = Vector512.Create(Vector128.Create((ushort)0, GroupTableBytes, 2 * GroupTableBytes, 3 * GroupTableBytes, 0, GroupTableBytes, 2 * GroupTableBytes, 3 * GroupTableBytes));
        var b = Vector256.Load(src);
        var l = Avx2.Shuffle(lo, b & nibble);
        var u = Avx2.Shuffle(hi, Vector256.ShiftRightLogical(b.AsUInt16(), 4).AsByte() & nibble);
        bad |= l | u;
        return Vector512.ShiftLeft(Avx512BW.ConvertToVector512UInt16(l + u), 6) + groupBase;
    }

    /// <summary>
    /// xt[c·32 + t] = q[t, c] as int16, for the 32 tokens of a block, 16 columns at a time: vector R_t holds tokens t
    /// and t + 16 (16 columns each, sign-extended), and three rounds of unpacks (16-, 32-, 64-bit) transpose both
    /// 256-bit halves at once, leaving in C[8n + p] column p (lanes 0, 2) and p + 8 (lanes 1, 3) of tokens 8n … 8n + 7
    /// (and 16 + 8n …); one two-source permute per column joins n = 0 and 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(sbyte* q, int k, short* xt)
    {
        var r = stackalloc Vector512<short>[16];
        var b = stackalloc Vector512<int>[16];
        var lowCols = Vector512.Create(0L, 1, 8, 9, 4, 5, 12, 13);
        var highCols = Vector512.Create(2L, 3, 10, 11, 6, 7, 14, 15);
        for (int c0 = 0; c0 < k; c0 += 16, xt += 16 * Tokens)
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
                Avx512F.PermuteVar8x64x2(lo, lowCols, hi).AsInt16().Store(xt + p * Tokens);
                Avx512F.PermuteVar8x64x2(lo, highCols, hi).AsInt16().Store(xt + (p + 8) * Tokens);
            }
        }
    }

    /// <summary>
    /// The 81 entries of each of pass p's four groups (bytes 4p … 4p + 3 of a row's packed data), from the transposed
    /// activations of their columns: byte j of the 128-value half h holds column 128h + 32·plane + j, digit s being
    /// the plane at bit shift 2s.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void BuildTables<L>(short* xt, int p, byte* tables) where L : struct, ITwoBitLayout
    {
        int h = p / 8, j0 = (p % 8) * 4;
        short* x0 = xt + (h * 128 + 32 * Plane<L>(0) + j0) * Tokens;
        short* x1 = xt + (h * 128 + 32 * Plane<L>(1) + j0) * Tokens;
        short* x2 = xt + (h * 128 + 32 * Plane<L>(2) + j0) * Tokens;
        short* x3 = xt + (h * 128 + 32 * Plane<L>(3) + j0) * Tokens;
        for (int g = 0; g < Groups; g++)
        {
            var a0 = Vector512.Load(x0 + g * Tokens);
            var a1 = Vector512.Load(x1 + g * Tokens);
            var a2 = Vector512.Load(x2 + g * Tokens);
            var a3 = Vector512.Load(x3 + g * Tokens);
            var e = (short*)(tables + g * GroupTableBytes);
            // Entry 27d₃ + 9d₂ + 3d₁ + d₀, written in index order, straight-line.
            Nine(a0, a1, -a3 - a2, e);
            Nine(a0, a1, -a3, e + 9 * Tokens);
            Nine(a0, a1, a2 - a3, e + 18 * Tokens);
            Nine(a0, a1, -a2, e + 27 * Tokens);
            Nine(a0, a1, Vector512<short>.Zero, e + 36 * Tokens);
            Nine(a0, a1, a2, e + 45 * Tokens);
            Nine(a0, a1, a3 - a2, e + 54 * Tokens);
            Nine(a0, a1, a3, e + 63 * Tokens);
            Nine(a0, a1, a3 + a2, e + 72 * Tokens);
        }
    }

    /// <summary>The nine entries v + (d₁ − 1)·a₁ + (d₀ − 1)·a₀ from e on.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Nine(Vector512<short> a0, Vector512<short> a1, Vector512<short> v, short* e)
    {
        Three(a0, v - a1, e);
        Three(a0, v, e + 3 * Tokens);
        Three(a0, v + a1, e + 6 * Tokens);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Three(Vector512<short> a0, Vector512<short> v, short* e)
    {
        (v - a0).Store(e);
        v.Store(e + Tokens);
        (v + a0).Store(e + 2 * Tokens);
    }

    /// <summary>The plane whose bits sit at shift 2s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Plane<L>(int s) where L : struct, ITwoBitLayout => L.Shift(0) == 2 * s ? 0 : L.Shift(1) == 2 * s ? 1 : L.Shift(2) == 2 * s ? 2 : 3;

    /// <summary>
    /// acc16[r] += the eight table entries row r's offsets select in a pair of passes (tables of the second pass at
    /// <c>tables + TableBytes</c>): one accumulator load and store per 8 lookups, 41.5 KB of tables in L1. Measured
    /// against one pass per row visit (`throughput --tokens 128,512`, 1 thread, alternating): 178–195 vs 157–173 GMAC/s
    /// at n = 128, 207–216 vs 190–193 at n = 512.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowsPass(ushort* o, int rows, byte* tables, short* acc16)
    {
        byte* t1 = tables + TableBytes;
        ushort* end = o + (long)rows * 8;
        for (; o + 16 <= end; o += 16, acc16 += 2 * Tokens)
        {
            (Vector512.Load(acc16) + Lookup8(o, tables, t1)).Store(acc16);
            (Vector512.Load(acc16 + Tokens) + Lookup8(o + 8, tables, t1)).Store(acc16 + Tokens);
        }
        if (o < end) (Vector512.Load(acc16) + Lookup8(o, tables, t1)).Store(acc16);
    }

    /// <summary>The last pair before widening: acc32[r] += acc16[r] + the eight entries (sign-extended), acc16[r] = 0.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowsPassWiden(ushort* o, int rows, byte* tables, short* acc16, int* acc32)
    {
        byte* t1 = tables + TableBytes;
        for (ushort* end = o + (long)rows * 8; o < end; o += 8, acc16 += Tokens, acc32 += Tokens)
        {
            var v = Vector512.Load(acc16) + Lookup8(o, tables, t1);
            (Vector512.Load(acc32) + Avx512BW.ConvertToVector512Int32(v.GetLower())).Store(acc32);
            (Vector512.Load(acc32 + 16) + Avx512BW.ConvertToVector512Int32(v.GetUpper())).Store(acc32 + 16);
            Vector512<short>.Zero.Store(acc16);
        }
    }

    /// <summary>
    /// The sum of the four entries o[0..3] select in the first pass's tables and the four o[4..7] select in the second's.
    /// The offsets come in four 32-bit loads, zero-extended into 64-bit registers, two per load (a <c>movzx</c> and a
    /// <c>shr</c>): the loop is bound by its loads and by instructions renamed, and this costs fewest of both. Measured
    /// in one process, alternating (`Tern.Benchmarks -- ab`, 1 thread, 3 rounds, GMAC/s at n = 128 / 512): two 64-bit
    /// loads peeled by shifts 215–219 / 234–239; four 32-bit loads 220–227 / 243–244; eight 16-bit loads 212–214 /
    /// 228–231 (17 loads per row visit); with 64-bit zero-extension (no extra <c>mov</c>s) and two rows per loop
    /// iteration in <see cref="RowsPass"/> 229–238 / 251–256.
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

    /// <summary>dots[t·stride + r] = acc32[r·32 + t], 16 rows at a time (their 2 KB of sums stay in L1).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Store(int* acc32, int rows, int* dots, int stride)
    {
        for (int r0 = 0; r0 < rows; r0 += 16)
        {
            int r1 = Math.Min(rows, r0 + 16);
            for (int t = 0; t < Tokens; t++)
            {
                int* d = dots + (long)t * stride;
                for (int r = r0; r < r1; r++) d[r] = acc32[r * Tokens + t];
            }
        }
    }
}
