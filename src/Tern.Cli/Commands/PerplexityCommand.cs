using System.CommandLine;
using System.Globalization;
using Tern.Evaluation;

namespace Tern.Cli.Commands;

/// <summary>
/// `tern perplexity`: llama-perplexity's PPL over a text file, and its KL-divergence mode: --kl-divergence-base FILE
/// saves a run's distributions; --kl-divergence-base FILE --kl-divergence compares another run (another model file,
/// kernel, cache type) against them on the same tokens.
/// </summary>
internal static class PerplexityCommand
{
    public static Command Create(CliIO io)
    {
        var model = CommonOptions.Model();
        var textFile = new Option<string?>("--file", "-f") { Description = "the text to score, - for standard input (not needed with --kl-divergence: the base file holds its tokens)" };
        var ctx = new Option<int>("--ctx-size", "-c") { Description = "tokens per window; each is scored on its second half", DefaultValueFactory = _ => 512 };
        var batch = new Option<int>("--batch-size", "-b") { Description = "tokens per forward pass (shorter windows run several at once)", DefaultValueFactory = _ => 512 };
        var chunks = new Option<int>("--chunks") { Description = "score at most N windows (-1 = all)", DefaultValueFactory = _ => -1 };
        var threads = CommonOptions.Threads();
        var i2sLayout = CommonOptions.I2SLayout();
        var cache = CommonOptions.CacheType();
        var klBase = new Option<string?>("--kl-divergence-base") { Description = "save this run's log-probabilities to FILE, or with --kl-divergence compare against it" };
        var kl = new Option<bool>("--kl-divergence") { Description = "compare against the --kl-divergence-base FILE: KL divergence, Δp, same top token" };
        var force = CommonOptions.Force();
        var cmd = new Command("perplexity", "Measure perplexity on a text (llama-perplexity's method), or KL divergence against a base run.")
        {
            model, textFile, ctx, batch, chunks, threads, cache, klBase, kl, force,
        };
        cmd.Options.Add(i2sLayout);
        cmd.SetGuardedAction(io, p =>
        {
            string? basePath = p.GetValue(klBase), file = p.GetValue(textFile);
            bool compare = p.GetValue(kl);
            if (compare && basePath is null) throw new UserError("--kl-divergence needs --kl-divergence-base FILE (the saved base run)");
            if (!compare && file is null) throw new UserError("give the text with -f FILE");
            if (!compare && basePath is not null) CommonOptions.CheckOutput(basePath, p.GetValue(force));
            if (p.GetValue(ctx) < 4) throw new UserError($"--ctx-size must be at least 4 (got {p.GetValue(ctx)})");
            if (p.GetValue(batch) < 1) throw new UserError($"--batch-size must be at least 1 (got {p.GetValue(batch)})");
            var cacheType = CommonOptions.ParseCacheType(p.GetValue(cache));
            using var reader = compare ? OpenBase(basePath!) : null;
            string? text = file is null ? null : CommonOptions.ReadPromptFile(file, io);

            using var lm = new LoadedModel(CommonOptions.ResolveModel(p.GetValue(model), io), p.GetValue(threads), io, p.GetValue(i2sLayout));
            int vocab = lm.Model.Config.VocabSize;
            int[] tokens;
            var options = new PerplexityOptions
            {
                Context = reader?.Context ?? p.GetValue(ctx),
                Batch = p.GetValue(batch),
                Chunks = reader?.Chunks ?? p.GetValue(chunks),
                CacheType = cacheType,
                BosId = lm.Tokenizer.AddBosByDefault ? lm.Tokenizer.BosId : -1,
            };
            if (reader is not null)
            {
                if (reader.Vocab != vocab) throw new UserError($"{basePath} was made with a vocabulary of {reader.Vocab}, this model has {vocab}");
                tokens = reader.Tokens;
                if (text is not null && !lm.Tokenizer.Encode(text).AsSpan().StartsWith(tokens))
                    throw new UserError($"-f {file} does not tokenize to the tokens in {basePath}; leave -f out to score the base file's text");
            }
            else
            {
                tokens = lm.Tokenizer.Encode(text!); // with BOS first when the vocabulary adds it, as llama-perplexity
                int n = Perplexity.ChunkCount(tokens.Length, options);
                if (n < 1) throw new UserError($"{file} has {tokens.Length} tokens, fewer than one window of {options.Context} (lower -c or give more text)");
                tokens = tokens[..(n * options.Context)];
            }
            int total = Perplexity.ChunkCount(tokens.Length, options);
            io.Err.WriteLine($"perplexity: {tokens.Length} tokens, {total} windows of {options.Context}, {options.Batch} tokens per pass");

            using var writer = reader is null && basePath is not null ? new KlBaseFile.Writer(basePath, options.Context, vocab, total, tokens) : null;
            var divergence = reader is not null ? new KlDivergence(vocab) : null;
            ScoredRow? onScored = writer is not null ? (_, _, _, logits) => writer.Add(logits)
                : divergence is not null ? (_, _, target, logits) => divergence.Add(reader!.Next(), logits, target)
                : null;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = Perplexity.Run(lm.Evaluator, tokens, options,
                c => { io.Out.Write(string.Create(CultureInfo.InvariantCulture, $"[{c.Chunk}]{c.RunningPerplexity:F4},")); io.Out.Flush(); },
                onScored);
            io.Out.WriteLine();
            writer?.Complete();
            double seconds = clock.Elapsed.TotalSeconds;
            io.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Final estimate: PPL = {result.Value:F4} +/- {result.Error:F5}"));
            io.Err.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Count} tokens scored in {seconds:F2} s ({total * options.Context / seconds:F1} tokens/s evaluated)"));
            if (writer is not null) io.Err.WriteLine($"wrote {basePath}");
            if (divergence is not null) Print(io.Out, divergence.Report());
            return 0;
        });
        return cmd;
    }

    private static KlBaseFile.Reader OpenBase(string path)
    {
        if (Directory.Exists(path)) throw new UserError($"{path} is a directory");
        if (!File.Exists(path)) throw new UserError($"base file not found: {path} (make it with --kl-divergence-base FILE, without --kl-divergence)");
        try { return new KlBaseFile.Reader(path); }
        catch (InvalidDataException e) { throw new UserError(e.Message); }
    }

    private static void Print(TextWriter o, KlDivergenceReport r)
    {
        string F(double v, string f = "F6") => v.ToString(f, CultureInfo.InvariantCulture);
        string Pct(double v) => (100 * v).ToString("F3", CultureInfo.InvariantCulture) + " %";
        o.WriteLine();
        o.WriteLine($"====== Perplexity statistics ({r.Count} tokens) ======");
        o.WriteLine($"Mean PPL(Q)                   : {F(r.Perplexity)}");
        o.WriteLine($"Mean PPL(base)                : {F(r.BasePerplexity)}");
        o.WriteLine($"Mean ln(PPL(Q)/PPL(base))     : {F(r.MeanLogPerplexityRatio)} ± {F(r.MeanLogPerplexityRatioError)}");
        o.WriteLine($"Mean PPL(Q)/PPL(base)         : {F(Math.Exp(r.MeanLogPerplexityRatio))}");
        o.WriteLine();
        o.WriteLine("====== KL divergence statistics ======");
        var k = r.Kld;
        o.WriteLine($"Mean    KLD: {F(k.Mean)} ± {F(k.MeanError)}");
        o.WriteLine($"Maximum KLD: {F(k.Max)}");
        o.WriteLine($"99.9%   KLD: {F(k.P999)}");
        o.WriteLine($"99.0%   KLD: {F(k.P99)}");
        o.WriteLine($"Median  KLD: {F(k.Median)}");
        o.WriteLine($"1.0%    KLD: {F(k.P1)}");
        o.WriteLine($"Minimum KLD: {F(k.Min)}");
        o.WriteLine();
        o.WriteLine("====== Token probability statistics ======");
        var d = r.DeltaP;
        o.WriteLine($"Mean    Δp: {Pct(d.Mean)} ± {Pct(d.MeanError)}");
        o.WriteLine($"Maximum Δp: {Pct(d.Max)}");
        o.WriteLine($"99.9%   Δp: {Pct(d.P999)}");
        o.WriteLine($"99.0%   Δp: {Pct(d.P99)}");
        o.WriteLine($"95.0%   Δp: {Pct(d.P95)}");
        o.WriteLine($"Median  Δp: {Pct(d.Median)}");
        o.WriteLine($"5.0%    Δp: {Pct(d.P5)}");
        o.WriteLine($"1.0%    Δp: {Pct(d.P1)}");
        o.WriteLine($"0.1%    Δp: {Pct(d.P01)}");
        o.WriteLine($"Minimum Δp: {Pct(d.Min)}");
        o.WriteLine($"RMS Δp    : {Pct(r.RmsDeltaP)}");
        o.WriteLine($"Same top p: {Pct(r.SameTop)} ± {Pct(r.SameTopError)}");
    }
}
