using System.CommandLine;
using Tern.Conversion;

namespace Tern.Cli.Commands;

/// <summary>`tern convert --from bitllama2c IN.bin --tokenizer TOKENIZER.model -o OUT.gguf`.</summary>
internal static class ConvertCommand
{
    public static Command Create(CliIO io)
    {
        var from = new Option<string>("--from") { Description = "source format: bitllama2c", Required = true };
        var input = new Argument<string>("INPUT") { Description = "the model file to convert" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "SentencePiece tokenizer.model of the model" };
        var output = new Option<string>("--output", "-o") { Description = "GGUF file to write", Required = true };
        var force = CommonOptions.Force();
        var cmd = new Command("convert", "Import a model from another format into GGUF.") { from, input, tokenizer, output, force };
        cmd.SetGuardedAction(io, p =>
        {
            string fmt = p.GetValue(from)!;
            if (!fmt.Equals("bitllama2c", StringComparison.OrdinalIgnoreCase))
                throw new UserError($"unknown --from '{fmt}' (supported: bitllama2c)");
            string tok = p.GetValue(tokenizer) ?? throw new UserError("bitllama2c models need --tokenizer TOKENIZER.model");
            string inPath = p.GetValue(input)!, outPath = p.GetValue(output)!;
            if (!File.Exists(inPath)) throw new UserError($"input file not found: {inPath}");
            if (!File.Exists(tok)) throw new UserError($"tokenizer file not found: {tok}");
            CommonOptions.CheckOutput(outPath, p.GetValue(force));
            BitLlama2cConverter.Convert(inPath, tok, outPath);
            io.Err.WriteLine($"wrote {outPath} ({new FileInfo(outPath).Length:N0} bytes)");
            return 0;
        });
        return cmd;
    }
}
