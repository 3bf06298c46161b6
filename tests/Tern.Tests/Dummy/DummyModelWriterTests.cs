using Tern.Dummy;
using Tern.Gguf;
using Tern.Inference;
using Tern.Models;
using Tern.Tensors;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Dummy;

public class DummyModelWriterTests
{
    private static readonly DummyModelSpec Tiny = DummyModelSpec.Preset("tiny");

    // BOS of the tiny byte-level vocabulary (vocab − 3), then a few bytes and merged tokens.
    private static int[] Prompt(int vocab) => [vocab - 3, 72, 105, 259, 32, 258, 7];

    private static float[] Logits(string path, int[] tokens)
    {
        using var model = Model.Load(path);
        using var ev = new Evaluator(model, threads: 2);
        return ev.Decode(new Sequence(model, 64), tokens, allLogits: true);
    }

    private static void AssertUsable(float[] logits, int vocab)
    {
        Assert.All(logits, v => Assert.True(float.IsFinite(v), $"non-finite logit {v}"));
        for (int t = 0; t < logits.Length / vocab; t++)
        {
            var row = logits.AsSpan(t * vocab, vocab);
            float min = float.MaxValue, max = float.MinValue;
            foreach (float v in row) { min = Math.Min(min, v); max = Math.Max(max, v); }
            Assert.True(max - min > 1f, $"token {t}: logits span only {max - min}");
        }
    }

    [Fact]
    public void TinyPresetGivesBitIdenticalLogitsInEveryWeightType()
    {
        using var dir = new TempDir();
        var results = new Dictionary<GgmlType, float[]>();
        foreach (var type in new[] { GgmlType.I2_S, GgmlType.TQ2_0, GgmlType.TQ1_0 })
        {
            string path = dir.File($"tiny-{type}.gguf");
            DummyModelWriter.Write(path, Tiny with { WeightType = type });
            results[type] = Logits(path, Prompt(Tiny.VocabSize));
        }
        var reference = results[GgmlType.I2_S];
        Assert.Equal(Prompt(Tiny.VocabSize).Length * Tiny.VocabSize, reference.Length);
        AssertUsable(reference, Tiny.VocabSize);
        foreach (var (type, logits) in results)
            Assert.True(reference.AsSpan().SequenceEqual(logits), $"{type} logits differ from I2_S");
        // Different tokens, different predictions: the model is not degenerate.
        var argmaxes = Enumerable.Range(0, Prompt(Tiny.VocabSize).Length)
            .Select(t => Tern.Sampling.Sampler.Argmax(reference.AsSpan(t * Tiny.VocabSize, Tiny.VocabSize))).Distinct().Count();
        Assert.True(argmaxes > 1, "every position predicts the same token");
    }

    [Theory]
    [InlineData("bitnet-b1.58", GgmlType.I2_S)]
    [InlineData("bitnet-25", GgmlType.TQ2_0)]
    [InlineData("bitnet", GgmlType.I2_S)]
    [InlineData("bitnet", GgmlType.TQ1_0)]
    [InlineData("llama", GgmlType.I2_S)]
    [InlineData("llama", GgmlType.TQ2_0)]
    [InlineData("bitllama2c", GgmlType.I2_S)]
    public void EveryArchitectureLoadsAndRuns(string arch, GgmlType type)
    {
        using var dir = new TempDir();
        string path = dir.File("m.gguf");
        var spec = Tiny with { Architecture = arch, WeightType = type, Layers = 2, VocabSize = 300, EmbeddingType = GgmlType.F32 };
        DummyModelWriter.Write(path, spec);
        using (var f = GgufFile.Open(path))
        {
            bool subNorms = arch is "bitnet-b1.58" or "bitnet-25" or "bitnet";
            Assert.Equal(subNorms, f.FindTensor("blk.1.attn_sub_norm.weight") is not null);
            Assert.Equal(subNorms, f.FindTensor("blk.1.ffn_sub_norm.weight") is not null);
            Assert.Equal(arch != "bitllama2c", f.FindTensor("blk.1.attn_norm.weight") is not null);
            Assert.Equal(2 + 2 * (7 + (arch == "bitllama2c" ? 0 : 2) + (subNorms ? 2 : 0)), f.Tensors.Count);
        }
        AssertUsable(Logits(path, Prompt(spec.VocabSize)), spec.VocabSize);
    }

