using System.Diagnostics;
using Tern.Sampling;
using Tern.Tokenizers;

namespace Tern.Inference;

public sealed record GenerationOptions
{
    /// <summary>Most tokens to generate; −1 = until end of generation or a full context.</summary>
    public int MaxTokens { get; init; } = -1;
    public SamplerOptions Sampler { get; init; } = new();
    /// <summary>Generation stops when the text contains one of these; the stop string itself is not returned.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];
    /// <summary>Stop at the tokenizer's end-of-generation tokens (EOS, &lt;|eot_id|&gt; …).</summary>
    public bool StopAtEndOfGeneration { get; init; } = true;
    /// <summary>
    /// Use the exact top-k output layer while generating (greedy or top-k sampling): the same tokens as the full
    /// output product, reading about half the output layer's bytes. Ignored when top-k is off and sampling is on.
    /// </summary>
    public bool TopKOutput { get; init; }
    /// <summary>
    /// Context shift (llama.cpp's <c>--context-shift</c>): when generation fills the context, keep this many tokens from
    /// the start, drop half of the rest and continue. Null: stop with <see cref="StopReason.ContextFull"/>.
    /// </summary>
    public int? ContextShiftKeep { get; init; }
}

/// <summary>One generated token and the text it completed (possibly empty while a character or a possible stop string is pending).</summary>
public readonly record struct GenerationStep(int Token, string Text);

public enum StopReason { None, EndOfGeneration, StopString, MaxTokens, ContextFull, Cancelled }

public sealed class GenerationStats
{
    public int PromptTokens { get; internal set; }
    public double PromptSeconds { get; internal set; }
    public int GeneratedTokens { get; internal set; }
    /// <summary>Time spent in the forward passes of generated tokens.</summary>
    public double GenerationSeconds { get; internal set; }
    /// <summary>Generated tokens that went through a forward pass (the last one sampled does not).</summary>
    public int DecodedTokens { get; internal set; }
    public StopReason StopReason { get; internal set; }
    /// <summary>How many times a full context was shifted (<see cref="GenerationOptions.ContextShiftKeep"/>).</summary>
    public int ContextShifts { get; internal set; }
    public double PromptTokensPerSecond => PromptSeconds > 0 ? PromptTokens / PromptSeconds : 0;
    /// <summary>Forward passes per second while generating.</summary>
    public double GenerationTokensPerSecond => GenerationSeconds > 0 ? DecodedTokens / GenerationSeconds : 0;
}

/// <summary>
/// Generation loop of one conversation: feeds new tokens to a sequence, samples, streams text (never half a UTF-8
/// character), and stops at end-of-generation tokens, stop strings, a token limit, a full context or cancellation.
/// The sampler lives as long as the generator (while the sampling options stay the same), so a seeded conversation
/// draws one random stream across its turns instead of restarting it every turn.
/// </summary>
public sealed class Generator(Evaluator evaluator, Tokenizer tokenizer)
{
    public Evaluator Evaluator { get; } = evaluator;
    public Tokenizer Tokenizer { get; } = tokenizer;
    public GenerationStats Stats { get; private set; } = new();

    /// <summary>The sampler of the last call (kept for the next call with the same sampling options).</summary>
    public Sampler? Sampler { get; private set; }

    private static bool CanShift(Sequence seq, int? keep) => keep is int n && n >= 0 && n < seq.Length - 1;

    /// <summary>
    /// Keeps the first <paramref name="keep"/> tokens, drops half of the rest (the oldest), and recomputes the keys and
    /// values of the tokens that remain after them at their new positions, then feeds <paramref name="next"/>. Recomputing
    /// (rather than re-rotating cached keys) costs one prompt-sized batch but is exact: the state is the one a fresh run
    /// over the remaining tokens reaches, bit for bit.
    /// </summary>
    private Span<float> ShiftContext(Sequence seq, int keep, int next)
    {
        int discard = (seq.Length - keep) / 2;
        var tokens = seq.Tokens.ToArray();
        seq.Truncate(keep);
        return Evaluator.Decode(seq, [.. tokens.AsSpan(keep + discard), next]);
    }

