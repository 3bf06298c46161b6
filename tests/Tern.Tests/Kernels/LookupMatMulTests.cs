using Tern.Gguf;
using Tern.Kernels;
using Tern.Kernels.Reference;
using Tern.Kernels.X86;

namespace Tern.Tests.Kernels;

/// <summary>
/// The table-lookup mat-mat (<see cref="LookupMatMul512"/>), bit-exactly against the scalar reference: called directly
/// (so the test knows the lookup path ran) and through the kernels that use it for whole blocks of 32 tokens.
/// </summary>
public class LookupMatMulTests
{
    /// <summary>Runs the lookup path on [row0, row1) × n tokens; returns the tokens it did and whether they match.</summary>
    private static unsafe (int Done, string? Failure) RunDirect(TestMatrix m, int row0, int row1, sbyte[] q, int n, int panelRows = 0)
    {
        var w = m.Matrix;
        int rows = row1 - row0, stride = rows + 3;
        var expected = new int[n * stride];
        var actual = new int[n * stride];
        ReferenceTernaryKernel.Instance.Dots(w, row0, row1, q, n, expected, stride);
        int done;
        fixed (sbyte* pq = q)
        fixed (int* pd = actual)
            done = LookupMatMul512.Run(w, row0, row1, pq, n, pd, stride, &Fallback, panelRows);
        GC.KeepAlive(m);
        for (int t = 0; t < done; t++)
            for (int r = 0; r < rows; r++)
                if (actual[t * stride + r] != expected[t * stride + r])
                    return (done, $"{w.Type} K={w.Cols} rows [{row0},{row1}) token {t} row {row0 + r}: {actual[t * stride + r]}, reference {expected[t * stride + r]}");
        return (done, null);
    }

    /// <summary>The 2-bit types the lookup path takes (TQ1_0 stays with the tiles).</summary>
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

    public static TheoryData<GgmlType> Types() => new(GgmlType.I2_S, GgmlType.TQ2_0);

    [Theory, MemberData(nameof(Types))]
    public void RandomInputs_EveryBlockCount_MatchTheReference(GgmlType type)
    {
        if (!LookupMatMul512.IsSupported) { Console.WriteLine("LookupMatMul512: no AVX-512BW here, skipped"); return; }
        var rng = new Random(21);
        // 384: an odd number of 128-value halves, so I2_S's last 64-byte chunk is half used.
        foreach (int k in new[] { 128, 384, 256, 2560, 6912 })
        {
            if (k % TestMatrix.BlockValues(type) != 0) continue;
            var m = TestMatrix.Random(type, 80, k, rng, rawBytes: false);
            foreach (int n in new[] { 32, 33, 64, 95 })
            {
                var (done, failure) = RunDirect(m, 3, 80, KernelConformance.RandomActivations(rng, n * k), n, panelRows: n % 2 == 0 ? 1024 : 30);
                Assert.Null(failure);
                Assert.Equal(n / 32 * 32, done);
            }
        }
    }

    /// <summary>Many blocks (each transposed in turn into the same buffer), plus a remainder.</summary>
    [Fact]
    public void ManyBlocks_AndARemainder()
    {
        if (!LookupMatMul512.IsSupported) { Console.WriteLine("LookupMatMul512: no AVX-512BW here, skipped"); return; }
        var rng = new Random(26);
        var m = TestMatrix.Random(GgmlType.I2_S, 64, 128, rng, rawBytes: false);
        int n = 33 * 32 + 5;
        var (done, failure) = RunDirect(m, 0, 64, KernelConformance.RandomActivations(rng, n * 128), n);
        Assert.Null(failure);
        Assert.Equal(33 * 32, done);
    }

    /// <summary>|entry| = 512 in every lane (all −1 or all +1 against −128) over 432 passes: the widening keeps int16 exact.</summary>
    [Theory, MemberData(nameof(Types))]
    public void Extremes_OverLongRows_MatchTheReference(GgmlType type)
    {
        if (!LookupMatMul512.IsSupported) { Console.WriteLine("LookupMatMul512: no AVX-512BW here, skipped"); return; }
        foreach (sbyte trit in new sbyte[] { -1, 1, 0 })
        {
            var m = TestMatrix.Constant(type, 64, 6912, trit);
            foreach (sbyte v in new sbyte[] { -128, 127 })
            {
                var (done, failure) = RunDirect(m, 0, 64, Enumerable.Repeat(v, 32 * 6912).ToArray(), 32);
                Assert.Null(failure);
                Assert.Equal(32, done);
            }
        }
    }

    /// <summary>A panel holding the unused code 3 (read as +2) is left to the caller's tiles; everything still matches.</summary>
    [Fact]
    public void CodeThree_FallsBackToTheTiles()
    {
        if (!LookupMatMul512.IsSupported) { Console.WriteLine("LookupMatMul512: no AVX-512BW here, skipped"); return; }
        var rng = new Random(22);
        var m = TestMatrix.FromBytes(GgmlType.I2_S, 140, 512, i => i == 100 * 128 + 7 ? (byte)0xFF : (byte)(rng.Next(3) | rng.Next(3) << 2 | rng.Next(3) << 4 | rng.Next(3) << 6));
        var q = KernelConformance.RandomActivations(rng, 40 * 512);
        // Panels [0, 47), [47, 94), [94, 140): the last one, with the code 3, runs on the fallback.
        Assert.Equal((32, (string?)null), RunDirect(m, 0, 140, q, 40, panelRows: 47));
        // Panels [0, 35), [35, 70), [70, 105), [105, 140): the code 3 in the third, panels after it on lookups again.
        Assert.Equal((32, (string?)null), RunDirect(m, 0, 140, q, 40, panelRows: 35));
        Assert.Equal((32, (string?)null), RunDirect(m, 0, 140, q, 40));
        foreach (var kernel in KernelRegistry.Supported)
            Assert.Null(KernelConformance.Check(kernel, m, 0, 140, q, 40));
    }

    public static TheoryData<GgmlType> AllTypes() => new(KernelConformance.Types);

    [Fact]
    public unsafe void TQ1_0_IsLeftToTheTiles()
    {
        var m = TestMatrix.Random(GgmlType.TQ1_0, 80, 256, new Random(24), rawBytes: false);
        var q = KernelConformance.RandomActivations(new Random(25), 32 * 256);
        var dots = new int[32 * 80];
        fixed (sbyte* pq = q)
        fixed (int* pd = dots)
            Assert.Equal(0, LookupMatMul512.Run(m.Matrix, 0, 80, pq, 32, pd, 80, &Fallback));
        GC.KeepAlive(m);
    }

    /// <summary>Through every kernel: whole blocks by lookup, the remaining tokens by tiles, into a strided range.</summary>
    [Theory, MemberData(nameof(AllTypes))]
    public void ThroughTheKernels_BlocksPlusRemainders_MatchTheReference(GgmlType type)
    {
        var rng = new Random(23);
        var m = TestMatrix.Random(type, 100, 2560, rng, rawBytes: false);
        foreach (var kernel in KernelRegistry.Supported)
            foreach (int n in new[] { 32, 37, 70 })
                Assert.Null(KernelConformance.Check(kernel, m, 5, 99, KernelConformance.RandomActivations(rng, n * 2560), n));
    }
}