    [Fact]
    public void ActivationsStayFiniteThroughManyLayers()
    {
        using var dir = new TempDir();
        string path = dir.File("deep.gguf");
        var spec = Tiny with { Layers = 40, Dim = 128, Heads = 2, KvHeads = 1, FfnDim = 384, VocabSize = 260 };
        DummyModelWriter.Write(path, spec);
        AssertUsable(Logits(path, Prompt(spec.VocabSize)), spec.VocabSize);
    }

    [Fact]
    public void TheSameSeedGivesTheSameBytesAndAnotherSeedDiffers()
    {
        using var dir = new TempDir();
        var small = Tiny with { Layers = 1 };
        DummyModelWriter.Write(dir.File("a.gguf"), small);
        DummyModelWriter.Write(dir.File("b.gguf"), small);
        DummyModelWriter.Write(dir.File("c.gguf"), small with { Seed = 43 });
        var a = File.ReadAllBytes(dir.File("a.gguf"));
        Assert.Equal(a, File.ReadAllBytes(dir.File("b.gguf")));
        var c = File.ReadAllBytes(dir.File("c.gguf"));
        Assert.NotEqual(a, c);

        // Every weight tensor changes with the seed (only the seed text in the metadata would otherwise differ).
        using var fa = GgufFile.Open(dir.File("a.gguf"));
        using var fc = GgufFile.Open(dir.File("c.gguf"));
        foreach (var t in fa.Tensors)
            Assert.False(fa.GetTensorBytes(t).SequenceEqual(fc.GetTensorBytes(fc.GetTensor(t.Name))), $"{t.Name} did not change with the seed");
    }

    [Fact]
    public void TheFileHasTheExpectedMetadata()
    {
        using var dir = new TempDir();
        string path = dir.File("m.gguf");
        var spec = Tiny with { ContextLength = 1024, RopeTheta = 10000, WeightType = GgmlType.TQ2_0 };
        DummyModelWriter.Write(path, spec);
        using var f = GgufFile.Open(path);
        Assert.Equal("bitnet-b1.58", f.Architecture);
        Assert.Equal("tern-dummy-bitnet-b1.58-256x4", f.GetString("general.name"));
        Assert.Equal(37L, f.GetInteger("general.file_type"));
        Assert.Equal(1024, f.GetInt32("bitnet-b1.58.context_length"));
        Assert.Equal(256, f.GetInt32("bitnet-b1.58.embedding_length"));
        Assert.Equal(4, f.GetInt32("bitnet-b1.58.block_count"));
        Assert.Equal(512, f.GetInt32("bitnet-b1.58.feed_forward_length"));
        Assert.Equal(4, f.GetInt32("bitnet-b1.58.attention.head_count"));
        Assert.Equal(2, f.GetInt32("bitnet-b1.58.attention.head_count_kv"));
        Assert.Equal(1e-5f, f.GetFloat("bitnet-b1.58.attention.layer_norm_rms_epsilon"));
        Assert.Equal(10000f, f.GetFloat("bitnet-b1.58.rope.freq_base"));
        Assert.Equal(64, f.GetInt32("bitnet-b1.58.rope.dimension_count"));
        Assert.Equal(512, f.GetInt32("bitnet-b1.58.vocab_size"));
        Assert.Equal("gpt2", f.GetString(TokenizerGgufKeys.Model));
        Assert.Equal(512, f.GetArray<string>(TokenizerGgufKeys.Tokens)!.Length);
        Assert.Equal(509L, f.GetInteger(TokenizerGgufKeys.BosId));

        var config = ModelConfig.FromGguf(f);
        Assert.Equal(ArchitectureKind.BitNetB158, config.Kind);
        Assert.Equal((256, 4, 4, 2, 64, 512, 512, 1024), (config.Dim, config.Layers, config.Heads, config.KvHeads, config.HeadDim, config.FfnDim, config.VocabSize, config.ContextLength));

        Assert.Equal([256L, 512L], f.GetTensor("token_embd.weight").Dims);
        Assert.Equal(GgmlType.F16, f.GetTensor("token_embd.weight").Type);
        Assert.Equal([256L, 128L], f.GetTensor("blk.0.attn_k.weight").Dims);
        Assert.Equal([512L, 256L], f.GetTensor("blk.3.ffn_down.weight").Dims);
        Assert.Equal([512L], f.GetTensor("blk.3.ffn_sub_norm.weight").Dims);
        Assert.Equal(GgmlType.TQ2_0, f.GetTensor("blk.3.ffn_down.weight").Type);
        Assert.Equal(GgmlType.F32, f.GetTensor("output_norm.weight").Type);
        Assert.Null(f.FindTensor("output.weight")); // tied

        var tokenizer = Tokenizer.FromGguf(f);
        Assert.Equal("Once upon a time", tokenizer.Decode(tokenizer.Encode("Once upon a time")));
    }

