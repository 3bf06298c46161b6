using Tern.Gguf;
using Tern.Kernels;
using Tern.Kernels.Reference;

namespace Tern.Tests.Kernels;

/// <summary>Every fast kernel this machine supports, bit-exactly against the scalar reference.</summary>
public class TernaryKernelTests
{
    public static TheoryData<string> FastKernels()
    {
        var data = new TheoryData<string>();
        foreach (var k in KernelRegistry.Supported)
            if (k != ReferenceTernaryKernel.Instance) data.Add(k.Name);
        return data;
    }

    public static TheoryData<string, GgmlType> KernelsAndTypes()
    {
        var data = new TheoryData<string, GgmlType>();
        foreach (var k in KernelRegistry.Supported)
            if (k != ReferenceTernaryKernel.Instance)
                foreach (var t in KernelConformance.Types) data.Add(k.Name, t);
        return data;
    }

    private static void AssertSame(ITernaryKernel kernel, TestMatrix m, int row0, int row1, sbyte[] q, int n) =>
        Assert.Null(KernelConformance.Check(kernel, m, row0, row1, q, n));

    [Fact]
    public void Registry_ListsTheBestKernelFirst_AndTheReferenceLast()
    {
        Assert.Same(ReferenceTernaryKernel.Instance, KernelRegistry.Supported[^1]);
        if (System.Runtime.Intrinsics.X86.AvxVnni.IsSupported) Assert.Equal("avxvnni", KernelRegistry.Best.Name);
        else if (System.Runtime.Intrinsics.X86.Avx512BW.IsSupported) Assert.Equal("avx512bw", KernelRegistry.Best.Name);
        Assert.Equal(KernelRegistry.Supported.Count, KernelRegistry.Supported.Select(k => k.Name).Distinct().Count());
    }

    [Theory, MemberData(nameof(KernelsAndTypes))]
    public void EveryK_UpToTwelveBlocks_OneAndFiveTokens(string kernelName, GgmlType type)
    {
        var kernel = KernelRegistry.ByName(kernelName);
        var rng = new Random(11);
        int block = TestMatrix.BlockValues(type);
        for (int k = block; k <= 12 * block; k += block)
        {
            var m = TestMatrix.Random(type, 6, k, rng, rawBytes: k / block % 2 == 0);
            foreach (int n in new[] { 1, 5 })
                AssertSame(kernel, m, 1, 6, KernelConformance.RandomActivations(rng, n * k), n);
        }
    }

    [Theory, MemberData(nameof(KernelsAndTypes))]
    public void EveryRowCount_1To33_AtOffsets_AndTokenCounts1To9(string kernelName, GgmlType type)
    {
        var kernel = KernelRegistry.ByName(kernelName);
        var rng = new Random(12);
        const int k = 512;
        var m = TestMatrix.Random(type, 40, k, rng, rawBytes: false);
        var q = KernelConformance.RandomActivations(rng, 9 * k);
        for (int rows = 1; rows <= 33; rows++)
            foreach (int row0 in new[] { 0, 3, 40 - rows })
                AssertSame(kernel, m, row0, row0 + rows, q, 1 + (rows + row0) % 9);
        for (int n = 1; n <= 9; n++) AssertSame(kernel, m, 5, 38, q, n);
    }

    [Theory, MemberData(nameof(KernelsAndTypes))]
    public void ModelShapes_2560And6912_ManyTokens(string kernelName, GgmlType type)
    {
        var kernel = KernelRegistry.ByName(kernelName);
        var rng = new Random(13);
        foreach (int k in new[] { 2560, 6912 })
        {
            var m = TestMatrix.Random(type, 21, k, rng, rawBytes: k == 6912);
            foreach (int n in new[] { 1, 4, 7, 16, 33 })
                AssertSame(kernel, m, 2, 21, KernelConformance.RandomActivations(rng, n * k), n);
        }
    }

    /// <summary>K = 42·64 and its neighbours, where the int16 accumulators are widened (and a K of many segments).</summary>
    [Theory, MemberData(nameof(KernelsAndTypes))]
    public void SegmentBoundaries_AndLongRows(string kernelName, GgmlType type)
    {
        var kernel = KernelRegistry.ByName(kernelName);
        var rng = new Random(14);
        int block = TestMatrix.BlockValues(type);
        foreach (int k in new[] { 2560, 2688, 2816, 5376, 5632, 20480 })
        {
            if (k % block != 0) continue;
            var m = TestMatrix.Random(type, 5, k, rng, rawBytes: true);
            foreach (int n in new[] { 1, 4, 5 })
                AssertSame(kernel, m, 0, 5, KernelConformance.RandomActivations(rng, n * k), n);
        }
    }

    /// <summary>
    /// Extremes, over a long row (many int16 widenings): every code the largest the layout can hold (0xFF bytes: code 3
    /// for 2-bit layouts, read as +2), all +1, all −1, all 0, against q = −128, q = 127 and alternating ±.
    /// </summary>
    [Theory, MemberData(nameof(KernelsAndTypes))]
    public void ExtremeInputs_AreExact(string kernelName, GgmlType type)
    {
        var kernel = KernelRegistry.ByName(kernelName);
        const int k = 6912 * 2 + 512;
        var matrices = new[]
        {
            TestMatrix.FromBytes(type, 5, k, _ => 0xFF),
            TestMatrix.Constant(type, 5, k, 1),
            TestMatrix.Constant(type, 5, k, -1),
            TestMatrix.Constant(type, 5, k, 0),
            TestMatrix.FromBytes(type, 5, k, i => (byte)(i % 3 == 0 ? 0xFF : 0xAA)),
        };
        var activations = new[]
        {
            Enumerable.Repeat((sbyte)-128, 5 * k).ToArray(),
            Enumerable.Repeat((sbyte)127, 5 * k).ToArray(),
            Enumerable.Range(0, 5 * k).Select(i => (sbyte)(i % 2 == 0 ? -128 : 127)).ToArray(),
        };
        foreach (var m in matrices)
            foreach (var q in activations)
                foreach (int n in new[] { 1, 5 })
                    AssertSame(kernel, m, 0, 5, q, n);
    }

    [Theory, MemberData(nameof(FastKernels))]
    public void CompactSweep_UsedByTheIsaLadder_PassesInProcess(string kernelName)
    {
        var failures = KernelConformance.Sweep(KernelRegistry.ByName(kernelName));
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(10)));
    }

    [Theory, MemberData(nameof(FastKernels))]
    public void EmptyRangesAndZeroTokens_WriteNothing(string kernelName)
    {
        var kernel = KernelRegistry.ByName(kernelName);
        var m = TestMatrix.Random(GgmlType.I2_S, 4, 256, new Random(1), rawBytes: false);
        var dots = new int[8];
        Array.Fill(dots, 7);
        kernel.Dots(m.Matrix, 2, 2, new sbyte[256], 1, dots, 4);
        kernel.Dots(m.Matrix, 0, 4, [], 0, dots, 4);
        Assert.All(dots, d => Assert.Equal(7, d));
        Assert.Throws<ArgumentException>(() => kernel.Dots(m.Matrix, 0, 4, new sbyte[255], 1, dots, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => kernel.Dots(m.Matrix, 0, 5, new sbyte[256], 1, dots, 5));
        GC.KeepAlive(m);
    }
}
