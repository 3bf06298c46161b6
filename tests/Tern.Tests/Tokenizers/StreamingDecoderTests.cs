using System.Text;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Tokenizers;

public class StreamingDecoderTests
{
    private static readonly string[] SplitCharacterTexts =
    [
        "🦙 llamas 😀🎉 and 👩‍👩‍👧",
        "ក្ដីស្រឡាញ់ Khmer",
        "日本語のテキスト、中文文本，한국어",
        "math 𝐀𝐁𝐂 𝟙𝟚𝟛 𠀀𠀁",
    ];

    private static bool IsCompleteUtf8(byte[] bytes)
    {
        try { new UTF8Encoding(false, true).GetString(bytes); return true; }
        catch (DecoderFallbackException) { return false; }
    }

    /// <summary>Streams the text's tokens; returns whether some token held only part of a character.</summary>
    private static bool AssertStreamsCleanly(Tokenizer t, string text, bool strip)
    {
        int[] ids = t.Encode(text, addBos: true, parseSpecial: false);
        var decoder = new StreamingDecoder(t, stripLeadingSpace: strip);
        var output = new StringBuilder();
        foreach (int id in ids)
        {
            string piece = decoder.Push(id);
            Assert.DoesNotContain('\uFFFD', piece);
            // Never half a surrogate pair either.
            if (piece.Length > 0) Assert.False(char.IsHighSurrogate(piece[^1]), "ends in a lone high surrogate");
            output.Append(piece);
        }
        output.Append(decoder.Flush());
        Assert.Equal(text, output.ToString());
        Assert.Equal(t.Decode(ids), output.ToString());
        return ids.Any(id => !IsCompleteUtf8(t.TokenBytes(id)));
    }

    [SharedFact]
    public void ByteLevelBpeStreamsCharactersSplitAcrossTokens()
    {
        // The test means something only if some token holds part of a character.
        var split = SplitCharacterTexts.Select(text => AssertStreamsCleanly(TestTokenizers.Llama3, text, strip: false)).ToList();
        Assert.Contains(true, split);
    }

    [SharedFact]
    public void SentencePieceStreamsByteFallbackCharacters()
    {
        // From the start of a SentencePiece text, the dummy prefix must go, as Decode drops it.
        var split = SplitCharacterTexts.Select(text => AssertStreamsCleanly(TestTokenizers.Llama2, text, strip: true)).ToList();
        Assert.Contains(true, split);
    }

    [SharedFact]
    public void HoldsBackEachByteOfAnEmojiUntilTheLast()
    {
        var t = TestTokenizers.Llama2;
        var decoder = new StreamingDecoder(t);
        int[] bytes = [243, 162, 169, 156]; // <0xF0> <0x9F> <0xA6> <0x99> = 🦙
        Assert.Equal("", decoder.Push(bytes[0]));
        Assert.Equal("", decoder.Push(bytes[1]));
        Assert.Equal("", decoder.Push(bytes[2]));
        Assert.Equal("🦙", decoder.Push(bytes[3]));
        Assert.Equal("", decoder.Flush());
    }

    [SharedFact]
    public void FlushTurnsAnUnfinishedCharacterIntoReplacement()
    {
        var decoder = new StreamingDecoder(TestTokenizers.Llama2);
        Assert.Equal("", decoder.Push(243));
        Assert.Equal("", decoder.Push(162));
        Assert.Equal("\uFFFD", decoder.Flush());
        // Flush resets: the decoder is usable again.
        Assert.Equal(" world", decoder.Push(3186));
    }

    [SharedFact]
    public void InvalidBytesInTheMiddleBecomeReplacementAtOnce()
    {
        var decoder = new StreamingDecoder(TestTokenizers.Llama2);
        Assert.Equal("\uFFFD", decoder.Push(TestTokenizers.Llama2.FindToken("<0xFF>")!.Value)); // 0xFF never starts UTF-8
        Assert.Equal(" world", decoder.Push(3186));
    }

    [SharedFact]
    public void SkipsOrRendersControlTokens()
    {
        var t = TestTokenizers.Llama3;
        var plain = new StreamingDecoder(t);
        Assert.Equal("", plain.Push(128009));
        var rendered = new StreamingDecoder(t, renderSpecial: true);
        Assert.Equal("<|eot_id|>", rendered.Push(128009));
    }

    [SharedFact]
    public void StripsOnlyTheVeryFirstSpaceWhenAsked()
    {
        var t = TestTokenizers.Llama2;
        var fromStart = new StreamingDecoder(t, stripLeadingSpace: true);
        Assert.Equal("", fromStart.Push(1)); // BOS gives no text and does not use up the strip
        Assert.Equal("Hello", fromStart.Push(15043));
        Assert.Equal(" world", fromStart.Push(3186));
        var continuation = new StreamingDecoder(t); // default: a continuation keeps its space
        Assert.Equal(" Hello", continuation.Push(15043));
    }
}
