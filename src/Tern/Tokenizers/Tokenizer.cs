using System.Buffers;
using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Text;
using Tern.Gguf;

namespace Tern.Tokenizers;

/// <summary>
/// Text ↔ token ids for a model's vocabulary. Built from GGUF metadata (<see cref="FromGguf"/>) or plain arrays
/// (<see cref="Create"/>); immutable and safe to use from several threads at once.
/// <para>
/// Behaviour follows llama.cpp (its tokenizer test vectors pass): special-token texts are cut out of the input
/// before the pre-tokenizer runs — control and unknown tokens only when <c>parseSpecial</c> is true, user-defined
/// tokens always — longest token text first.
/// </para>
/// <para>
/// Decoding: normal tokens give the bytes they stand for; control and unknown tokens (BOS, &lt;|eot_id|&gt;, &lt;unk&gt;)
/// give nothing unless rendering of special tokens is asked for, in which case they give their text.
/// </para>
/// </summary>
public abstract class Tokenizer
{
    // Token texts that end a turn, whatever the model (a subset of the list llama.cpp keeps).
    private static readonly string[] EndOfGenerationTexts =
        ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<EOT>"];

    private readonly string[] _tokens;
    private readonly TokenType[] _types;
    private readonly Dictionary<string, int> _ids;
    private readonly int[] _specialTokensLongestFirst;
    private readonly byte[]?[] _bytesCache;

    private protected Tokenizer(TokenizerData data, bool defaultAddBos)
    {
        data.Validate();
        int n = data.Tokens.Length;
        _tokens = (string[])data.Tokens.Clone(); // the caller's arrays stay the caller's
        (_types, _ids, _specialTokensLongestFirst) = IndexVocabulary(_tokens, data.TokenTypes);
        _bytesCache = new byte[n][];

        ModelName = data.Model;
        BosId = data.BosId;
        EosId = data.EosId;
        UnkId = data.UnkId;
        PadId = data.PadId;
        if (data.AddBos == true && BosId < 0) throw new ArgumentException("the vocabulary asks for a BOS token (add_bos_token) but names none");
        if (data.AddEos == true && EosId < 0) throw new ArgumentException("the vocabulary asks for an EOS token (add_eos_token) but names none");
        // The model type's default applies only when the file says nothing, and only if there is a BOS to add.
        AddBosByDefault = data.AddBos ?? (defaultAddBos && BosId >= 0);
        AddEosByDefault = data.AddEos ?? false;

        var eog = new HashSet<int>();
        if (EosId >= 0) eog.Add(EosId);
        if (data.EotId >= 0) eog.Add(data.EotId);
        foreach (string text in EndOfGenerationTexts)
            if (_ids.TryGetValue(text, out int id)) eog.Add(id);
        EndOfGenerationIds = eog.ToFrozenSet();
    }

    // Runs once per model over the whole vocabulary: compiled fully optimized at once rather than starting in tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (TokenType[] Types, Dictionary<string, int> Ids, int[] SpecialLongestFirst) IndexVocabulary(string[] tokens, int[]? tokenTypes)
    {
        int n = tokens.Length;
        var types = new TokenType[n];
        var ids = new Dictionary<string, int>(n, StringComparer.Ordinal);
        var special = new List<int>();
        for (int i = 0; i < n; i++)
        {
            var type = tokenTypes is null ? TokenType.Normal : (TokenType)tokenTypes[i];
            types[i] = type;
            ids.TryAdd(tokens[i], i); // a duplicated text maps to its first id
            if (type is TokenType.Control or TokenType.UserDefined or TokenType.Unknown && tokens[i].Length > 0) special.Add(i);
        }
        // Longest text first, so "<|eot_id|>" wins over a hypothetical "<|eot" (ties by id, for determinism).
        special.Sort((a, b) => tokens[a].Length != tokens[b].Length ? tokens[b].Length.CompareTo(tokens[a].Length) : a.CompareTo(b));
        return (types, ids, special.ToArray());
    }

