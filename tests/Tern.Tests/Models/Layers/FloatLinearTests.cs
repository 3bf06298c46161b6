using System.Runtime.InteropServices;
using Tern.Gguf;
using Tern.Kernels;
using Tern.Models.Layers;
using Tern.Tensors;

namespace Tern.Tests.Models.Layers;

/// <summary>
/// An F16 projection over a batch (decoding sequences side by side) gives every token the bits it gets alone, through
/// whichever path runs: four rows × four tokens, four rows per token, single rows; any row range.
/// </summary>
public class FloatLinearTests
{
    [Theory]
    [InlineData(1, 100)]
    [InlineData(2, 100)]
    [InlineData(4, 100)]
    [InlineData(5, 100)]
    [InlineData(8, 100)]
    [InlineData(9, 100)]
    [InlineData(13, 1100)]
    [InlineData(16, 1100)]
    public unsafe void ABatchRowEqualsTheTokenAlone(int tokens, int cols)
    {
        const int rows = 39; // blocks of four with a remainder, split at row 13 (two threads' ranges); a tail after 16-value chunks
        var rng = new Random(tokens);
        var halves = new ushort[rows * cols];
        for (int i = 0; i < halves.Length; i++) halves[i] = HalfConversion.F32ToF16((float)(rng.NextDouble() * 2 - 1));
        var x = Enumerable.Range(0, tokens * cols).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray();
        fixed (ushort* p = halves)
        {
            var linear = new FloatLinear(new FloatMatrix("w", GgmlType.F16, rows, cols, (byte*)p), extraScale: 0.75f);
            var batch = new LinearInput();
            batch.Reset(tokens, cols);
            x.CopyTo(batch.X);
            var y = new float[tokens * rows];
            linear.ComputeRows(batch, y.AsSpan(0, tokens * rows), 0, 13); // two ranges, as two threads would take them
            linear.ComputeRows(batch, y.AsSpan(0, tokens * rows), 13, rows);

            var one = new LinearInput();
            var alone = new float[rows];
            for (int t = 0; t < tokens; t++)
            {
                one.Reset(1, cols);
                x.AsSpan(t * cols, cols).CopyTo(one.X);
                linear.ComputeRows(one, alone, 0, rows);
                for (int r = 0; r < rows; r++)
                {
                    float reference = F16Dot.Dot(MemoryMarshal.CreateReadOnlySpan(ref halves[r * cols], cols), x.AsSpan(t * cols, cols)) * 0.75f;
                    Assert.Equal(BitConverter.SingleToInt32Bits(reference), BitConverter.SingleToInt32Bits(alone[r]));
                    Assert.Equal(BitConverter.SingleToInt32Bits(alone[r]), BitConverter.SingleToInt32Bits(y[t * rows + r]));
                }
            }
        }
    }
}