    [Theory]
    [InlineData(GgmlType.I2_S)]
    [InlineData(GgmlType.TQ2_0)]
    [InlineData(GgmlType.TQ1_0)]
    public void StoredTritsAndScaleFollowTheDefinition(GgmlType type)
    {
        using var dir = new TempDir();
        string path = dir.File("m.gguf");
        DummyModelWriter.Write(path, Tiny with { Layers = 1, WeightType = type });
        using var f = GgufFile.Open(path);
        foreach (string name in new[] { "blk.0.attn_q.weight", "blk.0.attn_k.weight", "blk.0.ffn_down.weight" })
        {
            var info = f.GetTensor(name);
            var expected = new RandomTernaryTensor(Tiny.Seed, name, (int)info.Rows, (int)info.Columns);
            Assert.Equal(expected.Scale, HalfConversion.F16ToF32(HalfConversion.F32ToF16(expected.Scale)));
            Assert.InRange(expected.Scale, 0.5f * MathF.Sqrt(1.5f / info.Columns), 1.5f * MathF.Sqrt(1.5f / info.Columns));
            Assert.True(TernaryRowSource.TryGetUniformScale(f, info, out float scale));
            Assert.Equal(expected.Scale, scale);
            var source = new TernaryRowSource(f, info);
            var row = new sbyte[info.Columns];
            var counts = new int[3];
            for (int r = 0; r < info.Rows; r++)
            {
                source.DecodeRow(r, row);
                Assert.Equal(expected.RowTrits(r), row);
                foreach (sbyte t in row) counts[t + 1]++;
            }
            // Uniform trits: each value about a third of the time.
            foreach (int c in counts) Assert.InRange(c / (double)info.ElementCount, 0.30, 0.37);
        }
    }

    [Theory]
    [InlineData(GgmlType.I2_S)]
    [InlineData(GgmlType.TQ2_0)]
    [InlineData(GgmlType.TQ1_0)]
    public void ChunkSizeDoesNotChangeTheBytes(GgmlType type)
    {
        var t = new RandomTernaryTensor(7, "blk.0.ffn_up.weight", 37, 512);
        var whole = new MemoryStream();
        t.WriteTo(whole, type, chunkBytes: 1 << 20);
        var rowByRow = new MemoryStream();
        long reported = 0;
        t.WriteTo(rowByRow, type, chunkBytes: 1, written: n => reported += n);
        Assert.Equal(t.ByteSize(type), whole.Length);
        Assert.Equal(whole.ToArray(), rowByRow.ToArray());
        Assert.Equal(whole.Length, reported);
    }

    [Fact]
    public void EmbeddingTypesHoldTheSameGridValues()
    {
        using var dir = new TempDir();
        var small = Tiny with { Layers = 1 };
        DummyModelWriter.Write(dir.File("f16.gguf"), small);
        DummyModelWriter.Write(dir.File("f32.gguf"), small with { EmbeddingType = GgmlType.F32 });
        using var f16 = GgufFile.Open(dir.File("f16.gguf"));
        using var f32 = GgufFile.Open(dir.File("f32.gguf"));
        var a = new float[256 * 512];
        var b = new float[256 * 512];
        Dequantizer.DequantizeRow(GgmlType.F16, f16.GetTensorBytes(f16.GetTensor("token_embd.weight")), a);
        Dequantizer.DequantizeRow(GgmlType.F32, f32.GetTensorBytes(f32.GetTensor("token_embd.weight")), b);
        Assert.Equal(a, b);
        float amplitude = DummyModelWriter.EmbeddingAmplitude(256);
        Assert.Equal(0.5f, amplitude);
        Assert.All(a, v => Assert.InRange(v, -amplitude, amplitude));
        Assert.True(a.Distinct().Count() > 1500, "the embedding should use most of its 2048-value grid");
    }

