using System.Text;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Tokenizers;

/// <summary>The LLaMA-3 vocabulary (bitnet-2b4t-vocab.gguf). Expected ids are from llama.cpp's vectors ("Hello world" → 9906 1917).</summary>
public class ByteLevelBpeTokenizerTests
{
    private static Tokenizer T => TestTokenizers.Llama3;

    [SharedFact]
    public void ReadsSpecialTokensAndDefaultsFromTheFile()
    {
        Assert.Equal("gpt2", T.ModelName);
        Assert.Equal(128256, T.VocabSize);
        Assert.Equal(128000, T.BosId);
        Assert.Equal(128001, T.EosId);
        Assert.True(T.AddBosByDefault);
        Assert.False(T.AddEosByDefault);
        Assert.False(T.StripsLeadingSpace);
        // <|end_of_text|> (EOS) ends the text, <|eot_id|> ends an assistant turn; BOS ends nothing.
        Assert.Equal(new HashSet<int> { 128001, 128009 }, T.EndOfGenerationIds.ToHashSet());
        Assert.Equal(TokenType.Control, T.GetTokenType(128009));
        Assert.Equal(TokenType.Normal, T.GetTokenType(1917));
    }

    [SharedFact]
    public void MissingPreTokenizerNameMeansTheLlama3Split()
    {
        var bpe = Assert.IsType<ByteLevelBpeTokenizer>(T);
        Assert.Equal(PreTokenizerKind.Llama3, bpe.SplitRules);
        Assert.Equal(0, bpe.SkippedMerges);
        // "\p{N}{1,3}": digits go in threes, as llama.cpp's vector "33333333" → 8765 8765 1644 shows.
        Assert.Equal([8765, 8765, 1644], T.Encode("33333333", addBos: false, parseSpecial: false));
    }

    [SharedFact]
    public void AddsBosOnlyWhenAsked()
    {
        Assert.Equal([128000, 9906, 1917], T.Encode("Hello world", addBos: true, parseSpecial: false));
        Assert.Equal([9906, 1917], T.Encode("Hello world", addBos: false, parseSpecial: false));
        Assert.Equal([128000, 9906, 1917], T.Encode("Hello world")); // the file's add_bos_token = true
        Assert.Equal([128000], T.Encode("", addBos: true, parseSpecial: false));
        Assert.Empty(T.Encode("", addBos: false, parseSpecial: false));
    }

    [SharedFact]
    public void ParsesSpecialTokenTextsOnlyWhenAsked()
    {
        int[] hi = T.Encode("Hi", false, false), there = T.Encode(" there", false, false);
        int[] parsed = T.Encode("Hi<|eot_id|> there", addBos: false, parseSpecial: true);
        Assert.Equal([.. hi, 128009, .. there], parsed);

        int[] literal = T.Encode("Hi<|eot_id|> there", addBos: false, parseSpecial: false);
        Assert.DoesNotContain(128009, literal);
        Assert.True(literal.Length > parsed.Length);
        Assert.Equal("Hi<|eot_id|> there", T.Decode(literal));

        Assert.Equal([128000, 128006, 882, 128007, 271], T.Encode("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n", addBos: false, parseSpecial: true));
        // Adjacent and repeated special tokens.
        Assert.Equal([128009, 128009, 128001], T.Encode("<|eot_id|><|eot_id|><|end_of_text|>", addBos: false, parseSpecial: true));
    }

    [SharedFact]
    public void DecodesControlTokensToNothingUnlessRendered()
    {
        int[] ids = [128000, 9906, 1917, 128009];
        Assert.Equal("Hello world", T.Decode(ids));
        Assert.Equal("<|begin_of_text|>Hello world<|eot_id|>", T.Decode(ids, renderSpecial: true));
        Assert.Empty(T.TokenBytes(128009));
        Assert.Equal("<|eot_id|>"u8.ToArray(), T.TokenBytes(128009, renderSpecial: true));
    }

    [SharedFact]
    public void TokenBytesUndoTheByteLevelMapping()
    {
        Assert.Equal("Ġworld", T.TokenText(1917));
        Assert.Equal(" world"u8.ToArray(), T.TokenBytes(1917));
        Assert.Equal("Ċ", T.TokenText(198));
        Assert.Equal("\n"u8.ToArray(), T.TokenBytes(198));
        // 21549 and 222 are two halves of the Khmer letter U+1780 (E1 9E 80) in llama.cpp's vectors.
        Assert.Equal(new byte[] { 0xE1, 0x9E }, T.TokenBytes(21549));
        Assert.Equal("ក", T.Decode([21549, 222]));
        Assert.Equal("\uFFFD", T.Decode([21549])); // half a character decodes to U+FFFD
    }

    [SharedFact]
    public void FindsTokensByStoredText()
    {
        Assert.Equal(1917, T.FindToken("Ġworld"));
        Assert.Equal(128009, T.FindToken("<|eot_id|>"));
        Assert.Null(T.FindToken(" world")); // stored texts use the byte-level alphabet
        Assert.Null(T.FindToken("no such token"));
    }

    [SharedFact]
    public void RoundTripsVariedText()
    {
        foreach (string text in TestTokenizers.VariedTexts)
            Assert.Equal(text, T.Decode(T.Encode(text, addBos: true, parseSpecial: false)));
    }

    [SharedFact]
    public void LoneSurrogatesEncodeAsReplacementCharacter()
    {
        Assert.Equal(T.Encode("a\uFFFDb", false, false), T.Encode("a\uD800b", false, false));
        Assert.Equal("a\uFFFDb", T.Decode(T.Encode("a\uDC00b", false, false)));
    }

    [SharedFact]
    public void RejectsIdsOutsideTheVocabulary()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => T.TokenText(128256));
        Assert.Throws<ArgumentOutOfRangeException>(() => T.TokenBytes(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => T.Decode([9906, 200000]));
    }

    [SharedFact]
    public void EncodingIsStableAcrossThreads()
    {
        string text = string.Join(" ", TestTokenizers.VariedTexts);
        int[] expected = T.Encode(text, true, true);
        Parallel.For(0, 16, _ => Assert.Equal(expected, T.Encode(text, true, true)));
    }

    [SharedFact]
    public void EncodesLongRepetitiveInputs()
    {
        // Long pieces exercise the merge queue far beyond typical word lengths.
        string dashes = new('-', 5000), mixed = string.Concat(Enumerable.Repeat("ab", 3000));
        Assert.Equal(dashes, T.Decode(T.Encode(dashes, false, false)));
        Assert.Equal(mixed, T.Decode(T.Encode(mixed, false, false)));
        Assert.True(T.Encode(dashes, false, false).Length < 5000 / 4);
    }
}
