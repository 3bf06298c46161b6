using System.CommandLine;
using System.Globalization;
using Tern.Inference;

namespace Tern.Cli.Commands;

/// <summary>`tern generate`: continue a prompt, streaming the text, then print prompt and generation speed.</summary>
internal static class GenerateCommand
{
    public static Command Create(CliIO io)
    {
        var model = CommonOptions.Model();
        var prompt = new Option<string?>("--prompt", "-p") { Description = "prompt text" };
        var promptFile = new Option<string?>("--file", "-f") { Description = "read the prompt from a file" };
        var tokens = new Option<string?>("--tokens") { Description = "prompt as token ids, e.g. \"128000 9906\" (no BOS is added)" };
        var count = new Option<int>("--n-predict", "-n") { Description = "tokens to generate (-1 = until end of text or a full context)", DefaultValueFactory = _ => -1 };
        var threads = CommonOptions.Threads();
        var i2sLayout = CommonOptions.I2SLayout();
        var ctx = CommonOptions.Context();
        var cache = CommonOptions.CacheType();
        var idsOut = new Option<string?>("--ids-out") { Description = "write the generated token ids to FILE, one per line" };
        var noDisplay = new Option<bool>("--no-display-prompt") { Description = "do not print the prompt before the generated text" };
        var ignoreEos = new Option<bool>("--ignore-eos") { Description = "keep generating after end-of-text tokens" };
        var force = CommonOptions.Force();
        var topK = CommonOptions.TopKOutput();
        var reverse = new Option<string[]>("--reverse-prompt", "-r") { Description = "stop before this text (repeatable)", AllowMultipleArgumentsPerToken = false, HelpName = "TEXT" };
        var contextShift = new Option<bool>("--context-shift") { Description = "when the context fills, keep --keep tokens from the start, drop half of the rest and go on (default: stop)" };
        var keep = new Option<int>("--keep") { Description = "tokens kept from the start by --context-shift (-1 = the whole prompt)", DefaultValueFactory = _ => 0, HelpName = "N" };
        var sampling = new SamplingOptions();
        var cmd = new Command("generate", "Generate text from a prompt.")
        {
            model, prompt, promptFile, tokens, count, threads, ctx, cache, idsOut, noDisplay, ignoreEos, force, topK, reverse, contextShift, keep,
        };
        sampling.AddTo(cmd);
        cmd.Options.Add(i2sLayout);
        cmd.SetGuardedAction(io, p =>
        {
            int n = p.GetValue(count);
            if (n < -1) throw new UserError("--n-predict must be -1 or more");
            string? text = p.GetValue(prompt), file = p.GetValue(promptFile), ids = p.GetValue(tokens);
            if ((text != null ? 1 : 0) + (file != null ? 1 : 0) + (ids != null ? 1 : 0) != 1)
                throw new UserError("give exactly one of -p TEXT, -f FILE or --tokens \"ID ...\"");
            if (file != null) text = CommonOptions.ReadPromptFile(file, io);
            string? idsPath = p.GetValue(idsOut);
            if (idsPath != null) CommonOptions.CheckOutput(idsPath, p.GetValue(force));
            var samplerOptions = sampling.Read(p);
            var cacheType = CommonOptions.ParseCacheType(p.GetValue(cache));

            using var lm = new LoadedModel(CommonOptions.ResolveModel(p.GetValue(model), io), p.GetValue(threads), io, p.GetValue(i2sLayout));
            int[] input = ids != null
                ? CommonOptions.ParseIds(ids, lm.Model.Config.VocabSize)
                : lm.Tokenizer.Encode(text!, lm.Tokenizer.AddBosByDefault, parseSpecial: true);
            if (input.Length == 0) throw new UserError("the prompt is empty (and the model adds no BOS token)");
            int ctxSize = CommonOptions.ContextSize(p.GetValue(ctx), lm.Model, cacheType);
            if (input.Length > ctxSize) // before the prompt is printed
                throw new UserError($"the prompt is {input.Length} tokens, more than the context of {ctxSize} (raise -c/--ctx-size or shorten the prompt)");
            int? shiftKeep = p.GetValue(contextShift) ? p.GetValue(keep) switch
            {
                -1 => input.Length,
                < -1 => throw new UserError("--keep must be -1 (the whole prompt) or more"),
                var k => k,
            } : null;
            if (shiftKeep >= ctxSize - 1) throw new UserError($"--keep {shiftKeep} leaves nothing to shift in a context of {ctxSize} tokens");
            var seq = new Sequence(lm.Model, ctxSize, cacheType);
            var generator = new Generator(lm.Evaluator, lm.Tokenizer);
            var options = new GenerationOptions { MaxTokens = n, Sampler = samplerOptions, StopAtEndOfGeneration = !p.GetValue(ignoreEos), TopKOutput = p.GetValue(topK), StopStrings = p.GetValue(reverse) ?? [], ContextShiftKeep = shiftKeep };

            if (!p.GetValue(noDisplay)) io.Out.Write(lm.Tokenizer.Decode(input));
            var generated = new List<int>();
            using var interrupt = new Interrupt();
            foreach (var step in generator.Generate(seq, input, options, interrupt.Begin()))
            {
                if (step.Token >= 0) generated.Add(step.Token);
                io.Out.Write(step.Text);
                io.Out.Flush();
            }
            interrupt.End();
            io.Out.WriteLine();
            if (idsPath != null)
                Files.AtomicFile.Write(idsPath, fs =>
                {
                    using var w = new StreamWriter(fs);
                    foreach (int id in generated) w.WriteLine(id.ToString(CultureInfo.InvariantCulture));
                });
            var s = generator.Stats;
            io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"prompt: {s.PromptTokens} tokens in {s.PromptSeconds:F3} s ({s.PromptTokensPerSecond:F2} tokens/s) | generation: {s.GeneratedTokens} tokens in {s.GenerationSeconds:F3} s ({s.GenerationTokensPerSecond:F2} tokens/s) | stop: {s.StopReason}{(s.ContextShifts > 0 ? $" | context shifts: {s.ContextShifts}" : "")}"));
            return s.StopReason == StopReason.Cancelled ? Interrupt.ExitCode : 0;
        });
        return cmd;
    }
}
