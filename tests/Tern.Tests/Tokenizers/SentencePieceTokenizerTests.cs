using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Tokenizers;

/// <summary>The LLaMA-2 vocabulary (ggml-vocab-llama-spm.gguf). Expected ids are from llama.cpp's spm vectors.</summary>
public class SentencePieceTokenizerTests
{
    private static Tokenizer T => TestTokenizers.Llama2;

    [SharedFact]
    public void ReadsSpecialTokensAndDefaultsFromTheFile()
    {
        Assert.Equal("llama", T.ModelName);
        Assert.Equal(32000, T.VocabSize);
        Assert.Equal((1, 2, 0, -1), (T.BosId, T.EosId, T.UnkId, T.PadId));
        Assert.True(T.AddBosByDefault);
        Assert.True(T.StripsLeadingSpace);
        Assert.Equal(new HashSet<int> { 2 }, T.EndOfGenerationIds.ToHashSet());
        Assert.Equal(TokenType.Byte, T.GetTokenType(13));
        Assert.Equal(TokenType.Unknown, T.GetTokenType(0));
    }

    [SharedFact]
    public void AddsBosAndTheDummySpacePrefix()
    {
        Assert.Equal([1, 15043, 3186], T.Encode("Hello world"));
        Assert.Equal([15043, 3186], T.Encode("Hello world", addBos: false, parseSpecial: false));
        Assert.Equal([29871, 15043, 3186], T.Encode(" Hello world", addBos: false, parseSpecial: false)); // "▁" + "▁Hello"
        Assert.Equal([1], T.Encode("", addBos: true, parseSpecial: false)); // no dummy prefix on empty text
    }

    [SharedFact]
    public void SpellsCharactersMissingFromTheVocabularyInBytes()
    {
        Assert.Equal([29871, 13], T.Encode("\n", false, false)); // "▁" then <0x0A>
        Assert.Equal("<0x0A>", T.TokenText(13));
        Assert.Equal(new byte[] { 0x0A }, T.TokenBytes(13));
        // 🦙 = F0 9F A6 99 → <0xF0> <0x9F> <0xA6> <0x99> = ids 243 162 169 156 (llama.cpp vector " this is 🦙.cpp").
        Assert.Equal([29871, 243, 162, 169, 156], T.Encode("🦙", false, false));
        Assert.Equal("🦙", T.Decode([29871, 243, 162, 169, 156]));
    }

    [SharedFact]
    public void ParsesSpecialTokenTextsOnlyWhenAsked()
    {
        // As in llama.cpp, text after a special token gets the dummy space prefix again.
        Assert.Equal([1, 15043], T.Encode("<s>Hello", addBos: false, parseSpecial: true));
        Assert.Equal([15043, 2, 15043], T.Encode("Hello</s>Hello", addBos: false, parseSpecial: true));
        Assert.Equal([0], T.Encode("<unk>", addBos: false, parseSpecial: true));

        int[] literal = T.Encode("<s>Hello", addBos: false, parseSpecial: false);
        Assert.DoesNotContain(1, literal);
        Assert.Equal("<s>Hello", T.Decode(literal));
    }

    [SharedFact]
    public void DecodeStripsOnlyTheDummyPrefix()
    {
        Assert.Equal("Hello world", T.Decode([1, 15043, 3186]));
        Assert.Equal(" Hello", T.Decode([29871, 15043]));
        Assert.Equal("Hello world", T.Decode([15043, 3186]));
        // Rendered, <s> is the first text, so the dummy space after it stays (as Hugging Face's decode shows it).
        Assert.Equal("<s> Hello world</s>", T.Decode([1, 15043, 3186, 2], renderSpecial: true));
        Assert.Equal(" world"u8.ToArray(), T.TokenBytes(3186)); // "▁world"
    }

    [SharedFact]
    public void RoundTripsVariedText()
    {
        foreach (string text in TestTokenizers.VariedTexts)
            Assert.Equal(text, T.Decode(T.Encode(text, addBos: true, parseSpecial: false)));
    }

    [SharedFact]
    public void MatchesATokenizerBuiltFromTokenizerModel()
    {
        // The GGUF was converted from this tokenizer.model; building from either must give the same ids.
        var fromModel = Tokenizer.Create(SentencePieceModelFile.ReadModel(SharedData.PathOf("oracle", "tokenizers", "llama2", "tokenizer.model")).ToTokenizerData());
        foreach (string text in TestTokenizers.VariedTexts)
            Assert.Equal(T.Encode(text, true, true), fromModel.Encode(text, true, true));
    }

    [SharedFact]
    public void EncodesLongRepetitiveInputs()
    {
        string spaces = new(' ', 3000), mixed = string.Concat(Enumerable.Repeat("ab ", 2000));
        Assert.Equal(spaces, T.Decode(T.Encode(spaces, false, false)));
        Assert.Equal(mixed, T.Decode(T.Encode(mixed, false, false)));
    }
}
