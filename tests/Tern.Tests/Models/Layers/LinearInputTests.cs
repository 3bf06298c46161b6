using Tern.Models.Layers;

namespace Tern.Tests.Models.Layers;

/// <summary>An input quantized row by row without its float rows (every reader ternary): same int8 rows, floats refused.</summary>
public class LinearInputTests
{
    [Fact]
    public void RowsQuantizedWithoutFloatsEqualTheUsualQuantizationAndRefuseFloatAccess()
    {
        var rng = new Random(12);
        const int count = 3, cols = 70;
        var rows = Enumerable.Range(0, count * cols).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray();

        var usual = new LinearInput();
        usual.Reset(count, cols);
        rows.CopyTo(usual.X);
        var (q0, f0) = usual.Quantized(ActivationScheme.AbsMax);

        var lean = new LinearInput();
        lean.Reset(count, cols);
        lean.BeginRowQuantization();
        for (int t = 0; t < count; t++) lean.QuantizeRow(t, ActivationScheme.AbsMax, rows.AsSpan(t * cols, cols));
        lean.EndRowQuantization(ActivationScheme.AbsMax, floatsKept: false);
        var (q1, f1) = lean.Quantized(ActivationScheme.AbsMax);
        Assert.Equal(q0.ToArray(), q1.ToArray());
        Assert.Equal(f0.ToArray(), f1.ToArray());

        Assert.Throws<InvalidOperationException>(() => lean.X.Length);
        Assert.Throws<InvalidOperationException>(() => lean.Row(0).Length);
        Assert.Throws<InvalidOperationException>(() => lean.Quantized(ActivationScheme.BitLlama2c)); // another scheme needs the floats

        lean.Reset(count, cols); // a new batch: float rows again
        Assert.Equal(count * cols, lean.X.Length);
    }
}
