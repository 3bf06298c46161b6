using System.CommandLine;
using System.Globalization;
using Tern.Chat;
using Tern.Inference;

namespace Tern.Cli.Commands;

/// <summary>
/// `tern chat`: a multi-turn conversation on standard input with the model's chat template. Each turn renders the
/// whole conversation, keeps the cached tokens it shares with the previous turn, and feeds only the new suffix.
/// </summary>
internal static class ChatCommand
{
    public static Command Create(CliIO io)
    {
        var model = CommonOptions.Model();
        var system = new Option<string?>("--system", "-sys") { Description = "system prompt" };
        var count = new Option<int>("--n-predict", "-n") { Description = "most tokens per reply (-1 = until the end of the turn)", DefaultValueFactory = _ => -1 };
        var threads = CommonOptions.Threads();
        var ctx = CommonOptions.Context();
        var cache = CommonOptions.CacheType();
        var topK = CommonOptions.TopKOutput();
        var sampling = new SamplingOptions();
        var cmd = new Command("chat", "Chat with a model (one user message per line; /exit or end of input quits).")
        {
            model, system, count, threads, ctx, cache, topK,
        };
        sampling.AddTo(cmd);
        cmd.SetGuardedAction(io, p =>
        {
            if (p.GetValue(count) < -1) throw new UserError("--n-predict must be -1 or more");
            var samplerOptions = sampling.Read(p);
            var cacheType = CommonOptions.ParseCacheType(p.GetValue(cache));
            using var lm = new LoadedModel(CommonOptions.ResolveModel(p.GetValue(model), io), p.GetValue(threads), io);
            var template = ChatTemplate.FromGguf(lm.Model.File);
            io.Err.WriteLine($"chat template: {template.Name}" + (template.TemplateError is { } e ? $" (the file's template could not be used: {e.Message})" : ""));
            var seq = new Sequence(lm.Model, CommonOptions.ContextSize(p.GetValue(ctx), lm.Model, cacheType), cacheType);
            var generator = new Generator(lm.Evaluator, lm.Tokenizer);
            var options = new GenerationOptions { MaxTokens = p.GetValue(count), Sampler = samplerOptions, StopStrings = template.StopStrings, TopKOutput = p.GetValue(topK) };
            var turns = new List<ChatTurn>();
            if (p.GetValue(system) is { Length: > 0 } sys) turns.Add(new ChatTurn("system", sys));
            using var interrupt = new Interrupt();

            while (true)
            {
                io.Out.Write("> ");
                io.Out.Flush();
                string? line = io.In.ReadLine();
                if (line is null || line.Trim() == "/exit") break;
                if (line.Trim().Length == 0) continue;
                turns.Add(new ChatTurn("user", line));
                int[] all = ChatPrompt.Encode(template, lm.Tokenizer, turns);
                int[] input = seq.ReusePrefix(all).ToArray(); // feed only what the cache does not hold
                var reply = new System.Text.StringBuilder();
                try
                {
                    foreach (var step in generator.Generate(seq, input, options, interrupt.Begin()))
                    {
                        reply.Append(step.Text);
                        io.Out.Write(step.Text);
                        io.Out.Flush();
                    }
                }
                catch (ContextFullException ex)
                {
                    io.Out.WriteLine();
                    io.Err.WriteLine($"error: {ex.Message}");
                    return 1;
                }
                finally
                {
                    interrupt.End();
                }
                io.Out.WriteLine();
                var s = generator.Stats;
                if (s.StopReason == StopReason.Cancelled) io.Err.WriteLine("[interrupted]");
                io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{s.PromptTokens} prompt tokens at {s.PromptTokensPerSecond:F1} tokens/s, {s.GeneratedTokens} generated at {s.GenerationTokensPerSecond:F1} tokens/s]"));
                turns.Add(new ChatTurn("assistant", reply.ToString().Trim()));
            }
            return 0;
        });
        return cmd;
    }
}