    /// <summary>"gpt2" or "llama", as in <c>tokenizer.ggml.model</c>.</summary>
    public string ModelName { get; }
    public int VocabSize => _tokens.Length;
    /// <summary>Token ids, or -1 when the vocabulary has none.</summary>
    public int BosId { get; }
    public int EosId { get; }
    public int UnkId { get; }
    public int PadId { get; }
    /// <summary>Whether prompts should start with BOS (<c>tokenizer.ggml.add_bos_token</c>; default true for SentencePiece and LLaMA-3).</summary>
    public bool AddBosByDefault { get; }
    /// <summary><c>tokenizer.ggml.add_eos_token</c>. <see cref="Encode(string, bool, bool)"/> never appends EOS itself; callers that want it add <see cref="EosId"/>.</summary>
    public bool AddEosByDefault { get; }
    /// <summary>EOS plus every control token that ends a turn (&lt;|eot_id|&gt;, &lt;|end_of_text|&gt;, &lt;|im_end|&gt;, &lt;end_of_turn&gt;, …) present in the vocabulary.</summary>
    public IReadOnlySet<int> EndOfGenerationIds { get; }

    /// <summary>
    /// Whether <see cref="Decode(IEnumerable{int})"/> drops the leading space of decoded text: true for SentencePiece
    /// vocabularies that prepend a space to the input (add_dummy_prefix), so that decode(encode(x)) == x.
    /// </summary>
    public virtual bool StripsLeadingSpace => false;

    public TokenType GetTokenType(int id) => _types[CheckId(id)];

    /// <summary>The piece as stored in the vocabulary (e.g. "Ġworld", "▁world", "&lt;0x0A&gt;", "&lt;|eot_id|&gt;").</summary>
    public string TokenText(int id) => _tokens[CheckId(id)];

    /// <summary>The id of a piece as stored in the vocabulary, or null.</summary>
    public int? FindToken(string piece) => _ids.TryGetValue(piece, out int id) ? id : null;

    /// <summary>Encodes with the vocabulary's BOS default and without parsing special-token texts.</summary>
    public int[] Encode(string text) => Encode(text, AddBosByDefault, parseSpecial: false);

