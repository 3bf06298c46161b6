namespace Tern.Tokenizers;

/// <summary>
/// The kind of a vocabulary entry, with the numbers GGUF's <c>tokenizer.ggml.token_type</c> and SentencePiece's
/// <c>ModelProto.SentencePiece.Type</c> both use.
/// </summary>
public enum TokenType
{
    /// <summary>No type recorded; treated like <see cref="Normal"/>.</summary>
    Undefined = 0,
    Normal = 1,
    /// <summary>The unknown token (&lt;unk&gt;). Never produced from text unless special tokens are parsed.</summary>
    Unknown = 2,
    /// <summary>Control tokens such as &lt;s&gt;, &lt;|eot_id|&gt;: matched in text only when special tokens are parsed; decode to nothing.</summary>
    Control = 3,
    /// <summary>User-defined tokens: always matched as a whole in text (as llama.cpp and Hugging Face do); decode to their text.</summary>
    UserDefined = 4,
    /// <summary>Present in the vocabulary but never produced by encoding (SentencePiece splits them back).</summary>
    Unused = 5,
    /// <summary>Byte-fallback tokens &lt;0x00&gt; … &lt;0xFF&gt;.</summary>
    Byte = 6,
}
