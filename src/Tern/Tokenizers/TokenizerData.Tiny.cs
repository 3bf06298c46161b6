namespace Tern.Tokenizers;

public sealed partial record TokenizerData
{
    public const string BeginOfText = "<|begin_of_text|>";
    public const string EndOfText = "<|end_of_text|>";
    public const string EndOfTurn = "<|eot_id|>";

    // Words whose left-to-right merges seed the tiny vocabulary, so short English text encodes to few tokens.
    private static readonly string[] TinySeedWords =
    [
        " the", " and", " a", " to", " of", " in", " is", " was", " he", " she", " it", " that", " for", " on", " with",
        " you", " his", " her", " they", " at", " be", " this", " had", " from", " not", " but", " said", " one", " all",
        " Once", " upon", " time", " there", " little", " girl", " boy", " day", " very", " happy", " play", " big",
        "ing", "ed", "er", "es", "ly", " I", " The", "\n\n", ".\n", ", ", ". ",
    ];

    // Letters tried, in order, to extend existing tokens once the seed words are used up.
    private const string TinyExtensionLetters = "etaoinshrdlcumwfgypbvkjxqz";

    /// <summary>
    /// A valid LLaMA-3-style byte-level BPE vocabulary of exactly <paramref name="vocabSize"/> tokens (≥ 260) for models
    /// with random weights: ids 0–255 are the 256 byte tokens (id = byte value), then merged tokens (merges built
    /// deterministically from a few English words, then by extending earlier tokens with common letters), and the last
    /// three ids are the control tokens &lt;|begin_of_text|&gt; (BOS), &lt;|end_of_text|&gt; (EOS) and &lt;|eot_id|&gt;.
    /// Any text encodes and any id sequence decodes.
    /// </summary>
    public static TokenizerData CreateTinyByteLevel(int vocabSize)
    {
        const int byteTokens = 256, specialTokens = 3;
        if (vocabSize < byteTokens + specialTokens + 1)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), vocabSize, "a byte-level vocabulary needs at least 260 tokens (256 bytes, one merge, BOS/EOS/EOT)");
        int mergeCount = vocabSize - byteTokens - specialTokens;

        var tokens = new List<string>(vocabSize);
        var known = new HashSet<string>(StringComparer.Ordinal);
        for (int b = 0; b < byteTokens; b++)
        {
            string t = ByteUnicode.ByteToChar[b].ToString();
            tokens.Add(t);
            known.Add(t);
        }
        var merges = new List<string>(mergeCount);
        void TryMerge(string left, string right)
        {
            if (merges.Count == mergeCount || !known.Contains(left) || !known.Contains(right)) return;
            string merged = left + right;
            if (!known.Add(merged)) return;
            tokens.Add(merged);
            merges.Add(left + " " + right);
        }

        foreach (string word in TinySeedWords)
        {
            string w = ToByteLevel(word);
            for (int k = 2; k <= w.Length; k++) TryMerge(w[..(k - 1)], w[(k - 1)..k]);
        }
        // Every pass over token i adds new tokens (token + letter), so this always terminates with mergeCount merges.
        for (int i = 0; merges.Count < mergeCount; i++)
            foreach (char c in TinyExtensionLetters) TryMerge(tokens[i], c.ToString());

        tokens.Add(BeginOfText);
        tokens.Add(EndOfText);
        tokens.Add(EndOfTurn);
        var types = new int[vocabSize];
        Array.Fill(types, (int)TokenType.Normal, 0, vocabSize - specialTokens);
        Array.Fill(types, (int)TokenType.Control, vocabSize - specialTokens, specialTokens);
        return new TokenizerData
        {
            Model = "gpt2",
            Pre = "llama-bpe",
            Tokens = tokens.ToArray(),
            TokenTypes = types,
            Merges = merges.ToArray(),
            BosId = vocabSize - 3,
            EosId = vocabSize - 2,
            EotId = vocabSize - 1,
            AddBos = true,
            AddEos = false,
        };
    }

    private static string ToByteLevel(string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteUnicode.ByteToChar[bytes[i]];
        return new string(chars);
    }
}
