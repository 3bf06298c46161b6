using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Tern.Inference;

namespace Tern.Cli.Commands;

/// <summary>`tern eval`: run tokens through the model and write every position's logits (float32, little-endian, [n_tokens][n_vocab]).</summary>
internal static class EvalCommand
{
    public static Command Create(CliIO io)
    {
        var model = CommonOptions.Model();
        var tokens = new Option<string>("--tokens") { Description = "token ids, e.g. \"128000 9906 1917\"", Required = true };
        var logitsOut = new Option<string?>("--logits-out") { Description = "write float32 logits [n_tokens][n_vocab] to FILE" };
        var oneByOne = new Option<bool>("--one-by-one") { Description = "feed one token per forward pass instead of one batch" };
        var threads = CommonOptions.Threads();
        var i2sLayout = CommonOptions.I2SLayout();
        var ctx = CommonOptions.Context();
        var cache = CommonOptions.CacheType();
        var force = CommonOptions.Force();
        var cmd = new Command("eval", "Evaluate tokens and write their logits.") { model, tokens, logitsOut, oneByOne, threads, ctx, cache, force };
        cmd.Options.Add(i2sLayout);
        cmd.SetGuardedAction(io, p =>
        {
            string? outPath = p.GetValue(logitsOut);
            if (outPath != null) CommonOptions.CheckOutput(outPath, p.GetValue(force));
            var cacheType = CommonOptions.ParseCacheType(p.GetValue(cache));
            using var lm = new LoadedModel(CommonOptions.ResolveModel(p.GetValue(model), io, useDefault: false), p.GetValue(threads), io, p.GetValue(i2sLayout));
            int vocab = lm.Model.Config.VocabSize;
            var ids = CommonOptions.ParseIds(p.GetValue(tokens)!, vocab);
            int ctxSize = p.GetValue(ctx) > 0 ? p.GetValue(ctx) : Math.Max(ids.Length, CommonOptions.ContextSize(0, lm.Model, cacheType));
            CommonOptions.CheckKvMemory(ctxSize, lm.Model, cacheType);
            var seq = new Sequence(lm.Model, ctxSize, cacheType);
            float[] logits;
            if (p.GetValue(oneByOne))
            {
                logits = new float[ids.Length * vocab];
                for (int i = 0; i < ids.Length; i++)
                    lm.Evaluator.Decode(seq, [ids[i]]).CopyTo(logits, i * vocab);
            }
            else
            {
                logits = lm.Evaluator.Decode(seq, ids, allLogits: true);
            }
            if (outPath != null) Files.AtomicFile.Write(outPath, fs => fs.Write(MemoryMarshal.AsBytes(logits.AsSpan())));
            var last = logits.AsSpan((ids.Length - 1) * vocab, vocab).ToArray();
            var top = Enumerable.Range(0, vocab).OrderByDescending(i => last[i]).ThenBy(i => i).Take(5);
            io.Out.WriteLine("top-5 of the last position: " + string.Join("  ",
                top.Select(i => string.Create(CultureInfo.InvariantCulture, $"{i} ({last[i]:F4})"))));
            return 0;
        });
        return cmd;
    }
}
