using System.Text.Json;
using Tern.Conversion;
using Tern.Gguf;
using Tern.Inference;
using Tern.Models;
using Tern.Tensors;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Conversion;

/// <summary>
/// ../shared/oracle/hf-bitnet/tiny-2b4t-packed (a checkpoint in microsoft/bitnet-b1.58-2B-4T's packed layout holding
/// the ternary weights of bitnet.cpp's tiny oracle model) against bitnet.cpp's own files: the same codes as
/// tiny-i2_s.gguf, the scales of expected_scales.json exactly, and logits close to bitnet.cpp's.
/// </summary>
public class HfOracleConversionTests
{
    private static string Checkpoint => SharedData.PathOf("oracle", "hf-bitnet", "tiny-2b4t-packed");

    private static string Convert(TempDir dir, GgmlType type, GgmlType embedding = GgmlType.F16)
    {
        string path = dir.File($"tiny-{type}.gguf");
        HfConverter.Convert(Checkpoint, path, new HfConvertOptions { WeightType = type, EmbeddingType = embedding });
        return path;
    }

    [SharedFact]
    public void ProjectionsHaveBitnetCppCodesAndExactlyTheExpectedScales()
    {
        using var dir = new TempDir();
        using var ours = GgufFile.Open(Convert(dir, GgmlType.I2_S));
        using var theirs = GgufFile.Open(OracleFiles.BitnetCpp("tiny-i2_s.gguf"));
        using var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(Checkpoint, "expected_scales.json")));
        int checkedTensors = 0;
        foreach (var e in expected.RootElement.EnumerateObject())
        {
            string gguf = GgufName(e.Name);
            var a = ours.GetTensor(gguf);
            var b = theirs.GetTensor(gguf);
            Assert.Equal(GgmlType.I2_S, a.Type);
            Assert.Equal(b.Dims, a.Dims);
            var ta = new sbyte[a.ElementCount];
            var tb = new sbyte[b.ElementCount];
            I2S.DecodeTrits(ours.GetTensorBytes(a), 0, ta);
            I2S.DecodeTrits(theirs.GetTensorBytes(b), 0, tb);
            Assert.True(ta.AsSpan().SequenceEqual(tb), $"{gguf}: ternary codes differ from bitnet.cpp's");
            float want = e.Value.GetProperty("W_abs_value").GetSingle();
            Assert.Equal(want, I2S.ReadScale(ours.GetTensorBytes(a), a.ElementCount));
            checkedTensors++;
        }
        Assert.Equal(4 * 7, checkedTensors);
    }

    [SharedFact]
    public void NormsAndEmbeddingAreTheBf16ValuesWidened()
    {
        using var dir = new TempDir();
        using var ours = GgufFile.Open(Convert(dir, GgmlType.I2_S, GgmlType.F32));
        using var ckpt = Tern.Safetensors.SafetensorsCheckpoint.Open(Checkpoint);
        foreach (var (hf, gguf) in new[] { ("model.embed_tokens.weight", "token_embd.weight"), ("model.norm.weight", "output_norm.weight"), ("model.layers.2.mlp.ffn_sub_norm.weight", "blk.2.ffn_sub_norm.weight") })
        {
            var t = ckpt.Find(hf)!;
            Assert.Equal(Tern.Safetensors.SafetensorsDtype.BF16, t.Dtype);
            using var view = ckpt.Map(t);
            var want = new float[t.ElementCount];
            HalfConversion.BF16ToF32(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(view.Bytes), want);
            var got = new float[t.ElementCount];
            var g = ours.GetTensor(gguf);
            Assert.Equal(GgmlType.F32, g.Type);
            Dequantizer.DequantizeRow(g.Type, ours.GetTensorBytes(g), got);
            Assert.Equal(want, got);
        }
    }

    [SharedFact]
    public void TokenizerIsBitnetCppsVocabularyWithTheConfigsSpecialTokens()
    {
        using var dir = new TempDir();
        using var ours = GgufFile.Open(Convert(dir, GgmlType.I2_S));
        using var theirs = GgufFile.Open(OracleFiles.BitnetCpp("tiny-i2_s.gguf"));
        var a = TokenizerData.FromGguf(ours);
        var b = TokenizerData.FromGguf(theirs);
        Assert.Equal("gpt2", a.Model);
        Assert.Equal("llama-bpe", a.Pre);
        Assert.Equal(b.Tokens, a.Tokens);
        Assert.Equal(b.Merges, a.Merges);
        Assert.Equal((496, 497), (a.BosId, a.EosId));
        Assert.True(a.AddBos);
    }

    /// <summary>
    /// The I2_S conversion is held to the core I2_S oracle test's bound against bitnet.cpp's one-token run (0.3; the
    /// gap is bitnet.cpp's F16 attention rounding and int8 activations). The F32 conversion against bitnet.cpp's F32
    /// model: the core F32 test holds identical weights to 1e-2, but these scales are the checkpoint's BF16 weight_scale
    /// (up to 0.4 % from tiny-f32.gguf's float32 mean|W|, see the oracle's README), which moved the logits by up to 0.020
    /// when measured (seqC); the bound here is 3e-2.
    /// </summary>
    [SharedTheory]
    [InlineData("seqA")]
    [InlineData("seqB")]
    [InlineData("seqC")]
    public void LogitsAgreeWithBitnetCpp(string seq)
    {
        using var dir = new TempDir();
        var ids = OracleFiles.ReadIds(OracleFiles.BitnetCpp($"{seq}.ids.txt"));
        foreach (var (type, run, bound) in new[] { (GgmlType.F32, "run_f32model_batch_t1", 3e-2f), (GgmlType.I2_S, "run_seq_t1", 0.3f) })
        {
            using var model = Model.Load(Convert(dir, type));
            using var ev = new Evaluator(model, threads: 2);
            var logits = ev.Decode(new Sequence(model, 128), ids, allLogits: true);
            var expected = OracleFiles.ReadFloats(OracleFiles.BitnetCpp(run, $"tiny_{seq}.prompt_logits.f32"));
            Assert.Equal(expected.Length, logits.Length);
            float maxDiff = 0;
            for (int i = 0; i < expected.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(expected[i] - logits[i]));
            Assert.True(maxDiff < bound, $"{type} vs {run}: max |diff| = {maxDiff}");
        }
    }

    private static string GgufName(string hf)
    {
        // model.layers.N.self_attn.q_proj.weight → blk.N.attn_q.weight
        var parts = hf.Split('.');
        string proj = parts[4] switch
        {
            "q_proj" => "attn_q", "k_proj" => "attn_k", "v_proj" => "attn_v", "o_proj" => "attn_output",
            "gate_proj" => "ffn_gate", "up_proj" => "ffn_up", "down_proj" => "ffn_down",
            var p => throw new ArgumentException(p),
        };
        return $"blk.{parts[2]}.{proj}.weight";
    }
}
