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
        var template = new Option<string?>("--chat-template") { Description = "chat format: " + string.Join(", ", ChatTemplateChoice.Names) + ", or a Jinja template FILE (default: the model's)", HelpName = "NAME|FILE" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "print each reply's token counts and speeds (on stderr)" };
        var threads = CommonOptions.Threads();
        var i2sLayout = CommonOptions.I2SLayout();
        var ctx = CommonOptions.Context();
        var cache = CommonOptions.CacheType();
        var topK = CommonOptions.TopKOutput();
        var sampling = new SamplingOptions();
        var cmd = new Command("chat", "Chat with a model (one message per line; /help lists the commands, /exit or end of input quits).")
        {
            model, system, count, template, verbose, threads, ctx, cache, topK,
        };
        sampling.AddTo(cmd);
        cmd.Options.Add(i2sLayout);
        cmd.SetGuardedAction(io, p =>
        {
            if (p.GetValue(count) < -1) throw new UserError("--n-predict must be -1 or more");
            var samplerOptions = sampling.Read(p);
            var cacheType = CommonOptions.ParseCacheType(p.GetValue(cache));
            ChatTemplateChoice.Check(p.GetValue(template));
            using var lm = new LoadedModel(CommonOptions.ResolveModel(p.GetValue(model), io), p.GetValue(threads), io, p.GetValue(i2sLayout));
            var chosen = ChatTemplateChoice.For(p.GetValue(template), lm.Model.File, lm.Tokenizer);
            io.Err.WriteLine($"chat template: {chosen.Name}" + (chosen.Note is { } note ? $" ({note})" : ""));
            using var seq = new Sequence(lm.Model, CommonOptions.ContextSize(p.GetValue(ctx), lm.Model, cacheType), cacheType);
            var generator = new Generator(lm.Evaluator, lm.Tokenizer);
            var options = new GenerationOptions { MaxTokens = p.GetValue(count), Sampler = samplerOptions, StopStrings = chosen.StopStrings, TopKOutput = p.GetValue(topK) };
            var turns = new List<ChatTurn>();
            string? systemPrompt = p.GetValue(system) is { Length: > 0 } sys ? sys : null;
            if (systemPrompt != null) turns.Add(new ChatTurn("system", systemPrompt));
            using var interrupt = new Interrupt();

            while (true)
            {
                io.Out.Write("> ");
                io.Out.Flush();
                string? line = ChatInput.ReadMessage(io.In);
                if (line is null) break;
                switch (line.Trim())
                {
                    case "": continue;
                    case "/exit" or "/quit": return 0;
                    case "/help":
                        io.Out.WriteLine(ChatInput.Help);
                        continue;
                    case "/reset" or "/clear":
                        turns.RemoveAll(t => t.Role != "system");
                        seq.Truncate(0);
                        io.Err.WriteLine("[conversation cleared]");
                        continue;
                    case ['/', ..] command when !command.Contains(' ') && !command.Contains('\n'):
                        io.Err.WriteLine($"unknown command {command} (/help lists them)");
                        continue;
                }
                turns.Add(new ChatTurn("user", line));
                int[] all = ChatPrompt.Encode(chosen.Template, lm.Tokenizer, turns);
                var reply = new System.Text.StringBuilder();
                try
                {
                    int[] input = seq.ReusePrefix(all).ToArray(); // feed only what the cache does not hold
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
                if (p.GetValue(verbose))
                    io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"[{s.PromptTokens} prompt tokens at {s.PromptTokensPerSecond:F1} tokens/s, {s.GeneratedTokens} generated at {s.GenerationTokensPerSecond:F1} tokens/s, stop: {s.StopReason}]"));
                turns.Add(new ChatTurn("assistant", reply.ToString().Trim()));
            }
            return 0;
        });
        return cmd;
    }
}
