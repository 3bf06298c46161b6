using System.CommandLine;
using System.Diagnostics;
using Tern.Conversion;
using Tern.Download;
using Tern.Gguf;

namespace Tern.Cli.Commands;

/// <summary>
/// `tern convert HF_DIR -o OUT.gguf [--type …] [--embedding-type …]` (a Hugging Face checkpoint, the default for a
/// directory with config.json) and `tern convert --from bitllama2c IN.bin --tokenizer TOKENIZER.model -o OUT.gguf`.
/// </summary>
internal static class ConvertCommand
{
    public static Command Create(CliIO io)
    {
        var from = new Option<string?>("--from") { Description = "source format: hf (a Hugging Face checkpoint directory; the default for a directory) or bitllama2c" };
        var input = new Argument<string>("INPUT") { Description = "the checkpoint directory or model file to convert" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "bitllama2c: SentencePiece tokenizer.model of the model" };
        var output = new Option<string>("--output", "-o") { Description = "GGUF file to write", Required = true };
        var type = new Option<string>("--type") { Description = "hf: projection type i2_s, tq2_0, tq1_0, f16 or f32", DefaultValueFactory = _ => "i2_s" };
        var embeddingType = new Option<string>("--embedding-type") { Description = "hf: embedding/output type f16, bf16, q8_0 or f32", DefaultValueFactory = _ => "f16" };
        var force = CommonOptions.Force();
        var cmd = new Command("convert", "Convert a Hugging Face BitNet checkpoint (or a bitllama2.c model) into GGUF.")
        {
            from, input, tokenizer, output, type, embeddingType, force,
        };
        cmd.SetGuardedAction(io, p =>
        {
            string inPath = p.GetValue(input)!, outPath = p.GetValue(output)!;
            string fmt = p.GetValue(from)?.ToLowerInvariant() ?? (Directory.Exists(inPath) ? "hf" : "");
            if (Directory.Exists(outPath)) throw new UserError($"{outPath} is a directory; -o takes the GGUF file to write");
            switch (fmt)
            {
                case "hf":
                    if (!Directory.Exists(inPath)) throw new UserError($"checkpoint directory not found: {inPath}");
                    if (!HfConverter.IsCheckpointDirectory(inPath)) throw new UserError($"{inPath} has no config.json; is it a Hugging Face checkpoint?");
                    CommonOptions.CheckOutput(outPath, p.GetValue(force));
                    var options = new HfConvertOptions
                    {
                        WeightType = ParseType(p.GetValue(type)!, "--type", ["i2_s", "tq2_0", "tq1_0", "f16", "f32"]),
                        EmbeddingType = ParseType(p.GetValue(embeddingType)!, "--embedding-type", ["f16", "bf16", "q8_0", "f32"]),
                    };
                    var clock = Stopwatch.StartNew();
                    using (var bar = new ConsoleProgressBar(io.Err, interactive: !Console.IsErrorRedirected && ReferenceEquals(io.Err, Console.Error), "converting"))
                        HfConverter.Convert(inPath, outPath, options with { Progress = bar });
                    io.Err.WriteLine($"wrote {outPath} ({new FileInfo(outPath).Length:N0} bytes) in {clock.Elapsed.TotalSeconds:F1} s");
                    return 0;
                case "bitllama2c":
                    string tok = p.GetValue(tokenizer) ?? throw new UserError("bitllama2c models need --tokenizer TOKENIZER.model");
                    if (!File.Exists(inPath)) throw new UserError($"input file not found: {inPath}");
                    if (!File.Exists(tok)) throw new UserError($"tokenizer file not found: {tok}");
                    CommonOptions.CheckOutput(outPath, p.GetValue(force));
                    BitLlama2cConverter.Convert(inPath, tok, outPath);
                    io.Err.WriteLine($"wrote {outPath} ({new FileInfo(outPath).Length:N0} bytes)");
                    return 0;
                case "":
                    throw new UserError(File.Exists(inPath)
                        ? $"{inPath} is a file: give --from bitllama2c for a bitllama2.c model, or the checkpoint directory for a Hugging Face model"
                        : $"input not found: {inPath}");
                default:
                    throw new UserError($"unknown --from '{fmt}' (supported: hf, bitllama2c)");
            }
        });
        return cmd;
    }

    private static GgmlType ParseType(string value, string flag, string[] allowed)
    {
        string v = value.ToLowerInvariant();
        if (!allowed.Contains(v)) throw new UserError($"unknown {flag} '{value}' ({string.Join(", ", allowed)})");
        return v switch
        {
            "i2_s" => GgmlType.I2_S,
            "tq2_0" => GgmlType.TQ2_0,
            "tq1_0" => GgmlType.TQ1_0,
            "f16" => GgmlType.F16,
            "bf16" => GgmlType.BF16,
            "q8_0" => GgmlType.Q8_0,
            _ => GgmlType.F32,
        };
    }
}