    /// <summary>
    /// Feeds <paramref name="input"/> (tokens not yet in <paramref name="seq"/>), then generates. The last sampled token
    /// is not fed back; a following call includes it in its input if the conversation continues. Cancellation ends
    /// the loop between tokens with <see cref="StopReason.Cancelled"/> (what was generated stays in the sequence).
    /// </summary>
    public IEnumerable<GenerationStep> Generate(Sequence seq, int[] input, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        if (input.Length == 0) throw new ArgumentException("nothing to evaluate: the prompt has no tokens");
        if (seq.Length + input.Length > seq.Cache.Capacity)
            throw new ContextFullException(seq.Length + input.Length, seq.Cache.Capacity);
        var stats = Stats = new GenerationStats { PromptTokens = input.Length };
        if (Sampler is null || Sampler.Options != options.Sampler) Sampler = new Sampler(options.Sampler);
        var sampler = Sampler;
        // Generating from BOS alone: drop SentencePiece's dummy-prefix space from the very start of the text.
        bool fromStart = seq.Length == 0 && input is [var only] && only == Tokenizer.BosId;
        var decoder = new StreamingDecoder(Tokenizer, stripLeadingSpace: fromStart && Tokenizer.StripsLeadingSpace);
        var stops = new StopStringFilter(options.StopStrings);

        var clock = Stopwatch.StartNew();
        Span<float> logits = Evaluator.Decode(seq, input);
        stats.PromptSeconds = clock.Elapsed.TotalSeconds;
        sampler.ResetHistory();
        sampler.Accept(seq.Tokens.Skip(Math.Max(0, seq.Length - options.Sampler.RepeatLastN)));
        while (true)
        {
            if (cancellationToken.IsCancellationRequested) { stats.StopReason = StopReason.Cancelled; break; }
            if (options.MaxTokens == 0) { stats.StopReason = StopReason.MaxTokens; break; } // -n 0: read the prompt, generate nothing
            int token = sampler.Sample(logits).Id;
            if (options.StopAtEndOfGeneration && Tokenizer.EndOfGenerationIds.Contains(token))
            {
                stats.StopReason = StopReason.EndOfGeneration;
                break;
            }
            sampler.Accept(token);
            stats.GeneratedTokens++;
            var (text, hitStop) = stops.Push(decoder.Push(token));
            yield return new GenerationStep(token, text);
            if (hitStop) { stats.StopReason = StopReason.StopString; break; }
            if (options.MaxTokens >= 0 && stats.GeneratedTokens >= options.MaxTokens) { stats.StopReason = StopReason.MaxTokens; break; }
            bool full = seq.Length >= seq.Cache.Capacity;
            if (full && !CanShift(seq, options.ContextShiftKeep)) { stats.StopReason = StopReason.ContextFull; break; }
            clock.Restart();
            int k = options.Sampler.CandidateCount;
            if (full)
            {
                logits = ShiftContext(seq, options.ContextShiftKeep!.Value, token);
                stats.ContextShifts++;
            }
            else if (options.TopKOutput && k > 0)
            {
                // Rows the penalties will change must be exact too.
                logits = Evaluator.DecodeNextTopK(seq, token, k, sampler.PenalizedTokens);
            }
            else
            {
                logits = Evaluator.DecodeNext(seq, token);
            }
            stats.GenerationSeconds += clock.Elapsed.TotalSeconds;
            stats.DecodedTokens++;
        }
        if (stats.StopReason != StopReason.StopString)
        {
            var (rest, _) = stops.Push(decoder.Flush(), final: true);
            if (rest.Length > 0) yield return new GenerationStep(-1, rest);
        }
    }
}
