using System.Text.Json.Nodes;
using Tern.Conversion;
using Tern.Dummy;
using Tern.Safetensors;
using Tern.Tests.Cli;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Conversion;

/// <summary>
/// Checkpoints that must not convert — a contradicting weight_scale convention, weights that are not ternary, missing
/// or misshapen tensors, unknown architectures, broken files — each refused with a message that says why, leaving no
/// output; and the CLI's one `error:` line for them.
/// </summary>
public class HfHostileCheckpointTests
{
    private static string Checkpoint(TempDir dir, DummyHfOptions? options = null)
    {
        string path = dir.File("hf");
        DummyHfCheckpointWriter.Write(path, DummyModelSpec.Preset("tiny"), options ?? new DummyHfOptions());
        return path;
    }

    private static void EditConfig(string checkpoint, Action<JsonObject> edit)
    {
        string path = Path.Combine(checkpoint, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }

    /// <summary>Converts, expecting a refusal; checks that no output (or temporary file) is left behind.</summary>
    private static string Refusal<T>(TempDir dir, string checkpoint) where T : Exception
    {
        string output = dir.File("out.gguf");
        var e = Assert.Throws<T>(() => HfConverter.Convert(checkpoint, output));
        Assert.Empty(Directory.GetFiles(dir.Path, "out.gguf*"));
        return e.Message;
    }

    private static void PatchTensorByte(string checkpoint, string tensor, int index, byte value)
    {
        string file = Path.Combine(checkpoint, SafetensorsCheckpoint.SingleFileName);
        long offset;
        using (var f = SafetensorsFile.Open(file)) offset = f.ByName[tensor].Offset + index;
        using var fs = new FileStream(file, FileMode.Open, FileAccess.Write);
        fs.Position = offset;
        fs.WriteByte(value);
    }

    /// <summary>Rewrites model.safetensors keeping the tensors <paramref name="keep"/> accepts, plus <paramref name="extra"/>.</summary>
    private static void RewriteTensors(string checkpoint, Func<string, bool> keep, string? extra = null)
    {
        string file = Path.Combine(checkpoint, SafetensorsCheckpoint.SingleFileName);
        var w = new SafetensorsWriter();
        using (var f = SafetensorsFile.Open(file))
        {
            foreach (var t in f.Tensors.Where(t => keep(t.Name)))
            {
                using var v = f.Map(t);
                w.Add(t.Name, t.Dtype, t.Shape, v.Bytes.ToArray());
            }
        }
        if (extra is not null) w.Add(extra, SafetensorsDtype.F32, [4], new byte[16]);
        w.WriteTo(file);
    }

    [Fact]
    public void AutobitlinearScalesLabelledBitlinearAreRefusedSayingWhy()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir, new DummyHfOptions { LinearClass = "autobitlinear" });
        EditConfig(ckpt, c => c["quantization_config"]!["linear_class"] = "bitlinear");
        string m = Refusal<HfCheckpointException>(dir, ckpt);
        Assert.Contains("weight_scale", m);
        Assert.Contains("W = q / weight_scale", m);
        Assert.Contains("contradicts", m);
        Assert.Contains("autobitlinear", m);
    }

    [Fact]
    public void BitlinearScalesLabelledAutobitlinearAreRefusedSayingWhy()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir, new DummyHfOptions { LinearClass = "bitlinear" });
        EditConfig(ckpt, c => c["quantization_config"]!["linear_class"] = "autobitlinear");
        string m = Refusal<HfCheckpointException>(dir, ckpt);
        Assert.Contains("W = q × weight_scale", m);
        Assert.Contains("contradicts", m);
    }

    [Fact]
    public void AbsentLinearClassMeansBitlinearAndUnknownOneIsRefused()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir, new DummyHfOptions { LinearClass = "bitlinear" });
        EditConfig(ckpt, c => c["quantization_config"]!.AsObject().Remove("linear_class"));
        HfConverter.Convert(ckpt, dir.File("ok.gguf"));
        EditConfig(ckpt, c => c["quantization_config"]!["linear_class"] = "fancylinear");
        Assert.Contains("linear_class 'fancylinear' is unknown", Refusal<HfCheckpointException>(dir, ckpt));
    }

    [Fact]
    public void PackedCodeThreeIsNotTernaryAndNamesTheTensor()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir);
        PatchTensorByte(ckpt, "model.layers.2.mlp.down_proj.weight", 100, 0xFF);
        string m = Refusal<HfCheckpointException>(dir, ckpt);
        Assert.Contains("model.layers.2.mlp.down_proj.weight is not ternary", m);
    }

    [Fact]
    public void OfflineFloatWeightsMustBeExactlyTernary()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir, new DummyHfOptions { Weights = DummyHfWeights.Master });
        EditConfig(ckpt, c => c["quantization_config"]!["quantization_mode"] = "offline");
        HfConverter.Convert(ckpt, dir.File("ok.gguf")); // ±a and 0: stored quantized, accepted as is
        PatchTensorByte(ckpt, "model.layers.1.self_attn.v_proj.weight", 4 * 17 + 1, 0x55);
        string m = Refusal<HfCheckpointException>(dir, ckpt);
        Assert.Contains("model.layers.1.self_attn.v_proj.weight is not ternary", m);
    }

    [Fact]
    public void MissingAndExtraTensorsAreRefusedByName()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir);
        RewriteTensors(ckpt, n => n != "model.layers.1.mlp.up_proj.weight");
        Assert.Contains("no tensor model.layers.1.mlp.up_proj.weight", Refusal<HfCheckpointException>(dir, ckpt));

        ckpt = Checkpoint(new TempDir());
        using var dir2 = new TempDir();
        ckpt = Checkpoint(dir2);
        RewriteTensors(ckpt, _ => true, extra: "model.layers.0.self_attn.q_proj.bias");
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", Refusal<HfCheckpointException>(dir2, ckpt));

        using var dir3 = new TempDir();
        ckpt = Checkpoint(dir3);
        RewriteTensors(ckpt, n => n != "model.layers.3.self_attn.o_proj.weight_scale");
        Assert.Contains("no model.layers.3.self_attn.o_proj.weight_scale", Refusal<HfCheckpointException>(dir3, ckpt));
    }

    [Fact]
    public void ShapesThatDisagreeWithTheConfigAreRefused()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir);
        EditConfig(ckpt, c => c["num_key_value_heads"] = 4);
        string m = Refusal<HfCheckpointException>(dir, ckpt);
        Assert.Contains("model.layers.0.self_attn.k_proj.weight has shape [32, 256]", m);
        Assert.Contains("config.json makes it [64, 256]", m);
    }

    [Theory]
    [InlineData("GPT2LMHeadModel", "unsupported architecture 'GPT2LMHeadModel'")]
    [InlineData("LlamaForCausalLM", "not a ternary model")]
    public void UnknownOrNonTernaryArchitecturesAreRefused(string arch, string why)
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir);
        EditConfig(ckpt, c =>
        {
            c["architectures"] = new JsonArray(arch);
            c.Remove("quantization_config");
        });
        Assert.Contains(why, Refusal<HfCheckpointException>(dir, ckpt));
    }

    [Fact]
    public void MissingConfigOrTokenizerIsRefused()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir);
        File.Delete(Path.Combine(ckpt, "tokenizer.json"));
        Assert.Contains("no tokenizer.json or tokenizer.model", Refusal<HfCheckpointException>(dir, ckpt));
        File.Delete(Path.Combine(ckpt, "config.json"));
        Assert.Contains("config.json not found", Refusal<HfCheckpointException>(dir, ckpt));
    }

    [Fact]
    public void TruncatedSafetensorsIsRefused()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir);
        string file = Path.Combine(ckpt, SafetensorsCheckpoint.SingleFileName);
        using (var fs = new FileStream(file, FileMode.Open)) fs.SetLength(fs.Length - 1000);
        Assert.Contains("run past", Refusal<SafetensorsFormatException>(dir, ckpt));
    }

    [Fact]
    public void CliPrintsOneErrorLineAndKeepsExistingOutputs()
    {
        using var dir = new TempDir();
        string ckpt = Checkpoint(dir);
        string output = dir.File("model.gguf");

        Assert.Equal(0, CliRunner.Run("convert", ckpt, "-o", output).ExitCode);
        long size = new FileInfo(output).Length;
        var again = CliRunner.Run("convert", ckpt, "-o", output);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("--force", again.Err);
        Assert.Equal(0, CliRunner.Run("convert", ckpt, "-o", output, "--force", "--type", "tq2_0").ExitCode);
        Assert.NotEqual(size, new FileInfo(output).Length);

        var toDir = CliRunner.Run("convert", ckpt, "-o", dir.Path);
        Assert.Equal(1, toDir.ExitCode);
        Assert.Contains("is a directory", toDir.Err);
        Assert.Equal(1, CliRunner.Run("convert", ckpt, "-o", dir.File("x.gguf"), "--type", "q4_0").ExitCode);

        EditConfig(ckpt, c => c["quantization_config"]!["linear_class"] = "bitlinear");
        var bad = CliRunner.Run("convert", ckpt, "-o", dir.File("bad.gguf"));
        Assert.Equal(1, bad.ExitCode);
        var errorLines = bad.Err.Split('\n').Where(l => l.StartsWith("error:")).ToList();
        Assert.Single(errorLines);
        Assert.Contains("contradicts", errorLines[0]);
        Assert.DoesNotContain("   at ", bad.Err);
        Assert.False(File.Exists(dir.File("bad.gguf")));
    }
}
