namespace Tern.Tokenizers;

/// <summary>
/// Everything needed to build a <see cref="Tokenizer"/>, as plain arrays: what a GGUF file's <c>tokenizer.ggml.*</c>
/// keys hold (see <see cref="FromGguf"/> and <see cref="ToGgufMetadata"/>), or what a converter builds from a
/// SentencePiece <c>tokenizer.model</c> (<see cref="SentencePieceModel.ToTokenizerData"/>).
/// </summary>
public sealed partial record TokenizerData
{
    /// <summary>"gpt2" (byte-level BPE) or "llama" (SentencePiece).</summary>
    public required string Model { get; init; }

    /// <summary>Pre-tokenizer name for "gpt2" vocabularies ("llama-bpe", "gpt-2", …); null when the file has none.</summary>
    public string? Pre { get; init; }

    /// <summary>The vocabulary, indexed by token id, as stored (byte-level characters for "gpt2", "▁" for spaces for "llama").</summary>
    public required string[] Tokens { get; init; }

    /// <summary>SentencePiece merge scores (higher merges first); may be null for "gpt2".</summary>
    public float[]? Scores { get; init; }

    /// <summary>GGUF token types (<see cref="TokenType"/> numbers); null means all normal.</summary>
    public int[]? TokenTypes { get; init; }

    /// <summary>BPE merges "left right", highest priority first ("gpt2" only).</summary>
    public string[]? Merges { get; init; }

    public int BosId { get; init; } = -1;
    public int EosId { get; init; } = -1;
    public int UnkId { get; init; } = -1;
    public int PadId { get; init; } = -1;
    /// <summary>End-of-turn token (<c>tokenizer.ggml.eot_token_id</c>), when the file names one.</summary>
    public int EotId { get; init; } = -1;

    /// <summary><c>tokenizer.ggml.add_bos_token</c>; null = the model type's default (true for "llama" and LLaMA-3-style "gpt2").</summary>
    public bool? AddBos { get; init; }

    /// <summary><c>tokenizer.ggml.add_eos_token</c>; null = false.</summary>
    public bool? AddEos { get; init; }

    /// <summary><c>tokenizer.ggml.add_space_prefix</c> (SentencePiece's add_dummy_prefix); null = true for "llama".</summary>
    public bool? AddSpacePrefix { get; init; }

    /// <summary>Type of token <paramref name="id"/> (Normal when no types are given).</summary>
    public TokenType TypeOf(int id) => TokenTypes is null ? TokenType.Normal : (TokenType)TokenTypes[id];

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistency (array lengths, ids out of range).</summary>
    public void Validate()
    {
        if (string.IsNullOrEmpty(Model)) throw new ArgumentException("tokenizer model name is empty");
        if (Tokens is null || Tokens.Length == 0) throw new ArgumentException("the vocabulary is empty");
        int n = Tokens.Length;
        for (int i = 0; i < n; i++)
            if (Tokens[i] is null) throw new ArgumentException($"token {i} is null");
        if (Scores is not null && Scores.Length < n)
            throw new ArgumentException($"{Scores.Length} scores for {n} tokens");
        if (TokenTypes is not null)
        {
            if (TokenTypes.Length < n) throw new ArgumentException($"{TokenTypes.Length} token types for {n} tokens");
            for (int i = 0; i < n; i++)
                if (TokenTypes[i] is < 0 or > 6) throw new ArgumentException($"token {i} has unknown token type {TokenTypes[i]}");
        }
        foreach (var (name, id) in new[] { ("BOS", BosId), ("EOS", EosId), ("UNK", UnkId), ("PAD", PadId), ("EOT", EotId) })
            if (id < -1 || id >= n) throw new ArgumentException($"{name} token id {id} is outside the vocabulary (0..{n - 1})");
    }
}
