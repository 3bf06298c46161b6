using System.CommandLine;
using System.Diagnostics;
using Tern.Dummy;
using Tern.Gguf;
using Tern.Models;

namespace Tern.Cli.Commands;

/// <summary>`tern dummy`: write a random-weight model of any shape (with a working tokenizer), like bitnet.cpp's generator.</summary>
internal static class DummyCommand
{
    public static Command Create(CliIO io)
    {
        var output = new Option<string>("--output", "-o") { Description = "GGUF file to write (with --format hf: the checkpoint directory)", Required = true };
        var format = new Option<string>("--format") { Description = "gguf, or hf: a Hugging Face checkpoint directory (config.json, safetensors, tokenizer.json) that `tern convert` turns back into the same model", DefaultValueFactory = _ => "gguf" };
        var weights = new Option<string>("--weights") { Description = "hf: packed (U8 codes + weight_scale) or master (F32 master weights)", DefaultValueFactory = _ => "packed" };
        var linearClass = new Option<string>("--linear-class") { Description = "hf: autobitlinear (W = q × weight_scale) or bitlinear (W = q / weight_scale)", DefaultValueFactory = _ => "autobitlinear" };
        var shards = new Option<int>("--shards") { Description = "hf: number of safetensors shards (more than 1 writes model.safetensors.index.json)", DefaultValueFactory = _ => 1 };
        var preset = new Option<string>("--preset") { Description = "shape: " + string.Join(", ", DummyModelSpec.PresetNames), DefaultValueFactory = _ => "tiny" };
        var type = new Option<string>("--type") { Description = "ternary type: i2_s, tq2_0 or tq1_0", DefaultValueFactory = _ => "i2_s" };
        var i2sLayout = new Option<string>("--i2s-layout") { Description = "i2_s block layout: x86 (bitnet.cpp on x86) or arm (bitnet.cpp's ARM quantizer), to test loading files made on ARM", DefaultValueFactory = _ => "x86" };
        var layoutKey = new Option<bool>("--no-layout-key") { Description = "i2_s: leave out the tern.i2_s.layout metadata, as bitnet.cpp does (the loader must then tell the layout from the weights)" };
        var embdType = new Option<string>("--embd-type") { Description = "embedding/output type: f16 or f32", DefaultValueFactory = _ => "f16" };
        var arch = new Option<string?>("--arch") { Description = "architecture: " + string.Join(", ", DummyModelSpec.Architectures) };
        var layers = new Option<int?>("--layers") { Description = "number of layers" };
        var hidden = new Option<int?>("--hidden") { Description = "embedding width" };
        var ffn = new Option<int?>("--ffn") { Description = "feed-forward width" };
        var heads = new Option<int?>("--heads") { Description = "attention heads" };
        var kvHeads = new Option<int?>("--kv-heads") { Description = "key/value heads" };
        var vocab = new Option<int?>("--vocab") { Description = "vocabulary size (≥ 260)" };
        var ctx = new Option<int?>("--ctx") { Description = "context length written to the metadata" };
        var seed = new Option<long>("--seed") { Description = "random seed", DefaultValueFactory = _ => 42 };
        var force = CommonOptions.Force();
        var cmd = new Command("dummy", "Write a random-weight model for tests and benchmarks.")
        {
            output, format, weights, linearClass, shards, preset, type, i2sLayout, layoutKey, embdType, arch, layers, hidden, ffn, heads, kvHeads, vocab, ctx, seed, force,
        };
        cmd.SetGuardedAction(io, p =>
        {
            string path = p.GetValue(output)!;
            string fmt = p.GetValue(format)!.ToLowerInvariant();
            if (fmt is not ("gguf" or "hf")) throw new UserError($"unknown --format '{fmt}' (gguf or hf)");
            if (fmt == "hf")
            {
                if (File.Exists(path)) throw new UserError($"{path} is a file; --format hf writes a checkpoint directory");
                if (Directory.Exists(path) && Directory.EnumerateFileSystemEntries(path).Any() && !p.GetValue(force))
                    throw new UserError($"{path} is not empty; pass --force to write into it");
            }
            else
            {
                if (Directory.Exists(path)) throw new UserError($"{path} is a directory; -o takes the GGUF file to write");
                CommonOptions.CheckOutput(path, p.GetValue(force));
            }
            var spec = DummySpecErrors.InFlagTerms(() => DummyModelSpec.Preset(p.GetValue(preset)!));
            spec = spec with
            {
                WeightType = p.GetValue(type)!.ToLowerInvariant() switch
                {
                    "i2_s" => GgmlType.I2_S,
                    "tq2_0" => GgmlType.TQ2_0,
                    "tq1_0" => GgmlType.TQ1_0,
                    var t => throw new UserError($"unknown --type '{t}' (i2_s, tq2_0 or tq1_0)"),
                },
                I2SLayout = I2SLayoutDecision.Parse(p.GetValue(i2sLayout)) ?? throw new UserError($"unknown --i2s-layout '{p.GetValue(i2sLayout)}' (x86 or arm)"),
                WriteI2SLayoutKey = !p.GetValue(layoutKey),
                EmbeddingType = p.GetValue(embdType)!.ToLowerInvariant() switch
                {
                    "f16" => GgmlType.F16,
                    "f32" => GgmlType.F32,
                    var t => throw new UserError($"unknown --embd-type '{t}' (f16 or f32)"),
                },
                Architecture = p.GetValue(arch) ?? spec.Architecture,
                Layers = p.GetValue(layers) ?? spec.Layers,
                Dim = p.GetValue(hidden) ?? spec.Dim,
                FfnDim = p.GetValue(ffn) ?? spec.FfnDim,
                Heads = p.GetValue(heads) ?? spec.Heads,
                KvHeads = p.GetValue(kvHeads) ?? spec.KvHeads,
                VocabSize = p.GetValue(vocab) ?? spec.VocabSize,
                ContextLength = p.GetValue(ctx) ?? spec.ContextLength,
                Seed = unchecked((ulong)p.GetValue(seed)),
            };
            DummySpecErrors.InFlagTerms(() => { spec.Validate(); return spec; });
            var clock = Stopwatch.StartNew();
            if (fmt == "hf")
            {
                var hf = new DummyHfOptions
                {
                    Weights = p.GetValue(weights)!.ToLowerInvariant() switch
                    {
                        "packed" => DummyHfWeights.Packed,
                        "master" => DummyHfWeights.Master,
                        var w => throw new UserError($"unknown --weights '{w}' (packed or master)"),
                    },
                    LinearClass = p.GetValue(linearClass)!.ToLowerInvariant() switch
                    {
                        "autobitlinear" => "autobitlinear",
                        "bitlinear" => "bitlinear",
                        var lc => throw new UserError($"unknown --linear-class '{lc}' (autobitlinear or bitlinear)"),
                    },
                    Shards = p.GetValue(shards) is >= 1 and <= 1000 and var n ? n : throw new UserError("--shards must be in 1..1000"),
                };
                DummyHfCheckpointWriter.Write(path, spec, hf);
                long bytes = Directory.EnumerateFiles(path).Sum(f => new FileInfo(f).Length);
                io.Err.WriteLine($"wrote {path}/: {spec.Architecture} as a Hugging Face checkpoint ({hf.Weights}, {hf.LinearClass}, {hf.Shards} shard(s)), {spec.Layers} layers, dim {spec.Dim}, {bytes:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s");
                return 0;
            }
            DummyModelWriter.Write(path, spec);
            io.Err.WriteLine($"wrote {path}: {spec.Architecture}, {spec.Layers} layers, dim {spec.Dim}, ffn {spec.FfnDim}, heads {spec.Heads}/{spec.KvHeads}, vocab {spec.VocabSize}, {spec.WeightType}{(spec.WeightType == GgmlType.I2_S ? $" ({I2SLayoutDecision.Name(spec.I2SLayout)} layout)" : "")}, {new FileInfo(path).Length:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return cmd;
    }
}
