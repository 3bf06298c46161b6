using System.Text;

namespace Tern.Tokenizers;

/// <summary>
/// SentencePiece BPE ("llama" in GGUF; LLaMA-2, bitllama2.c, 1bitLLM's bitnet_b1_58): spaces become "▁" (U+2581), a
/// space is put in front of the text (add_dummy_prefix), the text is cut into code points, and adjacent pieces are
/// merged while their concatenation is in the vocabulary, highest score first. Characters left without a token are
/// spelled with byte-fallback tokens &lt;0x00&gt;…&lt;0xFF&gt;.
/// </summary>
internal sealed class SentencePieceTokenizer : Tokenizer
{
    private const char SpaceMark = '\u2581'; // "▁"

    private readonly float[] _scores;
    private readonly int[] _byteTokens = new int[256]; // id of <0xXX> for each byte, or -1
    private readonly bool _addSpacePrefix;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    [ThreadStatic] private static Workspace? t_workspace;

    public SentencePieceTokenizer(TokenizerData data) : base(data, defaultAddBos: true)
    {
        _scores = data.Scores is null ? new float[data.Tokens.Length] : data.Scores[..data.Tokens.Length];
        _addSpacePrefix = data.AddSpacePrefix ?? true;
        _lookup = Ids.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int b = 0; b < 256; b++)
            _byteTokens[b] = Ids.TryGetValue($"<0x{b:X2}>", out int id) && Types[id] == TokenType.Byte ? id : -1;
    }

    public override bool StripsLeadingSpace => _addSpacePrefix;

    /// <summary>Parses "&lt;0xAB&gt;".</summary>
    internal static bool TryParseByteToken(string text, out byte value)
    {
        value = 0;
        return text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>'
            && byte.TryParse(text.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value);
    }

    // SentencePiece merges into normal, user-defined and unused pieces, never into control, unknown or byte pieces.
    // (llama.cpp would merge into any piece whose text forms; in LLaMA-2's vocabulary no control, unknown or byte
    // piece can be formed from two other pieces, so the two agree there.)
    private bool IsMergeTarget(int id) => Types[id] is TokenType.Normal or TokenType.UserDefined or TokenType.Unused or TokenType.Undefined;

    // Scores as order-preserving integers, negated so that the min-heap pops the highest score first.
    private int Priority(int id)
    {
        float negated = -_scores[id];
        if (negated == 0) negated = 0; // -0 and +0 rank the same
        int bits = BitConverter.SingleToInt32Bits(negated);
        return bits >= 0 ? bits : bits ^ int.MaxValue;
    }

    private protected override void EncodeText(ReadOnlySpan<char> text, bool afterSpecial, List<int> output)
    {
        var w = t_workspace ??= new Workspace();
        // llama.cpp puts the dummy space in front of every text fragment that starts the input or follows a special token.
        bool prefix = _addSpacePrefix && afterSpecial;
        int length = text.Length + (prefix ? 1 : 0);
        w.EnsureText(length);
        var s = w.Text.AsSpan(0, length);
        if (prefix) s[0] = SpaceMark;
        text.Replace(s[(prefix ? 1 : 0)..], ' ', SpaceMark);
        EncodeEscaped(s, w, output);
    }

    private void EncodeEscaped(ReadOnlySpan<char> s, Workspace w, List<int> output)
    {
        // One symbol per code point. Symbols live in arrays; merging extends the left symbol over the right one.
        w.EnsureSymbols(s.Length);
        int n = 0;
        for (int i = 0; i < s.Length; n++)
        {
            int width = char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) ? 2 : 1;
            w.Start[n] = i;
            w.Length[n] = width;
            w.Prev[n] = n - 1;
            w.Next[n] = i + width < s.Length ? n + 1 : -1;
            // Merge tree: nodes 0..n-1 are the characters; each merge adds a node with two children.
            w.Node[n] = n;
            w.Candidate[n] = -1;
            w.NodeStart[n] = i;
            w.NodeLength[n] = width;
            w.NodeLeft[n] = w.NodeRight[n] = -1;
            i += width;
        }
        int nodes = n;
        var queue = w.Queue;
        queue.Clear();
        for (int i = 0; i + 1 < n; i++) Enqueue(s, i, i + 1, w, queue);

        while (queue.Count > 0)
        {
            long key = queue.Pop();
            int left = MergeQueue.Position(key);
            int right = w.Next[left];
            // Candidate[left] is the token the pair (left, next) makes now; a stale entry (a side already merged
            // elsewhere) no longer matches it in score. An equal score means an equally good merge at the same place,
            // which a fresh entry with this very key also asks for.
            if (w.Length[left] == 0 || right < 0) continue;
            int id = w.Candidate[left];
            if (id < 0 || Priority(id) != MergeQueue.Priority(key)) continue;
            w.NodeStart[nodes] = w.Start[left];
            w.NodeLength[nodes] = w.Length[left] + w.Length[right];
            w.NodeLeft[nodes] = w.Node[left];
            w.NodeRight[nodes] = w.Node[right];
            w.Node[left] = nodes++;
            w.Length[left] += w.Length[right];
            w.Length[right] = 0;
            w.Next[left] = w.Next[right];
            if (w.Next[right] >= 0) w.Prev[w.Next[right]] = left;
            Enqueue(s, w.Prev[left], left, w, queue);
            Enqueue(s, left, w.Next[left], w, queue);
        }

        for (int i = 0; i >= 0; i = w.Next[i])
            Emit(s, w.Node[i], w, output);
    }

    private void Enqueue(ReadOnlySpan<char> s, int left, int right, Workspace w, MergeQueue queue)
    {
        if (left < 0) return;
        w.Candidate[left] = -1;
        if (right < 0) return;
        if (_lookup.TryGetValue(s.Slice(w.Start[left], w.Length[left] + w.Length[right]), out int id) && IsMergeTarget(id))
        {
            w.Candidate[left] = id;
            queue.Push(MergeQueue.Key(Priority(id), left));
        }
    }

    /// <summary>
    /// Outputs a final symbol: its token if it has a usable one; else the two pieces it was merged from (SentencePiece
    /// never outputs unused pieces); a single character without a token is spelled in byte-fallback tokens.
    /// </summary>
    private void Emit(ReadOnlySpan<char> s, int node, Workspace w, List<int> output)
    {
        var text = s.Slice(w.NodeStart[node], w.NodeLength[node]);
        if (_lookup.TryGetValue(text, out int id) && Types[id] is TokenType.Normal or TokenType.UserDefined or TokenType.Undefined)
        {
            output.Add(id);
            return;
        }
        if (w.NodeLeft[node] >= 0)
        {
            Emit(s, w.NodeLeft[node], w, output);
            Emit(s, w.NodeRight[node], w, output);
            return;
        }
        Span<byte> utf8 = stackalloc byte[8];
        int count = Encoding.UTF8.GetBytes(text, utf8); // a lone surrogate becomes U+FFFD
        bool allBytes = true;
        for (int i = 0; i < count; i++) allBytes &= _byteTokens[utf8[i]] >= 0;
        if (allBytes)
            for (int i = 0; i < count; i++) output.Add(_byteTokens[utf8[i]]);
        else if (UnkId >= 0)
            output.Add(UnkId); // a vocabulary without byte fallback
    }

    private protected override byte[] ComputeTokenBytes(int id)
    {
        string text = Tokens[id];
        if (Types[id] == TokenType.Byte && TryParseByteToken(text, out byte b)) return [b];
        return Encoding.UTF8.GetBytes(text.Replace(SpaceMark, ' '));
    }

    /// <summary>Per-thread scratch buffers, grown as needed and reused across calls.</summary>
    private sealed class Workspace
    {
        public readonly MergeQueue Queue = new();
        public char[] Text = new char[256];
        public int[] Start = [], Length = [], Prev = [], Next = [], Node = [], Candidate = [];
        public int[] NodeStart = [], NodeLength = [], NodeLeft = [], NodeRight = [];

        public void EnsureText(int n)
        {
            if (Text.Length < n) Text = new char[Math.Max(n, Text.Length * 2)];
        }

        public void EnsureSymbols(int n)
        {
            if (Start.Length >= n) return;
            int size = Math.Max(n, Math.Max(64, Start.Length * 2));
            Start = new int[size];
            Length = new int[size];
            Prev = new int[size];
            Next = new int[size];
            Node = new int[size];
            Candidate = new int[size];
            // A text of n characters has at most n leaves and n - 1 merges.
            NodeStart = new int[2 * size];
            NodeLength = new int[2 * size];
            NodeLeft = new int[2 * size];
            NodeRight = new int[2 * size];
        }
    }
}