    /// <summary>
    /// Encodes <paramref name="text"/>. <paramref name="addBos"/> prepends BOS. With <paramref name="parseSpecial"/>,
    /// texts of control tokens such as "&lt;|eot_id|&gt;" become those tokens; without it they are encoded as plain text.
    /// </summary>
    public int[] Encode(string text, bool addBos, bool parseSpecial)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<int>(text.Length / 3 + 2);
        if (addBos)
        {
            if (BosId < 0) throw new InvalidOperationException("this vocabulary has no BOS token");
            output.Add(BosId);
        }
        bool afterSpecial = true; // the start of the text counts as following a special token
        foreach (var f in SplitOnSpecialTokens(text, parseSpecial))
        {
            if (f.TokenId >= 0)
            {
                output.Add(f.TokenId);
                afterSpecial = true;
            }
            else
            {
                EncodeText(text.AsSpan(f.Start, f.Length), afterSpecial, output);
                afterSpecial = false;
            }
        }
        return output.ToArray();
    }

    /// <summary>Encodes plain text (no special tokens in it). <paramref name="afterSpecial"/>: it starts the input or follows a special token.</summary>
    private protected abstract void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output);

    /// <summary>The bytes this token stands for when decoding (empty for control and unknown tokens). A fresh array.</summary>
    public byte[] TokenBytes(int id) => TokenBytesView(id, renderSpecial: false).ToArray();

    /// <summary>As <see cref="TokenBytes(int)"/>; with <paramref name="renderSpecial"/>, control and unknown tokens give their text.</summary>
    public byte[] TokenBytes(int id, bool renderSpecial) => TokenBytesView(id, renderSpecial).ToArray();

    internal ReadOnlySpan<byte> TokenBytesView(int id, bool renderSpecial)
    {
        CheckId(id);
        if (_types[id] is TokenType.Control or TokenType.Unknown)
            return renderSpecial ? Encoding.UTF8.GetBytes(_tokens[id]) : default;
        // Benign race: two threads may both compute the same immutable array.
        return _bytesCache[id] ??= ComputeTokenBytes(id);
    }

    /// <summary>The bytes of a token that is neither control nor unknown.</summary>
    private protected abstract byte[] ComputeTokenBytes(int id);

    /// <summary>
    /// Concatenates the tokens' bytes and decodes them as UTF-8 (invalid sequences become U+FFFD). For SentencePiece,
    /// the dummy-prefix space is dropped when decoding from the start (see <see cref="StripsLeadingSpace"/>), and a "▁"
    /// that was in the input comes back as a space (SentencePiece itself cannot tell them apart either).
    /// </summary>
    public string Decode(IEnumerable<int> ids) => Decode(ids, renderSpecial: false);

    /// <summary>As <see cref="Decode(IEnumerable{int})"/>; with <paramref name="renderSpecial"/>, control tokens appear as their text.</summary>
    public string Decode(IEnumerable<int> ids, bool renderSpecial)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var buffer = new ArrayBufferWriter<byte>(256);
        bool atStart = true;
        foreach (int id in ids)
        {
            var bytes = TokenBytesView(id, renderSpecial);
            if (bytes.IsEmpty) continue;
            // The dummy prefix SentencePiece put in front of the text is the first byte of the first text token.
            if (atStart && StripsLeadingSpace && bytes[0] == (byte)' ') bytes = bytes[1..];
            atStart = false;
            buffer.Write(bytes);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public override string ToString() => $"{GetType().Name}({ModelName}, {VocabSize} tokens)";

    private protected string[] Tokens => _tokens;
    private protected TokenType[] Types => _types;
    private protected Dictionary<string, int> Ids => _ids;

    private int CheckId(int id)
    {
        if ((uint)id >= (uint)_tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary (0..{_tokens.Length - 1})");
        return id;
    }

    private readonly record struct Fragment(int Start, int Length, int TokenId);

    /// <summary>
    /// Cuts special-token texts out of the input, as llama.cpp does: for each special token, longest text first, every
    /// occurrence inside the still-unsplit text becomes that token. Control and unknown tokens take part only when
    /// <paramref name="parseSpecial"/>; user-defined tokens always do.
    /// </summary>
    private List<Fragment> SplitOnSpecialTokens(string text, bool parseSpecial)
    {
        var fragments = new List<Fragment>(1);
        if (text.Length == 0) return fragments;
        fragments.Add(new(0, text.Length, -1));
        foreach (int id in _specialTokensLongestFirst)
        {
            if (!parseSpecial && _types[id] is TokenType.Control or TokenType.Unknown) continue;
            string special = _tokens[id];
            if (!text.Contains(special, StringComparison.Ordinal)) continue; // the usual case; cheap vectorized search
            for (int i = 0; i < fragments.Count; i++)
            {
                var f = fragments[i];
                if (f.TokenId >= 0) continue;
                int at = text.AsSpan(f.Start, f.Length).IndexOf(special);
                if (at < 0) continue;
                int rightStart = f.Start + at + special.Length;
                int rightLength = f.Start + f.Length - rightStart;
                fragments.RemoveAt(i);
                int insert = i;
                if (at > 0) fragments.Insert(insert++, new(f.Start, at, -1));
                fragments.Insert(insert++, new(f.Start + at, special.Length, id));
                if (rightLength > 0) fragments.Insert(insert, new(rightStart, rightLength, -1));
                i = insert - 1; // the loop's i++ lands on the right remainder, which may hold more occurrences
            }
        }
        return fragments;
    }

    /// <summary>Builds the tokenizer a GGUF file describes.</summary>
    public static Tokenizer FromGguf(GgufFile file) => Create(TokenizerData.FromGguf(file));

    /// <summary>
    /// Builds a tokenizer from plain arrays: model "gpt2" gives byte-level BPE, "llama" gives SentencePiece; any
    /// other model throws <see cref="NotSupportedException"/>.
    /// </summary>
    public static Tokenizer Create(TokenizerData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return data.Model switch
        {
            "gpt2" => new ByteLevelBpeTokenizer(data),
            "llama" => new SentencePieceTokenizer(data),
            _ => throw new NotSupportedException(
                $"tokenizer model '{data.Model}' is not supported: Tern reads 'gpt2' (byte-level BPE) and 'llama' (SentencePiece) vocabularies"),
        };
    }
}
