using System.Runtime.Intrinsics;
using Tern.Kernels;

namespace Tern.Tests.Kernels;

public class SoftmaxTests
{
    private static readonly float[] Specials =
        [0f, -0f, 1f, -1f, -86f, -86.0001f, -85.9999f, 88f, 88.5f, -87.5f, -104f, float.NegativeInfinity, float.PositiveInfinity, float.NaN, 1e-30f, -1e-30f, 0.34657359f, -0.34657359f];

    private static IEnumerable<float> Arguments()
    {
        var rng = new Random(5);
        foreach (float s in Specials) yield return s;
        for (int i = 0; i < 200_000; i++) yield return (float)(rng.NextDouble() * 180 - 92);
        for (int i = 0; i < 20_000; i++) yield return (float)(rng.NextDouble() * -2);
    }

    [Fact]
    public void Exp_vector_lanes_equal_the_scalar_reference()
    {
        var xs = Arguments().ToArray();
        if (!Vector256.IsHardwareAccelerated && !Vector512.IsHardwareAccelerated) return; // no vector path here: Softmax runs its scalar reference
        for (int i = 0; i + 16 <= xs.Length; i += 16)
        {
            var x = xs.AsSpan(i, 16);
            var v512 = FloatExp.Exp(Vector512.Create<float>(x));
            var v256 = Vector512.Create(FloatExp.Exp(Vector256.Create<float>(x[..8])), FloatExp.Exp(Vector256.Create<float>(x[8..])));
            for (int l = 0; l < 16; l++)
            {
                float s = FloatExp.Exp(x[l]);
                Assert.True(BitConverter.SingleToInt32Bits(s) == BitConverter.SingleToInt32Bits(v512[l]), $"512: exp({x[l]:R}) = {v512[l]:R}, scalar {s:R}");
                Assert.True(BitConverter.SingleToInt32Bits(s) == BitConverter.SingleToInt32Bits(v256[l]), $"256: exp({x[l]:R}) = {v256[l]:R}, scalar {s:R}");
            }
        }
    }

