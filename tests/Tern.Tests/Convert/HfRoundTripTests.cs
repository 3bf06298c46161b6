using Tern.Conversion;
using Tern.Dummy;
using Tern.Gguf;
using Tern.Inference;
using Tern.Models;
using Tern.Tensors;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Conversion;

/// <summary>
/// `tern dummy --format hf` then `tern convert` against `tern dummy`'s own GGUF of the same spec: packed checkpoints
/// (both weight_scale conventions, single and sharded, each architecture) give bit-identical logits; master-weight
/// checkpoints give the same trits and scales within one float32 ulp (the absmean rule's scale is 1 / (1 / mean) in
/// float32, which cannot equal every F16 scale the dummy draws).
/// </summary>
public class HfRoundTripTests
{
    private static readonly int[] Prompt = [509, 10, 200, 37, 450, 3, 77, 301];

    private static DummyModelSpec Tiny(string arch, GgmlType type = GgmlType.I2_S) =>
        DummyModelSpec.Preset("tiny") with { Architecture = arch, WeightType = type, Seed = 7 };

    private static (string Reference, string Converted) RoundTrip(TempDir dir, DummyModelSpec spec, DummyHfOptions hf)
    {
        string reference = dir.File("reference.gguf"), checkpoint = dir.File("hf"), converted = dir.File("converted.gguf");
        DummyModelWriter.Write(reference, spec);
        DummyHfCheckpointWriter.Write(checkpoint, spec, hf);
        HfConverter.Convert(checkpoint, converted, new HfConvertOptions { WeightType = spec.WeightType, EmbeddingType = spec.EmbeddingType });
        return (reference, converted);
    }

    private static float[] Logits(string path)
    {
        using var model = Model.Load(path);
        using var ev = new Evaluator(model, threads: 1);
        return ev.Decode(new Sequence(model, 64), Prompt, allLogits: true);
    }

    [Theory]
    [InlineData("bitnet-b1.58", "autobitlinear", 1, GgmlType.I2_S)]
    [InlineData("bitnet-b1.58", "bitlinear", 3, GgmlType.I2_S)]
    [InlineData("bitnet-b1.58", "autobitlinear", 2, GgmlType.TQ2_0)]
    [InlineData("bitnet-b1.58", "bitlinear", 1, GgmlType.TQ1_0)]
    [InlineData("bitnet", "autobitlinear", 1, GgmlType.I2_S)]
    [InlineData("llama", "bitlinear", 2, GgmlType.I2_S)]
    public void PackedCheckpointGivesBitIdenticalLogits(string arch, string linearClass, int shards, GgmlType type)
    {
        using var dir = new TempDir();
        var (reference, converted) = RoundTrip(dir, Tiny(arch, type), new DummyHfOptions { LinearClass = linearClass, Shards = shards });
        if (shards > 1) Assert.Equal(shards, Directory.GetFiles(dir.File("hf"), "model-*.safetensors").Length);
        Assert.Equal(Logits(reference), Logits(converted));
    }

    [Fact]
    public void LlamaQkRowsArePermutedBackToTheGgufOrder()
    {
        using var dir = new TempDir();
        var (reference, converted) = RoundTrip(dir, Tiny("llama"), new DummyHfOptions());
        using var a = GgufFile.Open(reference);
        using var b = GgufFile.Open(converted);
        foreach (string name in new[] { "blk.0.attn_q.weight", "blk.3.attn_k.weight", "blk.1.attn_v.weight" })
            Assert.True(a.GetTensorBytes(a.GetTensor(name)).SequenceEqual(b.GetTensorBytes(b.GetTensor(name))), name);
        Assert.Equal("llama", b.Architecture);
    }

