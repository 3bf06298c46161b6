using Tern.Gguf;
using Tern.Kernels;
using Tern.Kernels.Reference;
using Tern.Kernels.X86;

namespace Tern.Tests.Kernels;

/// <summary>
/// The table-lookup mat-mat (<see cref="LookupMatMul{W}"/>) at both widths (<see cref="Lookup512"/>: 32-token blocks,
/// <see cref="Lookup256"/>: 16), bit-exactly against the scalar reference: called directly (so the test knows the
/// lookup path ran) and through the kernels that use it for whole blocks.
/// </summary>
public class LookupMatMulTests
{
    /// <summary>Vector widths in bits: 512 needs AVX-512BW, 256 AVX2.</summary>
    public static TheoryData<int> Widths() => new(512, 256);

    private static bool Supported(int width) => width == 512 ? Lookup512.IsSupported : Lookup256.IsSupported;

    private static int Tokens(int width) => width == 512 ? Lookup512.Tokens : Lookup256.Tokens;

    private static bool Skip(int width)
    {
        if (Supported(width)) return false;
        Console.WriteLine($"Lookup{width}: not supported here, skipped");
        return true;
    }

    private static unsafe int Run(int width, TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride, int panelRows = 0, LookupScaledOutput* scaled = null) => width == 512
        ? LookupMatMul<Lookup512>.Run(w, row0, row1, q, n, dots, stride, &Fallback, panelRows, scaled)
        : LookupMatMul<Lookup256>.Run(w, row0, row1, q, n, dots, stride, &Fallback, panelRows, scaled);

    /// <summary>Runs the lookup path on [row0, row1) × n tokens; returns the tokens it did and whether they match.</summary>
    private static unsafe (int Done, string? Failure) RunDirect(int width, TestMatrix m, int row0, int row1, sbyte[] q, int n, int panelRows = 0)
    {
        var w = m.Matrix;
        int rows = row1 - row0, stride = rows + 3;
        var expected = new int[n * stride];
        var actual = new int[n * stride];
        ReferenceTernaryKernel.Instance.Dots(w, row0, row1, q, n, expected, stride);
        int done;
        fixed (sbyte* pq = q)
        fixed (int* pd = actual)
            done = Run(width, w, row0, row1, pq, n, pd, stride, panelRows);
        GC.KeepAlive(m);
        for (int t = 0; t < done; t++)
            for (int r = 0; r < rows; r++)
                if (actual[t * stride + r] != expected[t * stride + r])
                    return (done, $"Lookup{width} {w.Type} K={w.Cols} rows [{row0},{row1}) token {t} row {row0 + r}: {actual[t * stride + r]}, reference {expected[t * stride + r]}");
        return (done, null);
    }

    private static long s_grow;

    /// <summary>
    /// What the kernels pass for panels holding code 3: here the scalar reference, after growing the per-thread code
    /// scratch the lookup path keeps its offsets in (as the tiles may) and collecting the old buffer.
    /// </summary>
    private static unsafe void Fallback(TernaryMatrix w, int row0, int row1, sbyte* q, int n, int* dots, int stride)
    {
        KernelScratch.Codes((8 << 20) + Interlocked.Add(ref s_grow, 1 << 16));
        GC.Collect();
        ReferenceTernaryKernel.Instance.Dots(w, row0, row1, new ReadOnlySpan<sbyte>(q, n * w.Cols), n, new Span<int>(dots, (n - 1) * stride + row1 - row0), stride);
    }

    /// <summary>The 2-bit types the lookup path takes (TQ1_0 stays with the tiles), at both widths.</summary>
    public static TheoryData<GgmlType, int> TypesAndWidths() => new()
    {
        { GgmlType.I2_S, 512 }, { GgmlType.TQ2_0, 512 }, { GgmlType.I2_S, 256 }, { GgmlType.TQ2_0, 256 },
    };

