using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tern.Gguf;

namespace Tern.Kernels.X86;

/// <summary>
/// Ternary mat-mat by table lookup (after T-MAC's idea, our own layout): a block of T tokens (T = 32 in the int16 lanes
/// of a 512-bit vector, <see cref="Lookup512"/>; T = 16 in a 256-bit one, <see cref="Lookup256"/>) and four weights of a
/// row select one precomputed vector of their signed sums. This driver holds the loop mechanics; the width
/// <typeparamref name="W"/> supplies the vector parts.
/// <para><b>Tables.</b> A group is one packed byte of a row: four weights, one per 2-bit plane (digit s at bits 2s, code
/// dₛ ∈ {0, 1, 2}, weight dₛ − 1, on column c(g, s)). For a block its entry i = d₀ + 3d₁ + 9d₂ + 27d₃ holds the T sums
/// Σₛ (dₛ − 1)·q[t, c(g, s)]: 81 entries of 2T bytes; a pass is four consecutive bytes. One <c>vpaddw</c> of an entry
/// does 4 weights × T tokens multiply-adds (128 on 512 bits, 64 on 256), twice what a <c>vpmaddubsw</c> or
/// <c>vpdpbusd</c> of the same width does. Tables for two passes of four groups (2 × 81 × 4 × 2T bytes: 41.5 KB for
/// T = 32, 20.7 KB for 16) are built at a time and stay in L1 while every row of the panel adds its eight entries;
/// building costs ~100 vector operations per group, shared by all the rows.</para>
/// <para><b>Offsets.</b> Once per call and panel of rows, each packed byte becomes a byte offset into its pass's tables
/// (<c>(g mod 4)·81·2T + i·2T</c>, below 2¹⁶ for both widths), stored by pairs of passes: the eight offsets of row r for
/// passes 2m and 2m + 1 sit at <c>off[(m·rows + r)·8]</c>, so a pair reads them sequentially. The offsets serve every
/// block; the activations are transposed block by block, just before use (T tokens of a column in one vector).</para>
/// <para><b>Exactness.</b> |entry| ≤ 4 · 128 = 512, so an int16 lane takes 14 passes of 4 entries (28 672 ≤ 32 767)
/// before it is widened into int32: every dot is the true integer sum. A panel holding the unused code 3 (which the
/// reference decodes as +2) is left to the caller's multiply-add tiles.</para>
/// </summary>
internal static unsafe class LookupMatMul<W> where W : struct, ILookupWidth
{
    private const int Groups = 4;                       // groups of four columns per pass
    private static int EntryBytes => 2 * W.Tokens;      // one table entry: T int16
    private static int GroupTableBytes => 81 * EntryBytes;
    private static int TableBytes => Groups * GroupTableBytes;
    /// <summary>Passes an int16 accumulator takes before widening (an even number: passes go in pairs): 14 · 4 · 512 = 28 672 ≤ 32 767.</summary>
    private const int PassesPerWiden = 14;

    /// <summary>
    /// dots[t·stride + (r − row0)] = Σ T[r, ·]·q[t, ·] for the first whole blocks of T of the n tokens; returns how many
    /// tokens it did (a multiple of T; 0 for TQ1_0 or when the shape does not pay). A panel of rows holding code 3 runs
    /// on <paramref name="fallback"/> (the caller's multiply-add tiles) for those tokens. With <paramref name="scaled"/>,
    /// the output is the rescaled floats instead (<see cref="LookupScaledOutput"/>; dots and stride are then unused).
    /// </summary>
    public static int Run(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride, delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> fallback, int panelRows = 0, LookupScaledOutput* scaled = null) => w.Type switch
    {
        GgmlType.I2_S => Run<I2SLayout>(w, row0, row1, q, n, dots, stride, fallback, panelRows > 0 ? panelRows : W.PanelRows, scaled),
        GgmlType.TQ2_0 => Run<TQ2Layout>(w, row0, row1, q, n, dots, stride, fallback, panelRows > 0 ? panelRows : W.PanelRows, scaled),
        _ => 0,
    };

