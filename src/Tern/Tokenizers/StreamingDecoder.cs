using System.Text;

namespace Tern.Tokenizers;

/// <summary>
/// Turns generated tokens into text as they arrive. A character whose UTF-8 bytes are spread over several tokens (an
/// emoji as byte-fallback tokens, a CJK character split by byte-level BPE) is held back until its last byte arrives, so
/// <see cref="Push"/> never returns half a character or a U+FFFD for one. Not thread-safe; one per output stream.
/// </summary>
public sealed class StreamingDecoder
{
    private readonly Tokenizer _tokenizer;
    private readonly bool _renderSpecial;
    private readonly Decoder _utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false).GetDecoder();
    private bool _stripLeadingSpace;
    private char[] _chars = new char[64];

    /// <param name="tokenizer">The vocabulary the ids come from.</param>
    /// <param name="stripLeadingSpace">
    /// Drop a space at the very start of the output — right when decoding a SentencePiece text from its beginning (the
    /// space is the dummy prefix, as <see cref="Tokenizer.Decode(IEnumerable{int})"/> does), wrong when printing a
    /// continuation of a prompt, where that space separates the new word from the prompt. Hence off by default.
    /// </param>
    /// <param name="renderSpecial">Print control tokens (e.g. &lt;|eot_id|&gt;) as their text instead of nothing.</param>
    public StreamingDecoder(Tokenizer tokenizer, bool stripLeadingSpace = false, bool renderSpecial = false)
    {
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        _stripLeadingSpace = stripLeadingSpace;
        _renderSpecial = renderSpecial;
    }

    /// <summary>Adds one token; returns the text it completes (possibly empty).</summary>
    public string Push(int id)
    {
        var bytes = _tokenizer.TokenBytesView(id, _renderSpecial);
        if (bytes.IsEmpty) return "";
        if (_stripLeadingSpace)
        {
            _stripLeadingSpace = false;
            if (bytes[0] == (byte)' ') bytes = bytes[1..];
        }
        return Decode(bytes, flush: false);
    }

    /// <summary>Ends the stream: returns what is held back (an incomplete character becomes U+FFFD) and resets.</summary>
    public string Flush() => Decode([], flush: true);

    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        // The decoder keeps the bytes of an unfinished character between calls unless flushing.
        int count = _utf8.GetCharCount(bytes, flush);
        if (_chars.Length < count) _chars = new char[Math.Max(count, _chars.Length * 2)];
        int written = _utf8.GetChars(bytes, _chars, flush);
        return written == 0 ? "" : new string(_chars, 0, written);
    }
}