    [Fact]
    public void Exp_is_within_two_ulp_and_handles_the_edges()
    {
        int worst = 0;
        foreach (float x in Arguments())
        {
            if (!(x >= FloatExp.Lowest && x <= FloatExp.Highest)) continue;
            float exact = (float)Math.Exp(x);
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(FloatExp.Exp(x)) - BitConverter.SingleToInt32Bits(exact));
            worst = Math.Max(worst, ulps);
        }
        Assert.InRange(worst, 0, 2);
        Assert.Equal(1f, FloatExp.Exp(0f));
        Assert.Equal(0f, FloatExp.Exp(-86.0001f));
        Assert.Equal(0f, FloatExp.Exp(float.NegativeInfinity));
        Assert.True(float.IsNaN(FloatExp.Exp(float.NaN)));
        Assert.True(float.IsFinite(FloatExp.Exp(float.PositiveInfinity)));
    }

    public static TheoryData<bool> Rounding() => new() { false, true };

    [Theory, MemberData(nameof(Rounding))]
    public void Every_width_equals_the_scalar_reference_at_every_length(bool roundToHalf)
    {
        var rng = new Random(9);
        for (int n = 1; n <= 100; n++)
        {
            var x = new float[n];
            for (int i = 0; i < n; i++) x[i] = (float)(rng.NextDouble() * 40 - 20);
            if (n % 7 == 0) x[rng.Next(n)] = float.NegativeInfinity; // a masked-out position
            var expected = (float[])x.Clone();
            Softmax.Scalar(expected, 0.0883883f, roundToHalf);
            var paths = new List<(string, Action<float[]>)> { ("dispatch", a => Softmax.Apply(a, 0.0883883f, roundToHalf)) };
            if (Vector256.IsHardwareAccelerated) paths.Add(("256", a => Softmax.Apply256(a, 0.0883883f, roundToHalf)));
            if (Vector512.IsHardwareAccelerated) paths.Add(("512", a => Softmax.Apply512(a, 0.0883883f, roundToHalf)));
            foreach (var (name, run) in paths)
            {
                var actual = (float[])x.Clone();
                run(actual);
                for (int i = 0; i < n; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{name} n={n} [{i}]: {actual[i]:R} vs {expected[i]:R}");
            }
        }
    }

    /// <summary>Rows of infinities and NaNs, with the special value in the vector part or in the padded tail.</summary>
    [Fact]
    public void Extreme_rows_equal_the_scalar_reference()
    {
        foreach (int n in new[] { 3, 16, 17, 20, 33 })
            foreach (float special in new[] { float.NegativeInfinity, float.PositiveInfinity, float.NaN })
                foreach (int at in new[] { -1, 0, n - 1 }) // -1: every value
                {
                    var x = Enumerable.Range(0, n).Select(i => at == -1 || i == at ? special : i * 0.37f - 3f).ToArray();
                    var expected = (float[])x.Clone();
                    Softmax.Scalar(expected, 0.5f, false);
                    var paths = new List<(string, Action<float[]>)> { ("dispatch", a => Softmax.Apply(a, 0.5f)) };
                    if (Vector256.IsHardwareAccelerated) paths.Add(("256", a => Softmax.Apply256(a, 0.5f, false)));
                    if (Vector512.IsHardwareAccelerated) paths.Add(("512", a => Softmax.Apply512(a, 0.5f, false)));
                    foreach (var (name, run) in paths)
                    {
                        var actual = (float[])x.Clone();
                        run(actual);
                        for (int i = 0; i < n; i++)
                            Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"{name} n={n} special {special} at {at} [{i}]: {actual[i]:R} vs {expected[i]:R}");
                    }
                }
    }

    /// <summary>
    /// Rows whose largest values are zeros of both signs (the vector maximum may pick the other zero than the scalar
    /// scan: harmless, since e^(±0) is exactly 1), and rows padded with −∞ to a multiple of 16 (as attention pads
    /// them): the first n weights must be the unpadded row's, bit for bit.
    /// </summary>
    [Fact]
    public void Signed_zero_maxima_and_minus_infinity_padding_change_nothing()
    {
        var rng = new Random(9);
        for (int n = 1; n <= 40; n++)
            for (int trial = 0; trial < 4; trial++)
            {
                var x = Enumerable.Range(0, n).Select(_ => rng.Next(3) switch { 0 => 0f, 1 => -0f, _ => -(float)rng.NextDouble() * 5 }).ToArray();
                var expected = (float[])x.Clone();
                Softmax.Scalar(expected, 0.125f, false);
                var actual = (float[])x.Clone();
                Softmax.Apply(actual, 0.125f);
                int padded = (n + 15) & ~15;
                var pad = x.Concat(Enumerable.Repeat(float.NegativeInfinity, padded - n)).ToArray();
                Softmax.Apply(pad, 0.125f);
                for (int i = 0; i < n; i++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]), $"n={n} [{i}]: {actual[i]:R} vs {expected[i]:R}");
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(pad[i]), $"padded n={n} [{i}]: {pad[i]:R} vs {expected[i]:R}");
                }
                for (int i = n; i < padded; i++) Assert.Equal(0f, pad[i]);
            }
    }

    [Fact]
    public void Probabilities_match_a_double_precision_softmax()
    {
        var rng = new Random(3);
        var x = new float[300];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 30 - 15);
        double max = x.Max(v => (double)v * 0.5), sum = x.Sum(v => Math.Exp(v * 0.5 - max));
        var p = (float[])x.Clone();
        Softmax.Apply(p, 0.5f);
        for (int i = 0; i < x.Length; i++)
            Assert.True(Math.Abs(p[i] - Math.Exp(x[i] * 0.5 - max) / sum) <= 1e-6 * Math.Max(1e-3, p[i]) + 1e-12, $"[{i}] {p[i]} vs {Math.Exp(x[i] * 0.5 - max) / sum}");
        Assert.InRange(p.Sum(), 0.99999f, 1.00001f);
    }
}