    /// <summary>
    /// <see cref="ITernaryKernel.ScaledDots"/> for a kernel whose multiply-add tiles are <paramref name="tiles"/>:
    /// whole blocks of T tokens here with the rescale fused into the store, the other tokens through the kernel's dots.
    /// </summary>
    public static void ScaledDots(ITernaryKernel kernel, TernaryMatrix w, int row0, int row1, ReadOnlySpan<sbyte> q, int n, ReadOnlySpan<float> a, float extra, Span<float> y, int yStride, delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> tiles)
    {
        DotRescale.CheckScaled(w, row0, row1, q, n, a, y, yStride);
        int done = 0;
        if (n >= W.Tokens && row1 > row0)
            fixed (sbyte* pq = q)
            fixed (float* pa = a)
            fixed (float* py = y)
            {
                var output = new LookupScaledOutput { Y = py, YStride = yStride, A = pa, Scale = w.Scale, Extra = extra };
                done = Run(w, row0, row1, pq, n, null, 0, tiles, scaled: &output);
            }
        if (done < n) DotRescale.ViaDots(kernel, w, row0, row1, q.Slice(done * w.Cols), n - done, a.Slice(done), extra, y.Slice(done * yStride), yStride);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Run<L>(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride, delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> fallback, int maxPanelRows, LookupScaledOutput* scaled) where L : struct, ITwoBitLayout
    {
        int tokens = W.Tokens, rows = row1 - row0, k = w.Cols, blocks = n / tokens;
        if (scaled != null) { dots = (int*)scaled->Y; stride = scaled->YStride; } // float bits, moved as ints
        // Rows of 2²⁰ values or more (no model has them) stay with the tiles: scratch stays well below 2 GB.
        if (!W.IsSupported || blocks == 0 || rows < W.MinRows || k >= 1 << 20) return 0;
        // Panels of equal size (the last one not much smaller than the others).
        int panels = (rows + maxPanelRows - 1) / maxPanelRows, panelRows = (rows + panels - 1) / panels;
        var off = (ushort*)KernelScratch.Codes((long)panelRows * k / 2);
        byte* scratch = KernelScratch.Lookup(2 * TableBytes + (long)k * tokens * 2 + (long)panelRows * tokens * 6);
        var xt = (short*)(scratch + 2 * TableBytes);
        var acc16 = (short*)(xt + (long)k * tokens);
        var acc32 = (int*)(acc16 + (long)panelRows * tokens);
        for (int p0 = 0; p0 < rows; p0 += panelRows)
        {
            int pr = Math.Min(panelRows, rows - p0);
            if (!Offsets<L>(w.Data + (row0 + p0) * L.RowBytes(k), pr, k, off))
            {
                if (scaled == null) fallback(w, row0 + p0, row0 + p0 + pr, q, blocks * tokens, dots + p0, stride);
                else FallbackScaled(w, row0 + p0, pr, q, blocks * tokens, fallback, scaled, p0);
                // The tiles use the same per-thread code scratch and may have grown it: fetch it again.
                off = (ushort*)KernelScratch.Codes((long)panelRows * k / 2);
                continue;
            }
            new Span<byte>(acc16, pr * tokens * 2).Clear(); // the last pass of each block leaves it zero again
            for (int b = 0; b < blocks; b++)
            {
                // Transposed block by block, just before use: its 2T bytes per column stay in L2 for the block.
                W.Transpose(q + (long)b * tokens * k, k, xt);
                Block<L>(off, pr, k, xt, scratch, acc16, acc32, dots + (long)b * tokens * stride + p0, stride, scaled, b);
            }
        }
        return blocks * tokens;
    }

    /// <summary>A panel with code 3 on the caller's tiles, into a temporary int buffer, then rescaled (never in real models).</summary>
    private static void FallbackScaled(TernaryMatrix w, int r0, int pr, sbyte* q, int n, delegate*<TernaryMatrix, int, int, sbyte*, int, int*, int, void> fallback, LookupScaledOutput* scaled, int p0)
    {
        var tmp = new int[(long)n * pr];
        fixed (int* pt = tmp) fallback(w, r0, r0 + pr, q, n, pt, pr);
        DotRescale.Rows(tmp, pr, n, pr, new ReadOnlySpan<float>(scaled->A, n), scaled->Scale, scaled->Extra,
            new Span<float>(scaled->Y + p0, (n - 1) * scaled->YStride + pr), scaled->YStride);
    }

    /// <summary>One block of T tokens (transposed) over a panel of rows whose offsets are ready.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Block<L>(ushort* off, int rows, int k, short* xt, byte* tables, short* acc16, int* acc32, int* dots, int stride, LookupScaledOutput* scaled, int block) where L : struct, ITwoBitLayout
    {
        int passes = k / 16;
        new Span<byte>(acc32, rows * W.Tokens * 4).Clear();
        for (int p = 0; p < passes; p += 2) // passes come in pairs: k is a multiple of 128
        {
            BuildTables<L>(xt, p, tables);
            BuildTables<L>(xt, p + 1, tables + TableBytes);
            ushort* o = off + (long)p * rows * 4; // pair p / 2: 8 offsets per row
            if ((p + 2) % PassesPerWiden == 0 || p + 2 == passes) RowsPassWiden(o, rows, tables, acc16, acc32);
            else RowsPass(o, rows, tables, acc16);
        }
        if (scaled != null) W.Rescale(acc32, rows, scaled->A + block * W.Tokens, scaled->Scale, scaled->Extra);
        Store(acc32, rows, dots, stride);
    }

    /// <summary>
    /// Table offsets of every packed byte (one group: its four weights, digit s at bits 2s) of the rows, by pairs of
    /// passes: <c>off[(m·rows + r)·8 + 4j + g]</c> for group g of pass 2m + j, so a pair reads 16 consecutive bytes per
    /// row. A row's 128-value half gives 64 bytes of offsets (<see cref="Indexes"/>), four pairs of 16; the width writes
    /// four rows' halves at once (transposed as 4 × 4 blocks of 16 bytes, each pair's 64 bytes one or two stores), the
    /// last rows one by one.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static bool Offsets<L>(byte* w, int rows, int k, ushort* off) where L : struct, ITwoBitLayout
    {
        long rb = L.RowBytes(k), pair = (long)rows * 8;
        var bad = Vector256<byte>.Zero;
        int r = 0;
        for (; r + 4 <= rows; r += 4)
            for (int h = 0; h < k / 128; h++)
                W.Offsets4(w + r * rb + (h >> 1) * L.ChunkBytes + (h & 1) * 32, rb, off + h * 4 * pair + r * 8, pair, ref bad);
        for (; r < rows; r++)
            for (int h = 0; h < k / 128; h++)
                W.Offsets1(w + r * rb + (h >> 1) * L.ChunkBytes + (h & 1) * 32, off + h * 4 * pair + r * 8, pair, ref bad);
        return (bad & Vector256.Create(LookupIndexes.Bad)) == Vector256<byte>.Zero;
    }

    /// <summary>
    /// The 81 entries of each of pass p's four groups (bytes 4p … 4p + 3 of a row's packed data), from the transposed
    /// activations of their columns: byte j of the 128-value half h holds column 128h + 32·plane + j, digit s being
    /// the plane at bit shift 2s.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void BuildTables<L>(short* xt, int p, byte* tables) where L : struct, ITwoBitLayout
    {
        int tokens = W.Tokens, h = p / 8, j0 = (p % 8) * 4;
        short* x0 = xt + (h * 128 + 32 * Plane<L>(0) + j0) * tokens;
        short* x1 = xt + (h * 128 + 32 * Plane<L>(1) + j0) * tokens;
        short* x2 = xt + (h * 128 + 32 * Plane<L>(2) + j0) * tokens;
        short* x3 = xt + (h * 128 + 32 * Plane<L>(3) + j0) * tokens;
        for (int g = 0; g < Groups; g++)
            W.BuildGroup(x0 + g * tokens, x1 + g * tokens, x2 + g * tokens, x3 + g * tokens, (short*)(tables + g * GroupTableBytes));
    }

    /// <summary>The plane whose bits sit at shift 2s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Plane<L>(int s) where L : struct, ITwoBitLayout => L.Shift(0) == 2 * s ? 0 : L.Shift(1) == 2 * s ? 1 : L.Shift(2) == 2 * s ? 2 : 3;

    /// <summary>
    /// acc16[r] += the eight table entries row r's offsets select in a pair of passes (tables of the second pass at
    /// <c>tables + TableBytes</c>): one accumulator load and store per 8 lookups, two rows per iteration. Measured on
    /// 512 bits against one pass per row visit (`throughput --tokens 128,512`, 1 thread, alternating): 178–195 vs 157–173
    /// GMAC/s at n = 128, 207–216 vs 190–193 at n = 512.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowsPass(ushort* o, int rows, byte* tables, short* acc16)
    {
        int tokens = W.Tokens;
        byte* t1 = tables + TableBytes;
        ushort* end = o + (long)rows * 8;
        for (; o + 16 <= end; o += 16, acc16 += 2 * tokens)
        {
            W.AddPair(acc16, o, 0, tables, t1);
            W.AddPair(acc16, o, 1, tables, t1);
        }
        if (o < end) W.AddPair(acc16, o, 0, tables, t1);
    }

    /// <summary>The last pair before widening: acc32[r] += acc16[r] + the eight entries (sign-extended), acc16[r] = 0.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void RowsPassWiden(ushort* o, int rows, byte* tables, short* acc16, int* acc32)
    {
        int tokens = W.Tokens;
        byte* t1 = tables + TableBytes;
        for (ushort* end = o + (long)rows * 8; o < end; o += 8, acc16 += tokens, acc32 += tokens)
            W.AddPairWiden(acc16, acc32, o, tables, t1);
    }

    /// <summary>dots[t·stride + r] = acc32[r·T + t], 16 rows at a time (their sums stay in L1).</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Store(int* acc32, int rows, int* dots, int stride)
    {
        int tokens = W.Tokens;
        for (int r0 = 0; r0 < rows; r0 += 16)
        {
            int r1 = Math.Min(rows, r0 + 16);
            for (int t = 0; t < tokens; t++)
            {
                int* d = dots + (long)t * stride;
                for (int r = r0; r < r1; r++) d[r] = acc32[r * tokens + t];
            }
        }
    }
}

/// <summary>
/// Where <see cref="LookupMatMul{W}"/>'s rescaled output goes: Y[t·YStride + (r − row0)] =
/// <see cref="DotRescale.One"/>(D, A[t], Scale, Extra). The int32 sums of a block are rescaled in place, token lanes
/// against A (the same IEEE operations lane by lane), and the transposing store then moves float bits: the int dots
/// never reach memory.
/// </summary>
internal unsafe struct LookupScaledOutput
{
    public float* Y;
    public int YStride;
    public float* A;
    public float Scale;
    public float Extra;
}

/// <summary>Base-3 table indexes of packed bytes, shared by both widths' offsets (AVX2: every lookup width has it).</summary>
internal static unsafe class LookupIndexes
{
    /// <summary>The index a nibble holding code 3 maps to: any such byte makes the panel fall back.</summary>
    public const byte Bad = 0x80;

    /// <summary>
    /// The indexes d₀ + 3d₁ + 9d₂ + 27d₃ of the 32 packed bytes at src (one 128-value half), in byte order: lo[b &amp; 15]
    /// + hi[b &gt;&gt; 4], two <c>vpshufb</c>; a nibble holding code 3 gives <see cref="Bad"/>, collected into bad.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Half(byte* src, ref Vector256<byte> bad)
    {
        const byte X = Bad;
        var lo = Vector256.Create(Vector128.Create((byte)0, 1, 2, X, 3, 4, 5, X, 6, 7, 8, X, X, X, X, X));
        var hi = Vector256.Create(Vector128.Create((byte)0, 9, 18, X, 27, 36, 45, X, 54, 63, 72, X, X, X, X, X));
        var nibble = Vector256.Create((byte)15);
        var b = Vector256.Load(src);
        var l = Avx2.Shuffle(lo, b & nibble);
        var u = Avx2.Shuffle(hi, Vector256.ShiftRightLogical(b.AsUInt16(), 4).AsByte() & nibble);
        bad |= l | u;
        return l + u;
    }
}
