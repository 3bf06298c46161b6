using Tern.Tensors;

namespace Tern.Tests.Tensors;

public class TernarizerTests
{
    [Fact]
    public void Ternarize_HandChecked_WithTiesToEven()
    {
        // mean|W| = 10 / 10 = 1, so W · (1/s) = W: 0.5 and −0.5 tie and go to 0 (even), ±1.5 → ±2 → clamped to ±1.
        float[] w = [4f, 0.5f, -0.5f, 1.5f, -1.5f, 0.25f, -0.75f, 1f, 0f, 0f];
        var t = new sbyte[w.Length];
        float s = Ternarizer.Ternarize(w, t);
        Assert.Equal(1f, s);
        Assert.Equal(new sbyte[] { 1, 0, 0, 1, -1, 0, -1, 1, 0, 0 }, t);
    }

    [Fact]
    public void Ternarize_ScaleIsTheMeanAbsoluteValue()
    {
        float[] w = [0.3f, -0.1f, 0.05f, -0.35f];
        var t = new sbyte[4];
        float s = Ternarizer.Ternarize(w, t);
        Assert.Equal(0.2f, s, 1e-7f);                     // (0.3 + 0.1 + 0.05 + 0.35) / 4
        Assert.Equal(new sbyte[] { 1, 0, 0, -1 }, t);      // 1.5 → 1, ≈ −0.5 → 0, 0.25 → 0, −1.75 → −1
    }

    [Fact]
    public void Ternarize_AllZero_UsesTheMinimumScale()
    {
        var t = new sbyte[16];
        float s = Ternarizer.Ternarize(new float[16], t);
        Assert.Equal(Ternarizer.MinScale, s, 1e-12f);
        Assert.All(t, x => Assert.Equal(0, x));
    }

    [Fact]
    public void Ternarize_MatchesTheConvertersFormula_OnRandomWeights()
    {
        // Microsoft's converter: s⁻¹ = 1 / max(mean|W|, 1e-5); value = clamp(round(W · s⁻¹), −1, 1) / s⁻¹ (float32).
        var rng = new Random(17);
        var w = Enumerable.Range(0, 4096).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.04f).ToArray();
        var t = new sbyte[w.Length];
        float s = Ternarizer.Ternarize(w, t);

        float mean = (float)(w.Sum(v => (double)Math.Abs(v)) / w.Length);
        float inverse = 1f / Math.Max(mean, 1e-5f);
        Assert.Equal(1f / inverse, s);
        Assert.True(Math.Abs(s - mean) <= MathF.BitIncrement(mean) - mean, "s is mean|W| to within one ulp");
        for (int i = 0; i < w.Length; i++)
        {
            float converterValue = Math.Clamp(MathF.Round(w[i] * inverse), -1f, 1f) / inverse;
            Assert.Equal(converterValue == 0 ? 0f : converterValue, t[i] * s); // −0 and +0 are the same weight
        }
        Assert.Contains((sbyte)-1, t);
        Assert.Contains((sbyte)0, t);
        Assert.Contains((sbyte)1, t);
    }

    [Fact]
    public void Ternarize_ThenI2S_StoresTheConvertersValues()
    {
        var rng = new Random(23);
        var w = Enumerable.Range(0, 512).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var t = new sbyte[512];
        float s = Ternarizer.Ternarize(w, t);
        var bytes = new byte[I2S.ByteSize(512)];
        I2S.Encode(t, s, bytes);
        var back = new sbyte[512];
        I2S.DecodeTrits(bytes, 0, back);
        Assert.Equal(t, back);
        Assert.Equal(s, I2S.ReadScale(bytes, 512));

        // bitnet.cpp's own path — quantize the ternarized float weights — gives the same bytes.
        var viaFloats = new byte[bytes.Length];
        I2S.Quantize(t.Select(x => x * s).ToArray(), viaFloats);
        Assert.Equal(bytes, viaFloats);
    }

    [Fact]
    public void HostileArguments_AreRejected()
    {
        Assert.Throws<ArgumentException>(() => Ternarizer.Ternarize(new float[4], new sbyte[3]));
        Assert.Throws<ArgumentException>(() => Ternarizer.Ternarize([], []));
        Assert.Throws<ArgumentException>(() => Ternarizer.Ternarize([1f, float.NaN], new sbyte[2]));
    }
}