    [Theory, MemberData(nameof(TypesAndWidths))]
    public void RandomInputs_EveryBlockCount_MatchTheReference(GgmlType type, int width)
    {
        if (Skip(width)) return;
        var rng = new Random(21);
        int T = Tokens(width);
        // 384: an odd number of 128-value halves, so I2_S's last 64-byte chunk is half used.
        foreach (int k in new[] { 128, 384, 256, 2560, 6912 })
        {
            if (k % TestMatrix.BlockValues(type) != 0) continue;
            var m = TestMatrix.Random(type, 80, k, rng, rawBytes: false);
            // One block, one plus a token, two, three minus a token (1, 1, 2, 2 blocks done).
            foreach (int n in new[] { T, T + 1, 2 * T, 3 * T - 1 })
            {
                var (done, failure) = RunDirect(width, m, 3, 80, KernelConformance.RandomActivations(rng, n * k), n, panelRows: n % 2 == 0 ? 1024 : 30);
                Assert.Null(failure);
                Assert.Equal(n / T * T, done);
            }
        }
    }

    /// <summary>Many blocks (each transposed in turn into the same buffer), plus a remainder.</summary>
    [Theory, MemberData(nameof(Widths))]
    public void ManyBlocks_AndARemainder(int width)
    {
        if (Skip(width)) return;
        var rng = new Random(26);
        int T = Tokens(width);
        var m = TestMatrix.Random(GgmlType.I2_S, 64, 128, rng, rawBytes: false);
        int n = 33 * T + 5;
        var (done, failure) = RunDirect(width, m, 0, 64, KernelConformance.RandomActivations(rng, n * 128), n);
        Assert.Null(failure);
        Assert.Equal(33 * T, done);
    }

    /// <summary>|entry| = 512 in every lane (all −1 or all +1 against −128) over 432 passes: the widening keeps int16 exact.</summary>
    [Theory, MemberData(nameof(TypesAndWidths))]
    public void Extremes_OverLongRows_MatchTheReference(GgmlType type, int width)
    {
        if (Skip(width)) return;
        int T = Tokens(width);
        foreach (sbyte trit in new sbyte[] { -1, 1, 0 })
        {
            var m = TestMatrix.Constant(type, 64, 6912, trit);
            foreach (sbyte v in new sbyte[] { -128, 127 })
            {
                var (done, failure) = RunDirect(width, m, 0, 64, Enumerable.Repeat(v, T * 6912).ToArray(), T);
                Assert.Null(failure);
                Assert.Equal(T, done);
            }
        }
    }

    /// <summary>A panel holding the unused code 3 (read as +2) is left to the caller's tiles; everything still matches.</summary>
    [Theory, MemberData(nameof(Widths))]
    public void CodeThree_FallsBackToTheTiles(int width)
    {
        if (Skip(width)) return;
        var rng = new Random(22);
        var m = TestMatrix.FromBytes(GgmlType.I2_S, 140, 512, i => i == 100 * 128 + 7 ? (byte)0xFF : (byte)(rng.Next(3) | rng.Next(3) << 2 | rng.Next(3) << 4 | rng.Next(3) << 6));
        var q = KernelConformance.RandomActivations(rng, 40 * 512);
        int done = 40 / Tokens(width) * Tokens(width);
        // Panels [0, 47), [47, 94), [94, 140): the last one, with the code 3, runs on the fallback.
        Assert.Equal((done, (string?)null), RunDirect(width, m, 0, 140, q, 40, panelRows: 47));
        // Panels [0, 35), [35, 70), [70, 105), [105, 140): the code 3 in the third, panels after it on lookups again.
        Assert.Equal((done, (string?)null), RunDirect(width, m, 0, 140, q, 40, panelRows: 35));
        Assert.Equal((done, (string?)null), RunDirect(width, m, 0, 140, q, 40));
        foreach (var kernel in KernelRegistry.Supported)
            Assert.Null(KernelConformance.Check(kernel, m, 0, 140, q, 40));
    }

