using Tern.Gguf;
using Tern.Kernels;
using Tern.Kernels.Reference;

namespace Tern.Tests.Kernels;

/// <summary>
/// Checks a kernel against <see cref="ReferenceTernaryKernel"/>, bit-exactly, on one case: the kernel writes a row range
/// of a dots buffer with a stride wider than the range, and everything outside the range must stay untouched.
/// Shared by the in-process tests and the child process of the ISA ladder (<see cref="KernelCheckProgram"/>).
/// </summary>
public static class KernelConformance
{
    public static readonly GgmlType[] Types = [GgmlType.I2_S, GgmlType.TQ2_0, GgmlType.TQ1_0];

    /// <summary>Returns null when the kernel matches the reference, otherwise a description of the first difference.</summary>
    public static string? Check(ITernaryKernel kernel, TestMatrix m, int row0, int row1, sbyte[] q, int n)
    {
        var w = m.Matrix;
        int rows = row1 - row0, stride = rows + 3;
        const int sentinel = unchecked((int)0xDEADBEEF);
        var expected = new int[n * stride + 5];
        var actual = new int[n * stride + 5];
        Array.Fill(expected, sentinel);
        Array.Fill(actual, sentinel);
        ReferenceTernaryKernel.Instance.Dots(w, row0, row1, q, n, expected, stride);
        kernel.Dots(w, row0, row1, q, n, actual, stride);
        for (int i = 0; i < actual.Length; i++)
            if (actual[i] != expected[i])
                return $"{kernel.Name} {w.Type} K={w.Cols} rows [{row0},{row1}) n={n}: dots[{i}] (token {i / stride}, row {row0 + i % stride}) = {actual[i]}, reference {expected[i]}";
        GC.KeepAlive(m); // m owns the pinned memory w points into
        return null;
    }

    public static sbyte[] RandomActivations(Random rng, int count)
    {
        var q = new sbyte[count];
        for (int i = 0; i < q.Length; i++) q[i] = (sbyte)rng.Next(-128, 128);
        return q;
    }

    /// <summary>
    /// A compact sweep of one kernel: every type, K over several blocks and both model sizes, row counts and offsets
    /// hitting every remainder of 4-row tiles, 1–9 and 17 tokens, random and extreme inputs. Returns the failures.
    /// </summary>
    public static List<string> Sweep(ITernaryKernel kernel, int seed = 1)
    {
        var failures = new List<string>();
        var rng = new Random(seed);
        void Run(TestMatrix m, int row0, int row1, sbyte[] q, int n)
        {
            if (!kernel.Supports(m.Matrix)) { failures.Add($"{kernel.Name} does not support {m.Matrix.Type} K={m.Matrix.Cols}"); return; }
            if (Check(kernel, m, row0, row1, q, n) is { } f) failures.Add(f);
        }
        foreach (var type in Types)
        {
            int block = TestMatrix.BlockValues(type);
            foreach (int k in new[] { block, 2 * block, 3 * block, 5 * block, 2560, 2816 })
            {
                var m = TestMatrix.Random(type, 11, k, rng, rawBytes: k % 3 == 0);
                foreach (int n in new[] { 1, 2, 5, 9 })
                    Run(m, 1, 10, RandomActivations(rng, n * k), n);
            }
            // Prompt-sized token counts (several tiles of tokens plus every kind of remainder), on rows with and
            // without the unused code 3.
            foreach (bool raw in new[] { false, true })
            {
                var m = TestMatrix.Random(type, 21, 3 * block, rng, rawBytes: raw);
                foreach (int n in new[] { 16, 32, 47, 50 })
                    Run(m, 2, 19, RandomActivations(rng, n * 3 * block), n);
            }
            // Enough rows and tokens for the table-lookup mat-mat (whole blocks of 32 or 16 tokens, ≥ 64 rows), with and
            // without code 3 (a panel holding it goes to the tiles).
            foreach (bool raw in new[] { false, true })
            {
                var m = TestMatrix.Random(type, 72, 2 * block, rng, rawBytes: raw);
                Run(m, 1, 71, RandomActivations(rng, 37 * 2 * block), 37);
            }
            // Every small-batch size (the batch mat-vec runs 2 to 16 tokens, in passes of up to 8), on rows with and without code 3, K with
            // and without a last I2_S half.
            foreach (int k in new[] { 3 * block, 2816 })
            {
                var m = TestMatrix.Random(type, 7, k, rng, rawBytes: k % 3 == 0);
                for (int n = 2; n <= 16; n++) Run(m, 1, 7, RandomActivations(rng, n * k), n);
            }
            var big = TestMatrix.Random(type, 9, 6912, rng, rawBytes: false);
            Run(big, 0, 9, RandomActivations(rng, 6912), 1);
            Run(big, 2, 9, RandomActivations(rng, 5 * 6912), 5);
            var m33 = TestMatrix.Random(type, 37, 512, rng, rawBytes: true);
            for (int rows = 1; rows <= 9; rows++) Run(m33, 37 - rows, 37, RandomActivations(rng, 512), 1);
            Run(m33, 3, 36, RandomActivations(rng, 17 * 512), 17);
            // Extremes: the worst case for int16 accumulation is the largest code against q = −128 everywhere.
            var worst = TestMatrix.FromBytes(type, 6, 6912, _ => 0xFF);
            var plus = TestMatrix.Constant(type, 6, 6912, 1);
            var minus = TestMatrix.Constant(type, 6, 6912, -1);
            foreach (sbyte v in new sbyte[] { -128, 127 })
            {
                var q = Enumerable.Repeat(v, 6 * 6912).ToArray();
                foreach (var m in new[] { worst, plus, minus })
                {
                    Run(m, 0, 6, q, 1);
                    Run(m, 1, 6, q, 6);
                    Run(m, 0, 6, Enumerable.Repeat(v, 8 * 6912).ToArray(), 8);
                    Run(m, 1, 6, Enumerable.Repeat(v, 33 * 6912).ToArray(), 33);
                }
                var wide = TestMatrix.Constant(type, 64, 6912, v < 0 ? (sbyte)-1 : (sbyte)1); // |table entry| = 4·|v| in every lane
                Run(wide, 0, 64, Enumerable.Repeat(v, 32 * 6912).ToArray(), 32);
            }
        }
        return failures;
    }
}
