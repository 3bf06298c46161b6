using System.Text;
using System.Text.RegularExpressions;
using Tern.Tests.TestSupport;
using Ml = Microsoft.ML.Tokenizers;

namespace Tern.Tests.Tokenizers;

/// <summary>
/// Differential tests against Microsoft.ML.Tokenizers built from the original tokenizer files (not from GGUF):
/// its tiktoken tokenizer over Meta's tiktoken.model for LLaMA-3, its LLaMA SentencePiece tokenizer over
/// tokenizer.model for LLaMA-2. Random texts, fixed seeds.
/// </summary>
public class MicrosoftMlTokenizersCrossCheckTests
{
    private const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // BMP only for character-level fuzzing: .NET's regex (inside ML.Tokenizers' pre-tokenizer) sees surrogate pairs as
    // two non-letters, so around astral characters it splits differently from the code-point semantics LLaMA-3 uses.
    private const string CharPool = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ éüñçßøåæœ日本語中文한국어дЖλΩ0123456789'.,;:!?-—()[]{}<>|\"$%&*+=/\\~`^_   \t\n\r";
    private static readonly string[] WordPool =
    [
        "Hello", " world", " the", "'s", "'LL", " 😀 ", " 🎉🎉 ", "日本語", " 中文", " 한국어", " Привет", " αβγ", " 1234567", " 3.14",
        "\n", "\n\n", "  ", "\t", " (", "!!", " café", " naïve", " Führer", "ied", " 4", " ½", " months", "<", "|", ">", " ```", " —",
    ];

    private static IEnumerable<string> RandomTexts(int seed, int count)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            var sb = new StringBuilder();
            if (i % 2 == 0)
                for (int j = random.Next(1, 30); j > 0; j--) sb.Append(CharPool[random.Next(CharPool.Length)]);
            else
                for (int j = random.Next(1, 12); j > 0; j--) sb.Append(WordPool[random.Next(WordPool.Length)]);
            yield return sb.ToString();
        }
    }

    private static void AssertSameIds(Func<string, IReadOnlyList<int>> reference, Func<string, int[]> tern, IEnumerable<string> texts)
    {
        var failures = new List<string>();
        int tokens = 0;
        foreach (string text in texts)
        {
            tokens += tern(text).Length;
            var expected = reference(text);
            int[] actual = tern(text);
            if (!expected.SequenceEqual(actual))
                failures.Add($"{LlamaCppVectors.Escape(text)}: reference [{string.Join(' ', expected)}] Tern [{string.Join(' ', actual)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} differences:\n" + string.Join("\n", failures.Take(20)));
        Assert.True(tokens > 10_000, $"only {tokens} tokens compared");
    }

    [SharedFact]
    public void Llama3MatchesTiktokenOnRandomText()
    {
        var tiktoken = Ml.TiktokenTokenizer.Create(
            SharedData.PathOf("oracle", "tokenizers", "llama3", "tiktoken.model"),
            new Ml.RegexPreTokenizer(new Regex(Llama3Pattern), null), normalizer: null);
        var tern = TestTokenizers.Llama3;
        Assert.Equal([9906, 1917], tiktoken.EncodeToIds("Hello world")); // the reference is set up right
        AssertSameIds(t => tiktoken.EncodeToIds(t), t => tern.Encode(t, addBos: false, parseSpecial: false), RandomTexts(3, 2000));
    }

    [SharedFact]
    public void Llama2MatchesMlSentencePieceOnRandomText()
    {
        using var stream = File.OpenRead(SharedData.PathOf("oracle", "tokenizers", "llama2", "tokenizer.model"));
        var reference = Ml.LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        var tern = TestTokenizers.Llama2;
        Assert.Equal([15043, 3186], reference.EncodeToIds("Hello world", addBeginningOfSentence: false, addEndOfSentence: false));
        AssertSameIds(t => reference.EncodeToIds(t, addBeginningOfSentence: false, addEndOfSentence: false),
            t => tern.Encode(t, addBos: false, parseSpecial: false), RandomTexts(4, 2000));
    }
}
