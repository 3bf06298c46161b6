using System.Text.Json.Nodes;
using Tern.Conversion;
using Tern.Dummy;
using Tern.Gguf;
using Tern.Inference;
using Tern.Models;
using Tern.Safetensors;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Conversion;

/// <summary>
/// What differs between the three architectures beyond the round trip: 1bitLLM's untied lm_head and SentencePiece
/// vocabulary padded to the config's size, and llama3 RoPE scaling stored as rope_freqs.
/// </summary>
public class HfArchitectureTests
{
    private static string Checkpoint(TempDir dir, DummyModelSpec spec, string name = "hf")
    {
        string path = dir.File(name);
        DummyHfCheckpointWriter.Write(path, spec);
        return path;
    }

    private static void EditConfig(string checkpoint, Action<JsonObject> edit)
    {
        string path = Path.Combine(checkpoint, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    [Fact]
    public void UntiedLmHeadBecomesOutputWeight()
    {
        using var dir = new TempDir();
        var spec = DummyModelSpec.Preset("tiny") with { Architecture = "bitnet" };
        string ckpt = Checkpoint(dir, spec), reference = dir.File("ref.gguf"), converted = dir.File("out.gguf");
        DummyModelWriter.Write(reference, spec);
        // lm_head = a copy of the embedding: the untied model computes exactly what the tied one does.
        string file = Path.Combine(ckpt, SafetensorsCheckpoint.SingleFileName);
        var w = new SafetensorsWriter();
        using (var f = SafetensorsFile.Open(file))
        {
            foreach (var t in f.Tensors)
            {
                using var v = f.Map(t);
                w.Add(t.Name, t.Dtype, t.Shape, v.Bytes.ToArray());
                if (t.Name == "model.embed_tokens.weight") w.Add("lm_head.weight", t.Dtype, t.Shape, v.Bytes.ToArray());
            }
        }
        w.WriteTo(file);
        EditConfig(ckpt, c => c["tie_word_embeddings"] = false);
        HfConverter.Convert(ckpt, converted);
        using (var g = GgufFile.Open(converted))
        {
            Assert.Equal("bitnet", g.Architecture);
            Assert.NotNull(g.FindTensor("output.weight"));
        }
        int[] prompt = [509, 3, 99, 250];
        float[] Logits(string path)
        {
            using var model = Model.Load(path);
            using var ev = new Evaluator(model, threads: 1);
            return ev.Decode(new Sequence(model, 16), prompt, allLogits: true);
        }
        Assert.Equal(Logits(reference), Logits(converted));
    }

    [SharedFact]
    public void SentencePieceTokenizerModelIsPaddedToTheConfigVocabulary()
    {
        using var dir = new TempDir();
        var spec = DummyModelSpec.Preset("tiny") with { Architecture = "bitnet", VocabSize = 32002 };
        string ckpt = Checkpoint(dir, spec);
        File.Delete(Path.Combine(ckpt, "tokenizer.json"));
        File.Delete(Path.Combine(ckpt, "tokenizer_config.json"));
        File.Copy(SharedData.PathOf("oracle", "bitllama2c", "tokenizer.model"), Path.Combine(ckpt, "tokenizer.model"));
        EditConfig(ckpt, c => { c["bos_token_id"] = 1; c["eos_token_id"] = 2; });
        HfConverter.Convert(ckpt, dir.File("out.gguf"));
        using var g = GgufFile.Open(dir.File("out.gguf"));
        var t = TokenizerData.FromGguf(g);
        Assert.Equal("llama", t.Model);
        Assert.Equal(32002, t.Tokens.Length);
        Assert.Equal(["[PAD32000]", "[PAD32001]"], t.Tokens[32000..]);
        Assert.Equal((int)TokenType.Unused, t.TokenTypes![32001]);
        Assert.Equal((1, 2), (t.BosId, t.EosId));
        var tok = Tokenizer.FromGguf(g);
        Assert.Equal("Once upon a time", tok.Decode(tok.Encode("Once upon a time", addBos: false, parseSpecial: false)));
    }

    [Fact]
    public void Llama3RopeScalingIsWrittenAsRopeFreqs()
    {
        using var dir = new TempDir();
        var spec = DummyModelSpec.Preset("tiny") with { Architecture = "llama" };
        string ckpt = Checkpoint(dir, spec);
        EditConfig(ckpt, c => c["rope_scaling"] = new JsonObject
        {
            ["rope_type"] = "llama3", ["factor"] = 8.0, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 8192,
        });
        HfConverter.Convert(ckpt, dir.File("out.gguf"));
        using var g = GgufFile.Open(dir.File("out.gguf"));
        var t = g.GetTensor("rope_freqs.weight");
        Assert.Equal([32L], t.Dims);
        var f = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(g.GetTensorBytes(t)).ToArray();
        // θ = 500000, d = 64: wavelength 2π·θ^(2i/d). Short wavelengths (< 8192/4) keep 1, long ones (> 8192) get the
        // factor 8, and the ones between are smoothed monotonically.
        Assert.Equal(1f, f[0]);
        Assert.Equal(8f, f[31]);
        for (int i = 1; i < f.Length; i++) Assert.True(f[i] >= f[i - 1], $"rope_freqs not monotonic at {i}");
        Assert.Contains(f, x => x > 1 && x < 8);
    }

    [Fact]
    public void UnsupportedRopeScalingIsRefused()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir, DummyModelSpec.Preset("tiny") with { Architecture = "llama" });
        EditConfig(ckpt, c => c["rope_scaling"] = new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0 });
        Assert.Contains("rope_scaling type 'yarn'", Assert.Throws<HfCheckpointException>(() => HfConverter.Convert(ckpt, dir.File("out.gguf"))).Message);
    }

    [Fact]
    public void RopeFreqsDivideTheAnglesWhenTheModelRuns()
    {
        using var dir = new TempDir();
        var spec = DummyModelSpec.Preset("tiny") with { Architecture = "llama" };
        float[] Logits(string name, double factor)
        {
            string ckpt = Checkpoint(dir, spec, name);
            if (factor > 0)
                EditConfig(ckpt, c => c["rope_scaling"] = new JsonObject
                {
                    ["rope_type"] = "llama3", ["factor"] = factor, ["low_freq_factor"] = 1.0, ["high_freq_factor"] = 4.0, ["original_max_position_embeddings"] = 64,
                });
            string gguf = dir.File(name + ".gguf");
            HfConverter.Convert(ckpt, gguf);
            using var model = Tern.Models.Model.Load(gguf);
            Assert.Equal(factor > 0, model.RopeFreqs is not null);
            using var ev = new Tern.Inference.Evaluator(model, 1);
            using var seq = new Tern.Inference.Sequence(model, 16);
            return ev.Decode(seq, [5, 17, 99, 200, 3, 42], allLogits: true);
        }
        var plain = Logits("plain", 0);
        var ones = Logits("ones", 1.0);     // every divisor 1: the same bits as no scaling
        var scaled = Logits("scaled", 8.0); // long wavelengths turn 8 times slower
        Assert.Equal(plain, ones);
        int vocab = plain.Length / 6;
        Assert.Equal(plain.AsSpan(0, vocab).ToArray(), scaled.AsSpan(0, vocab).ToArray()); // position 0: no rotation at all
        Assert.NotEqual(plain.AsSpan(5 * vocab, vocab).ToArray(), scaled.AsSpan(5 * vocab, vocab).ToArray());
    }
}
