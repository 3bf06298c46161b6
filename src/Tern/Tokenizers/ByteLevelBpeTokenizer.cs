using System.Runtime.CompilerServices;
using System.Text;

namespace Tern.Tokenizers;

/// <summary>
/// Byte-level BPE ("gpt2" in GGUF; LLaMA-3, Falcon3, GPT-2, Qwen2): the text is split by the pre-tokenizer, each piece
/// is turned into UTF-8 bytes, each byte into its one-character byte-level token (see <see cref="ByteUnicode"/>), and
/// adjacent tokens are merged by merge rank, lowest rank first.
/// </summary>
internal sealed class ByteLevelBpeTokenizer : Tokenizer
{
    private const int Dead = -2; // marks a symbol merged into its left neighbour

    private readonly int[] _byteTokens = new int[256]; // id of the single-byte token for each byte, or -1
    private readonly PairTable _merges;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly PreTokenizerKind _preTokenizer;
    private readonly bool _ignoreMerges;

    [ThreadStatic] private static Workspace? t_workspace;

    public ByteLevelBpeTokenizer(TokenizerData data) : base(data, defaultAddBos: ResolvePre(data.Pre).AddBos)
    {
        (_preTokenizer, _ignoreMerges, _) = ResolvePre(data.Pre);
        _lookup = Ids.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int b = 0; b < 256; b++)
            _byteTokens[b] = _lookup.TryGetValue([ByteUnicode.ByteToChar[b]], out int id) ? id : -1;

