using System.CommandLine;
using System.Diagnostics;
using Tern.Dummy;
using Tern.Gguf;

namespace Tern.Cli.Commands;

/// <summary>`tern dummy`: write a random-weight model of any shape (with a working tokenizer), like bitnet.cpp's generator.</summary>
internal static class DummyCommand
{
    public static Command Create(CliIO io)
    {
        var output = new Option<string>("--output", "-o") { Description = "GGUF file to write", Required = true };
        var preset = new Option<string>("--preset") { Description = "shape: " + string.Join(", ", DummyModelSpec.PresetNames), DefaultValueFactory = _ => "tiny" };
        var type = new Option<string>("--type") { Description = "ternary type: i2_s, tq2_0 or tq1_0", DefaultValueFactory = _ => "i2_s" };
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
            output, preset, type, embdType, arch, layers, hidden, ffn, heads, kvHeads, vocab, ctx, seed, force,
        };
        cmd.SetGuardedAction(io, p =>
        {
            string path = p.GetValue(output)!;
            CommonOptions.CheckOutput(path, p.GetValue(force));
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
            DummyModelWriter.Write(path, spec);
            io.Err.WriteLine($"wrote {path}: {spec.Architecture}, {spec.Layers} layers, dim {spec.Dim}, ffn {spec.FfnDim}, heads {spec.Heads}/{spec.KvHeads}, vocab {spec.VocabSize}, {spec.WeightType}, {new FileInfo(path).Length:N0} bytes in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
        return cmd;
    }
}
