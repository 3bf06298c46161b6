using System.Text;
using System.Text.RegularExpressions;
using Tern.Tokenizers;

namespace Tern.Tests.Tokenizers;

/// <summary>
/// The hand-written splitters against the regexes they implement. .NET's Regex sees UTF-16 units, so it agrees with a
/// code-point regex engine only on text without surrogate pairs: the random texts stay in the BMP, and characters
/// outside it have their own hand-checked cases.
/// </summary>
public class PreTokenizerTests
{
    // llama.cpp's forms of the patterns (ASCII case folding written out, as in its llama-vocab.cpp).
    private static readonly Regex Llama3Regex = new(@"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+");
    private static readonly Regex Qwen2Regex = new(@"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+");
    private static readonly Regex Gpt2Regex = new(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+");

    // Letters (cased, uncased, with the contraction letters), digits and other numbers (², Ⅻ, ١), marks, punctuation,
    // symbols, and every kind of whitespace the patterns treat specially.
    private const string Pool = "aeSsTtRrEeVvMmLlDdxyzé日本дЖ0123456789²Ⅻ١\u0301'''.,!?-_()<>|\"$   \t\n\r\u00a0\u3000\u2028\u000b\u0085";

    private static List<string> RegexSplit(Regex regex, string text)
    {
        var pieces = regex.Matches(text).Select(m => m.Value).ToList();
        Assert.Equal(text, string.Concat(pieces)); // the pattern covers every character
        return pieces;
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen2")]
    [InlineData("gpt2")]
    public void AgreesWithTheRegexOnRandomBmpText(string name)
    {
        var (kind, regex) = name switch
        {
            "llama3" => (PreTokenizerKind.Llama3, Llama3Regex),
            "qwen2" => (PreTokenizerKind.Qwen2, Qwen2Regex),
            _ => (PreTokenizerKind.Gpt2, Gpt2Regex),
        };
        var random = new Random(20240611 + (int)kind);
        for (int i = 0; i < 3000; i++)
        {
            var sb = new StringBuilder();
            int length = random.Next(0, 24);
            for (int j = 0; j < length; j++) sb.Append(Pool[random.Next(Pool.Length)]);
            string text = sb.ToString();
            Assert.True(RegexSplit(regex, text).SequenceEqual(PreTokenizer.Split(text, kind)), $"{kind} differs on {LlamaCppVectors.Escape(text)}");
        }
    }

    [Theory]
    [InlineData("Hello world", "Hello| world")]
    [InlineData("   Hello", "  | Hello")] // \s+(?!\S) leaves the last space to the word
    [InlineData("\n\n\n", "\n\n\n")]
    [InlineData("a \n b", "a| \n| b")] // \s*[\r\n]+ ends at the last newline
    [InlineData("x  \ty", "x|  |\ty")]
    [InlineData("33333333", "333|333|33")]
    [InlineData("I'm DON'T 'xyz", "I|'m| DON|'T| '|xyz")]
    [InlineData("Hello, y'all!", "Hello|,| y|'all|!")]
    [InlineData("a.\n\nb", "a|.\n\n|b")]
    [InlineData("𝐀𝐁𝐂 test", "𝐀𝐁𝐂| test")] // letters outside the BMP are letters
    [InlineData("😀b 😀", "😀b| 😀")] // an emoji is one [^\r\n\p{L}\p{N}] character before a letter
    [InlineData("𝟙𝟚𝟛𝟜", "𝟙𝟚𝟛|𝟜")] // and digits outside the BMP are digits
    public void Llama3SplitsAsTheRegexWouldOnCodePoints(string text, string expected)
    {
        Assert.Equal(expected.Split('|'), PreTokenizer.Split(text, PreTokenizerKind.Llama3));
    }

    [Theory]
    [InlineData("Hello world", "Hello| world")]
    [InlineData("I'M", "I|'|M")] // GPT-2's contractions are lower-case only
    [InlineData(" 123abc", " 123|abc")]
    [InlineData("a  b", "a| | b")]
    public void Gpt2SplitsAsTheRegexWould(string text, string expected)
    {
        Assert.Equal(expected.Split('|'), PreTokenizer.Split(text, PreTokenizerKind.Gpt2));
    }

    [Fact]
    public void Qwen2SplitsDigitsOneByOne()
    {
        Assert.Equal(["1", "2", "3", "4", "5"], PreTokenizer.Split("12345", PreTokenizerKind.Qwen2));
    }
}
