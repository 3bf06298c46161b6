using Tern.Inference;
using Tern.Models;
using Tern.Sampling;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Oracle;

/// <summary>
/// tiny-i2_s.gguf against bitnet.cpp's one-token-at-a-time run (../shared/oracle/bitnet-cpp/run_seq_t1).
/// Tern's default float32 KV cache must stay within 0.3 of it at every position. With the F16 cache numerics
/// bitnet.cpp uses (KvCacheType.F16) Tern must land much closer and reproduce every greedy continuation.
/// </summary>
public class BitnetCppI2SModelTests
{
    private static float MaxDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        Assert.Equal(a.Length, b.Length);
        float m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    [SharedTheory]
    [InlineData("seqA", KvCacheType.F32, 0.3f)]
    [InlineData("seqB", KvCacheType.F32, 0.3f)]
    [InlineData("seqC", KvCacheType.F32, 0.3f)]
    [InlineData("seqA", KvCacheType.F16, 0.05f)]
    [InlineData("seqB", KvCacheType.F16, 0.05f)]
    [InlineData("seqC", KvCacheType.F16, 0.05f)]
    public void PromptLogitsWithinTolerance(string seq, KvCacheType cache, float tolerance)
    {
        using var model = Model.Load(OracleFiles.BitnetCpp("tiny-i2_s.gguf"));
        using var ev = new Evaluator(model, threads: 2);
        var ids = OracleFiles.ReadIds(OracleFiles.BitnetCpp($"{seq}.ids.txt"));
        var logits = ev.Decode(new Sequence(model, 128, cache), ids, allLogits: true);
        var expected = OracleFiles.ReadFloats(OracleFiles.BitnetCpp("run_seq_t1", $"tiny_{seq}.prompt_logits.f32"));
        float d = MaxDiff(logits, expected);
        Assert.True(d < tolerance, $"max |diff| = {d}");
    }

    [SharedTheory]
    // Tern's float32 numerics: seqA and seqB start alike. seqC's first step is a near-tie (bitnet.cpp's own batched
    // path picks 502, its one-token path 0, Tern's float32 path 502), and seqA splits at step 23 on a 0.019 margin.
    [InlineData("seqA", KvCacheType.F32, 1)]
    [InlineData("seqB", KvCacheType.F32, 1)]
    [InlineData("seqA", KvCacheType.F16, 32)]  // with bitnet.cpp's cache numerics, every continuation is identical
    [InlineData("seqB", KvCacheType.F16, 32)]
    [InlineData("seqC", KvCacheType.F16, 32)]
    public void GreedyContinuationMatches(string seq, KvCacheType cache, int count)
    {
        using var model = Model.Load(OracleFiles.BitnetCpp("tiny-i2_s.gguf"));
        using var ev = new Evaluator(model, threads: 2);
        var ids = OracleFiles.ReadIds(OracleFiles.BitnetCpp($"{seq}.ids.txt"));
        var expected = OracleFiles.ReadIds(OracleFiles.BitnetCpp("run_seq_t1", $"tiny_{seq}.greedy.txt"))[..count];
        var sequence = new Sequence(model, 128, cache);
        var logits = ev.Decode(sequence, ids);
        var got = new List<int>();
        for (int i = 0; i < count; i++)
        {
            int next = Sampler.Argmax(logits);
            got.Add(next);
            logits = ev.Decode(sequence, [next]);
        }
        Assert.Equal(expected, got);
    }
}