    /// <summary>
    /// The fused rescale: the lookup path writes (float)D / a · s (· extra) for its blocks, bit for bit the reference
    /// dots rescaled one value at a time, over panels with and without code 3, into an output wider than the rows.
    /// </summary>
    [Theory, MemberData(nameof(Widths))]
    public unsafe void RescaledOutput_MatchesTheReferenceRescaled(int width)
    {
        if (Skip(width)) return;
        var rng = new Random(27);
        int T = Tokens(width), n = 3 * T + 2, k = 384;
        var m = TestMatrix.FromBytes(GgmlType.I2_S, 150, k, i => i == 120 * (k / 4) + 3 ? (byte)0xFF : (byte)(rng.Next(3) | rng.Next(3) << 2 | rng.Next(3) << 4 | rng.Next(3) << 6));
        var w = new TernaryMatrix("scaled", m.Matrix.Type, m.Matrix.Rows, m.Matrix.Cols, m.Matrix.Data, m.Matrix.ByteSize, 0.37f);
        var q = KernelConformance.RandomActivations(rng, n * k);
        var a = Enumerable.Range(0, n).Select(_ => 127f / (float)(rng.NextDouble() * 20 + 1e-3)).ToArray();
        int row0 = 2, row1 = 149, rows = row1 - row0, stride = rows + 5;
        var dots = new int[n * rows];
        ReferenceTernaryKernel.Instance.Dots(w, row0, row1, q, n, dots, rows);
        foreach (float extra in new[] { 1f, 0.75f })
            foreach (int panelRows in new[] { 0, 50 }) // one panel (with code 3: all on the fallback), three (one with code 3)
            {
                var y = new float[n * stride];
                Array.Fill(y, -12345f);
                int done;
                fixed (sbyte* pq = q)
                fixed (float* pa = a)
                fixed (float* py = y)
                {
                    var output = new LookupScaledOutput { Y = py, YStride = stride, A = pa, Scale = w.Scale, Extra = extra };
                    done = Run(width, w, row0, row1, pq, n, null, 0, panelRows, &output);
                }
                Assert.Equal(3 * T, done);
                for (int t = 0; t < n; t++)
                    for (int i = 0; i < stride; i++)
                    {
                        float expected = t < done && i < rows ? DotRescale.One(dots[t * rows + i], a[t], w.Scale, extra) : -12345f;
                        Assert.True(BitConverter.SingleToInt32Bits(y[t * stride + i]) == BitConverter.SingleToInt32Bits(expected),
                            $"Lookup{width} panels of {panelRows} extra={extra}: token {t} column {i}: {y[t * stride + i]}, expected {expected}");
                    }
            }
        GC.KeepAlive(m);
    }

    public static TheoryData<GgmlType> AllTypes() => new(KernelConformance.Types);

    [Theory, MemberData(nameof(Widths))]
    public unsafe void TQ1_0_IsLeftToTheTiles(int width)
    {
        var m = TestMatrix.Random(GgmlType.TQ1_0, 80, 256, new Random(24), rawBytes: false);
        var q = KernelConformance.RandomActivations(new Random(25), 32 * 256);
        var dots = new int[32 * 80];
        fixed (sbyte* pq = q)
        fixed (int* pd = dots)
            Assert.Equal(0, Run(width, m.Matrix, 0, 80, pq, 32, pd, 80));
        GC.KeepAlive(m);
    }

    /// <summary>Through every kernel: whole blocks by lookup, the remaining tokens by tiles, into a strided range.</summary>
    [Theory, MemberData(nameof(AllTypes))]
    public void ThroughTheKernels_BlocksPlusRemainders_MatchTheReference(GgmlType type)
    {
        var rng = new Random(23);
        var m = TestMatrix.Random(type, 100, 2560, rng, rawBytes: false);
        foreach (var kernel in KernelRegistry.Supported)
            foreach (int n in new[] { 17, 32, 37, 70 })
                Assert.Null(KernelConformance.Check(kernel, m, 5, 99, KernelConformance.RandomActivations(rng, n * 2560), n));
    }
}