    [Theory]
    [InlineData("autobitlinear")]
    [InlineData("bitlinear")]
    public void MasterWeightsTernarizeToTheSameTritsAndScales(string linearClass)
    {
        using var dir = new TempDir();
        var (reference, converted) = RoundTrip(dir, Tiny("bitnet-b1.58"), new DummyHfOptions { Weights = DummyHfWeights.Master, LinearClass = linearClass });
        using var a = GgufFile.Open(reference);
        using var b = GgufFile.Open(converted);
        foreach (var t in a.Tensors.Where(t => t.Type == GgmlType.I2_S))
        {
            var u = b.GetTensor(t.Name);
            var ta = a.GetTensorBytes(t);
            var tb = b.GetTensorBytes(u);
            Assert.True(ta[..(int)(t.ElementCount / 4)].SequenceEqual(tb[..(int)(t.ElementCount / 4)]), $"{t.Name}: trits differ");
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(I2S.ReadScale(ta, t.ElementCount)) - BitConverter.SingleToInt32Bits(I2S.ReadScale(tb, t.ElementCount)));
            Assert.True(ulps <= 1, $"{t.Name}: scales {ulps} ulps apart");
        }
        var la = Logits(reference);
        var lb = Logits(converted);
        for (int i = 0; i < la.Length; i++) Assert.True(Math.Abs(la[i] - lb[i]) < 1e-3f, $"logit {i}: {la[i]} vs {lb[i]}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TokenizerJsonConvertsToTheDummysTokenizer(bool mergesAsPairs)
    {
        using var dir = new TempDir();
        var (reference, converted) = RoundTrip(dir, Tiny("bitnet-b1.58"), new DummyHfOptions { MergesAsPairs = mergesAsPairs });
        using var a = GgufFile.Open(reference);
        using var b = GgufFile.Open(converted);
        var ta = TokenizerData.FromGguf(a);
        var tb = TokenizerData.FromGguf(b);
        Assert.Equal(ta.Tokens, tb.Tokens);
        Assert.Equal(ta.Merges, tb.Merges);
        Assert.Equal(ta.TokenTypes, tb.TokenTypes);
        Assert.Equal((ta.BosId, ta.EosId, ta.EotId, ta.AddBos), (tb.BosId, tb.EosId, tb.EotId, tb.AddBos));
        Assert.Equal(ta.Pre, tb.Pre);
        Assert.Equal(DummyHfTokenizerFiles.ChatTemplate, b.GetString(TokenizerGgufKeys.ChatTemplate));
        var text = "Once upon a time, the little girl said: <|eot_id|> 123";
        Assert.Equal(Tokenizer.FromGguf(a).Encode(text, addBos: true, parseSpecial: true), Tokenizer.FromGguf(b).Encode(text, addBos: true, parseSpecial: true));
    }

    [Fact]
    public void CliDummyHfThenConvertGivesTheDummysLogits()
    {
        using var dir = new TempDir();
        string hf = dir.File("hf"), converted = dir.File("converted.gguf"), reference = dir.File("reference.gguf");
        Assert.Equal(0, Cli.CliRunner.Run("dummy", "--format", "hf", "-o", hf, "--shards", "2", "--linear-class", "bitlinear", "--seed", "5").ExitCode);
        Assert.True(File.Exists(Path.Combine(hf, Tern.Safetensors.SafetensorsCheckpoint.IndexFileName)));
        Assert.Equal(0, Cli.CliRunner.Run("dummy", "-o", reference, "--seed", "5").ExitCode);
        var r = Cli.CliRunner.Run("convert", hf, "-o", converted);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("wrote", r.Err);
        Assert.Equal(Logits(reference), Logits(converted));
        Assert.Equal(1, Cli.CliRunner.Run("dummy", "--format", "hf", "-o", hf).ExitCode); // not empty, no --force
    }

    /// <summary>Each embedding type holds the dummy's F16 values as that type rounds them (F32 exactly, so the same logits).</summary>
    [Theory]
    [InlineData(GgmlType.BF16)]
    [InlineData(GgmlType.Q8_0)]
    [InlineData(GgmlType.F32)]
    public void EmbeddingTypesHoldTheValuesRoundedToThatType(GgmlType embedding)
    {
        using var dir = new TempDir();
        var spec = Tiny("bitnet-b1.58");
        string reference = dir.File("reference.gguf"), checkpoint = dir.File("hf"), converted = dir.File("converted.gguf");
        DummyModelWriter.Write(reference, spec);
        DummyHfCheckpointWriter.Write(checkpoint, spec);
        HfConverter.Convert(checkpoint, converted, new HfConvertOptions { EmbeddingType = embedding });
        using (var a = GgufFile.Open(reference))
        using (var b = GgufFile.Open(converted))
        {
            var ta = a.GetTensor("token_embd.weight");
            var tb = b.GetTensor("token_embd.weight");
            Assert.Equal(embedding, tb.Type);
            var values = new float[ta.ElementCount];
            Dequantizer.DequantizeRow(ta.Type, a.GetTensorBytes(ta), values);
            var want = new byte[tb.ByteSize];
            if (embedding == GgmlType.Q8_0)
                for (int r = 0; r < spec.VocabSize; r++)
                    Q8_0.QuantizeRow(values.AsSpan(r * spec.Dim, spec.Dim), want.AsSpan(r * spec.Dim / 32 * Q8_0.BlockBytes, spec.Dim / 32 * Q8_0.BlockBytes));
            else if (embedding == GgmlType.BF16)
                for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(want.AsSpan(2 * i), HalfConversion.F32ToBF16(values[i]));
            else
                for (int i = 0; i < values.Length; i++) BitConverter.TryWriteBytes(want.AsSpan(4 * i), values[i]);
            Assert.True(b.GetTensorBytes(tb).SequenceEqual(want));
        }
        if (embedding == GgmlType.F32) Assert.Equal(Logits(reference), Logits(converted));
    }
}