        (_merges, SkippedMerges) = BuildMergeTable(data.Merges ?? [], _lookup);
    }

    // Runs once per model over ~280k merges: compiled fully optimized at once rather than starting in tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (PairTable Table, int Skipped) BuildMergeTable(string[] merges, Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup)
    {
        var table = new PairTable(merges.Length);
        int skipped = 0;
        var concat = new char[128];
        for (int rank = 0; rank < merges.Length; rank++)
        {
            string merge = merges[rank];
            // "left right"; searching from index 1 lets a left part be a lone space, as llama.cpp does.
            int space = merge.Length > 1 ? merge.IndexOf(' ', 1) : -1;
            if (space < 0) { skipped++; continue; }
            var left = merge.AsSpan(0, space);
            var right = merge.AsSpan(space + 1);
            int length = left.Length + right.Length;
            if (concat.Length < length) concat = new char[length * 2];
            left.CopyTo(concat);
            right.CopyTo(concat.AsSpan(left.Length));
            // Working on token ids needs both parts and the result in the vocabulary; real vocabularies satisfy this.
            if (!lookup.TryGetValue(left, out int l) || !lookup.TryGetValue(right, out int r)
                || !lookup.TryGetValue(concat.AsSpan(0, length), out int result))
            {
                skipped++;
                continue;
            }
            table.TryAdd(l, r, rank, result); // a repeated pair keeps its first (best) rank
        }
        return (table, skipped);
    }

    /// <summary>Merges ignored because they were malformed or named strings missing from the vocabulary.</summary>
    public int SkippedMerges { get; }

    internal PreTokenizerKind SplitRules => _preTokenizer;

    /// <summary>
    /// Split rules, whether a piece that is itself a vocabulary entry skips the merges (Hugging Face's
    /// <c>ignore_merges</c>, set by LLaMA-3), and the add-BOS default, for a <c>tokenizer.ggml.pre</c> name
    /// (the names llama.cpp gives these splits).
    /// </summary>
    internal static (PreTokenizerKind Kind, bool IgnoreMerges, bool AddBos) ResolvePre(string? pre) => pre switch
    {
        // bitnet.cpp's converter writes the 2B-4T LLaMA-3 vocabulary without tokenizer.ggml.pre. llama.cpp would then
        // fall back to its GPT-2-like "default" split and warn that quality degrades. The model was trained with
        // Hugging Face's LLaMA-3 tokenizer, so Tern uses the LLaMA-3 split for a missing (or "default") name instead.
        null or "" or "default" => (PreTokenizerKind.Llama3, true, true),
        "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "falcon-h1" or "pixtral" => (PreTokenizerKind.Llama3, true, true),
        "dbrx" or "smaug-bpe" => (PreTokenizerKind.Llama3, false, false),
        "qwen2" or "deepseek-r1-qwen" or "stablelm2" or "megrez" => (PreTokenizerKind.Qwen2, false, false),
        "gpt-2" or "phi-2" or "mpt" or "olmo" => (PreTokenizerKind.Gpt2, false, false),
        // Guessing would silently give the model token sequences it never saw in training.
        _ => throw new NotSupportedException(
            $"pre-tokenizer '{pre}' is not supported: Tern knows the LLaMA-3 (llama-bpe, llama3, falcon3, …), Qwen2 and GPT-2 splits"),
    };

    private protected override void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output)
    {
        var w = t_workspace ??= new Workspace();
        w.Pieces.Clear();
        PreTokenizer.Split(text, _preTokenizer, w.Pieces);
        foreach (var (start, length) in w.Pieces)
        {
            var piece = text.Slice(start, length);
            w.EnsureBytes(Encoding.UTF8.GetMaxByteCount(piece.Length));
            int n = Encoding.UTF8.GetBytes(piece, w.Bytes); // lone surrogates become U+FFFD
            EncodeWord(w.Bytes.AsSpan(0, n), w, output);
        }
    }

    private void EncodeWord(ReadOnlySpan<byte> bytes, Workspace w, List<int> output)
    {
        int n = bytes.Length;
        if (n == 1)
        {
            AddByteToken(bytes[0], output);
            return;
        }
        if (_ignoreMerges)
        {
            w.EnsureSymbols(n);
            for (int i = 0; i < n; i++) w.Chars[i] = ByteUnicode.ByteToChar[bytes[i]];
            if (_lookup.TryGetValue(w.Chars.AsSpan(0, n), out int whole) && Types[whole] is not (TokenType.Control or TokenType.Unknown))
            {
                output.Add(whole);
                return;
            }
        }

        w.EnsureSymbols(n);
        int[] ids = w.Ids, next = w.Next, prev = w.Prev;
        for (int i = 0; i < n; i++)
        {
            ids[i] = _byteTokens[bytes[i]];
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        var queue = w.Queue;
        queue.Clear();
        for (int i = 0; i + 1 < n; i++) Enqueue(i, i + 1, ids, queue);

        while (queue.Count > 0)
        {
            long key = queue.Pop();
            int left = MergeQueue.Position(key);
            int right = next[left];
            // Skip entries made stale by earlier merges: the pair at `left` must still have this rank
            // (a rank names exactly one pair, so an equal rank means the same pair).
            if (ids[left] == Dead || right < 0
                || !_merges.TryGet(ids[left], ids[right], out int rank, out int result) || rank != MergeQueue.Priority(key))
                continue;
            ids[left] = result;
            ids[right] = Dead;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            Enqueue(prev[left], left, ids, queue);
            Enqueue(left, next[left], ids, queue);
        }

        for (int i = 0; i >= 0; i = next[i])
        {
            if (ids[i] >= 0) output.Add(ids[i]);
            else if (UnkId >= 0) output.Add(UnkId); // a byte with no token of its own (only in odd vocabularies)
        }
    }

    private void Enqueue(int left, int right, int[] ids, MergeQueue queue)
    {
        if (left < 0 || right < 0 || ids[left] < 0 || ids[right] < 0) return;
        if (_merges.TryGet(ids[left], ids[right], out int rank, out _))
            queue.Push(MergeQueue.Key(rank, left));
    }

    private void AddByteToken(byte b, List<int> output)
    {
        int id = _byteTokens[b];
        if (id >= 0) output.Add(id);
        else if (UnkId >= 0) output.Add(UnkId);
    }

    private protected override byte[] ComputeTokenBytes(int id)
    {
        string text = Tokens[id];
        if (Types[id] == TokenType.UserDefined) return Encoding.UTF8.GetBytes(text); // stored as plain text
        if (Types[id] == TokenType.Byte && SentencePieceTokenizer.TryParseByteToken(text, out byte single)) return [single];
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in text.EnumerateRunes())
        {
            if (rune.IsBmp && ByteUnicode.TryGetByte((char)rune.Value, out byte b)) bytes.Add(b);
            else bytes.AddRange(utf8[..rune.EncodeToUtf8(utf8)]); // not a byte-level character: keep it as text
        }
        return bytes.ToArray();
    }

    /// <summary>Per-thread scratch buffers, grown as needed and reused across calls.</summary>
    private sealed class Workspace
    {
        public readonly List<(int Start, int Length)> Pieces = new();
        public readonly MergeQueue Queue = new();
        public byte[] Bytes = new byte[256];
        public char[] Chars = new char[64];
        public int[] Ids = new int[64], Next = new int[64], Prev = new int[64];

        public void EnsureBytes(int n)
        {
            if (Bytes.Length < n) Bytes = new byte[Math.Max(n, Bytes.Length * 2)];
        }

        public void EnsureSymbols(int n)
        {
            if (Ids.Length >= n) return;
            int size = Math.Max(n, Ids.Length * 2);
            Chars = new char[size];
            Ids = new int[size];
            Next = new int[size];
            Prev = new int[size];
        }
    }
}