    [Fact]
    public void ProgressRisesToOne()
    {
        using var dir = new TempDir();
        var reports = new List<double>();
        DummyModelWriter.Write(dir.File("m.gguf"), Tiny, new SynchronousProgress(reports.Add));
        Assert.True(reports.Count > 10);
        Assert.Equal(1.0, reports[^1]);
        for (int i = 1; i < reports.Count; i++) Assert.True(reports[i] >= reports[i - 1]);
    }

    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }

    // ---- presets and validation ----

    [Theory]
    [InlineData("tiny", 256, 4, 4, 2, 512, 512, "bitnet-b1.58")]
    [InlineData("large", 1536, 24, 16, 16, 4096, 32002, "bitnet")]
    [InlineData("2b4t", 2560, 30, 20, 5, 6912, 128256, "bitnet-b1.58")]
    [InlineData("3B", 3200, 26, 32, 32, 8704, 32002, "bitnet")]
    [InlineData("8b", 4096, 32, 32, 8, 14336, 128256, "llama")]
    public void PresetsHaveTheirModelsShapes(string name, int dim, int layers, int heads, int kvHeads, int ffn, int vocab, string arch)
    {
        var s = DummyModelSpec.Preset(name);
        Assert.Equal((dim, layers, heads, kvHeads, ffn, vocab, arch), (s.Dim, s.Layers, s.Heads, s.KvHeads, s.FfnDim, s.VocabSize, s.Architecture));
        s.Validate();
        if (name != "3B") (s with { WeightType = GgmlType.TQ1_0 }).Validate();
    }

    [Fact]
    public void UnknownPresetListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => DummyModelSpec.Preset("70b"));
        Assert.Contains("'70b'", e.Message);
        foreach (string n in DummyModelSpec.PresetNames) Assert.Contains(n, e.Message);
    }

    public static TheoryData<DummyModelSpec, string> InvalidSpecs => new()
    {
        { Tiny with { Dim = 384, Heads = 5 }, "not a multiple of Heads" },
        { Tiny with { Heads = 4, KvHeads = 3 }, "not a multiple of KvHeads" },
        { Tiny with { KvHeads = 8 }, "KvHeads = 8 is outside 1..4" },
        { Tiny with { Dim = 384, Heads = 128, KvHeads = 128 }, "head dimension Dim / Heads = 3 is odd" },
        { Tiny with { Dim = 320, Heads = 5, KvHeads = 5 }, "Dim 320 is not a multiple of 128" },
        { Tiny with { FfnDim = 8640 }, "FfnDim 8640 is not a multiple of 128" },
        { Tiny with { Dim = 384, Heads = 6, KvHeads = 6, WeightType = GgmlType.TQ2_0 }, "Dim 384 is not a multiple of 256: TQ2_0 rows are whole blocks of 256 values (I2_S would fit)" },
        { Tiny with { FfnDim = 640, WeightType = GgmlType.TQ1_0 }, "FfnDim 640 is not a multiple of 256" },
        { Tiny with { VocabSize = 259 }, "VocabSize = 259 is outside 260.." },
        { Tiny with { Layers = 0 }, "Layers = 0" },
        { Tiny with { Dim = -256 }, "Dim = -256" },
        { Tiny with { ContextLength = 0 }, "ContextLength = 0" },
        { Tiny with { RopeTheta = float.NaN }, "RopeTheta" },
        { Tiny with { Architecture = "gpt2" }, "architecture 'gpt2'" },
        { Tiny with { WeightType = GgmlType.Q8_0 }, "weight type Q8_0" },
        { Tiny with { EmbeddingType = GgmlType.I2_S }, "embedding type I2_S" },
        { DummyModelSpec.Preset("3b") with { WeightType = GgmlType.TQ2_0 }, "Dim 3200 is not a multiple of 256" },
    };

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public void ValidateNamesTheProblem(DummyModelSpec spec, string message)
    {
        var e = Assert.Throws<ArgumentException>(spec.Validate);
        Assert.Contains(message, e.Message);
        using var dir = new TempDir();
        Assert.Throws<ArgumentException>(() => DummyModelWriter.Write(dir.File("m.gguf"), spec));
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
