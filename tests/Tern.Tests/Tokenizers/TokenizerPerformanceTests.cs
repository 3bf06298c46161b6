using System.Diagnostics;
using Tern.Gguf;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;
using Xunit.Abstractions;

namespace Tern.Tests.Tokenizers;

/// <summary>
/// Timings for the record (no wall-clock assertions: the machine is shared). Each figure is the best of a few runs.
/// Run with <c>--logger "console;verbosity=detailed"</c> to see them.
/// </summary>
public class TokenizerPerformanceTests(ITestOutputHelper output)
{
    private static double BestMs(int runs, Action action)
    {
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            var sw = Stopwatch.StartNew();
            action();
            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }
        return best;
    }

    [SharedFact]
    public void BuildsTheLlama3TokenizerAndEncodesKilobytes()
    {
        using var file = GgufFile.Open(TestTokenizers.Llama3GgufPath);
        var data = TokenizerData.FromGguf(file);
        Tokenizer? tokenizer = null;
        double build = BestMs(3, () => tokenizer = Tokenizer.Create(data));
        Assert.Equal(0, ((ByteLevelBpeTokenizer)tokenizer!).SkippedMerges);

        string text = File.ReadAllText(SharedData.PathOf("spec", "tokenizers.md")) + string.Join("\n", TestTokenizers.VariedTexts);
        int[] ids = [];
        double encode = BestMs(5, () => ids = tokenizer.Encode(text, addBos: true, parseSpecial: false));
        double decode = BestMs(5, () => tokenizer.Decode(ids));
        Assert.Equal(text, tokenizer.Decode(ids));
        output.WriteLine($"LLaMA-3: build {build:F1} ms ({data.Tokens.Length} tokens, {data.Merges!.Length} merges); " +
            $"encode {text.Length} chars → {ids.Length} tokens {encode:F2} ms; decode {decode:F2} ms");
    }

    [SharedFact]
    public void BuildsTheLlama2TokenizerAndEncodesKilobytes()
    {
        using var file = GgufFile.Open(TestTokenizers.Llama2GgufPath);
        var data = TokenizerData.FromGguf(file);
        Tokenizer? tokenizer = null;
        double build = BestMs(3, () => tokenizer = Tokenizer.Create(data));
        string text = File.ReadAllText(SharedData.PathOf("spec", "tokenizers.md")) + string.Join("\n", TestTokenizers.VariedTexts);
        int[] ids = [];
        double encode = BestMs(5, () => ids = tokenizer!.Encode(text, addBos: true, parseSpecial: false));
        // The spec mentions "▁" itself; SentencePiece cannot tell it from an escaped space, so it decodes as one.
        Assert.Equal(text.Replace('▁', ' '), tokenizer!.Decode(ids));
        output.WriteLine($"LLaMA-2: build {build:F1} ms; encode {text.Length} chars → {ids.Length} tokens {encode:F2} ms");
    }
}
