using Tern.Inference;
using Tern.Models;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Oracle;

/// <summary>
/// tiny-f32.gguf (the 2B-4T graph with F32 projections, so no int8 activations) against bitnet.cpp's own logits
/// (../shared/oracle/bitnet-cpp/run_f32model_*): within 1e-2 at every position, identical greedy ids.
/// </summary>
public class BitnetCppF32ModelTests
{
    [SharedTheory]
    [InlineData("seqA")]
    [InlineData("seqB")]
    [InlineData("seqC")]
    public void PromptLogitsMatchBitnetCpp(string seq)
    {
        using var model = Model.Load(OracleFiles.BitnetCpp("tiny-f32.gguf"));
        using var ev = new Evaluator(model, threads: 2);
        var ids = OracleFiles.ReadIds(OracleFiles.BitnetCpp($"{seq}.ids.txt"));
        var logits = ev.Decode(new Sequence(model, 128), ids, allLogits: true);
        foreach (var run in new[] { "run_f32model_batch_t1", "run_f32model_seq_t1" })
        {
            var expected = OracleFiles.ReadFloats(OracleFiles.BitnetCpp(run, $"tiny_{seq}.prompt_logits.f32"));
            Assert.Equal(expected.Length, logits.Length);
            float maxDiff = 0;
            for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - logits[i]));
            Assert.True(maxDiff < 1e-2f, $"{run}: max |diff| = {maxDiff}");
        }
    }
}
