using Tern.Gguf;
using Tern.Kernels;
using Tern.Kernels.Reference;

namespace Tern.Tests.Kernels;

/// <summary>
/// <see cref="ITernaryKernel.ScaledDots"/> — the layer output (float)D / a · s_w (· extra) — bit for bit against the
/// reference dots rescaled one value at a time, through every kernel this machine runs: whole lookup blocks with the
/// fused rescale, remainders, short row ranges, a code-3 panel, and an output stride wider than the rows.
/// </summary>
public class ScaledDotsTests
{
    private static unsafe string? Check(ITernaryKernel kernel, TestMatrix m, float weightScale, int row0, int row1, sbyte[] q, int n, float[] a, float extra)
    {
        var w = new TernaryMatrix("scaled", m.Matrix.Type, m.Matrix.Rows, m.Matrix.Cols, m.Matrix.Data, m.Matrix.ByteSize, weightScale);
        int rows = row1 - row0, stride = rows + 7;
        var dots = new int[n * rows];
        ReferenceTernaryKernel.Instance.Dots(w, row0, row1, q, n, dots, rows);
        var y = new float[n * stride];
        Array.Fill(y, -12345f); // the gaps between rows must stay as they are
        kernel.ScaledDots(w, row0, row1, q, n, a, extra, y, stride);
        GC.KeepAlive(m);
        for (int t = 0; t < n; t++)
            for (int i = 0; i < stride; i++)
            {
                float expected = i < rows ? DotRescale.One(dots[t * rows + i], a[t], weightScale, extra) : -12345f;
                if (BitConverter.SingleToInt32Bits(y[t * stride + i]) != BitConverter.SingleToInt32Bits(expected))
                    return $"{kernel.Name} {w.Type} K={w.Cols} rows [{row0},{row1}) n={n} extra={extra}: token {t} column {i}: {y[t * stride + i]}, expected {expected}";
            }
        return null;
    }

    private static float[] Scales(Random rng, int n) => Enumerable.Range(0, n).Select(_ => 127f / (float)(rng.NextDouble() * 20 + 1e-3)).ToArray();

    public static TheoryData<GgmlType> Types() => new(KernelConformance.Types);

    [Theory, MemberData(nameof(Types))]
    public void EveryKernel_EqualsTheReferenceRescaled(GgmlType type)
    {
        var rng = new Random(31);
        int k = type == GgmlType.I2_S ? 384 : 512;
        var m = TestMatrix.Random(type, 100, k, rng, rawBytes: false);
        foreach (var kernel in KernelRegistry.Supported)
            foreach (int n in new[] { 1, 5, 32, 33, 70 })
                foreach (var (row0, row1) in new[] { (5, 99), (0, 40), (0, 100) })
                    foreach (float extra in new[] { 1f, 0.75f })
                    {
                        var q = KernelConformance.RandomActivations(rng, n * k);
                        Assert.Null(Check(kernel, m, 0.37f, row0, row1, q, n, Scales(rng, n), extra));
                    }
    }

    /// <summary>A panel holding code 3 goes to the tiles and is rescaled afterwards; the result is the same.</summary>
    [Fact]
    public void CodeThreePanel_IsRescaledToo()
    {
        var rng = new Random(32);
        var m = TestMatrix.FromBytes(GgmlType.I2_S, 140, 512, i => i == 100 * 128 + 7 ? (byte)0xFF : (byte)(rng.Next(3) | rng.Next(3) << 2 | rng.Next(3) << 4 | rng.Next(3) << 6));
        var q = KernelConformance.RandomActivations(rng, 40 * 512);
        foreach (var kernel in KernelRegistry.Supported)
            Assert.Null(Check(kernel, m, 1.5f, 0, 140, q, 40, Scales(rng, 40), 1f));
    }

    [Fact]
    public void BadShapes_AreRejected()
    {
        var m = TestMatrix.Random(GgmlType.I2_S, 70, 128, new Random(33), rawBytes: false);
        var q = new sbyte[32 * 128];
        foreach (var kernel in KernelRegistry.Supported)
        {
            Assert.Throws<ArgumentException>(() => kernel.ScaledDots(m.Matrix, 0, 70, q, 32, new float[31], 1f, new float[32 * 70], 70));
            Assert.Throws<ArgumentException>(() => kernel.ScaledDots(m.Matrix, 0, 70, q, 32, new float[32], 1f, new float[32 * 70 - 1], 70));
            Assert.Throws<ArgumentException>(() => kernel.ScaledDots(m.Matrix, 0, 70, q, 33, new float[33], 1f, new float[33 * 70], 70));
            Assert.Throws<ArgumentOutOfRangeException>(() => kernel.ScaledDots(m.Matrix, 0, 71, q, 32, new float[32], 1f, new float[32 * 71], 71));
        }
        GC.KeepAlive(m);
    }
}
