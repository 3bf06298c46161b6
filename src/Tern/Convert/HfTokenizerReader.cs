using System.Text.Json;
using Tern.Tokenizers;

namespace Tern.Conversion;

/// <summary>
/// A checkpoint's tokenizer as GGUF tokenizer metadata: <c>tokenizer.json</c> when it holds a byte-level BPE
/// (model "gpt2"), else SentencePiece <c>tokenizer.model</c> (model "llama"); special-token ids from config.json and
/// <c>tokenizer_config.json</c>, and its chat template.
/// </summary>
/// <remarks>
/// tokenizer.json, the parts read: <c>model.type</c> "BPE", <c>model.vocab</c> {token: id}, <c>model.merges</c> as
/// "left right" strings or ["left", "right"] pairs, <c>added_tokens</c> [{id, content, special}] (special → CONTROL,
/// otherwise USER_DEFINED), and <c>pre_tokenizer</c>, whose split regex names the <c>tokenizer.ggml.pre</c>. Ids up to the
/// config's vocab_size that no token has become "[PAD{id}]" of type UNUSED, as llama.cpp's converter writes them.
/// </remarks>
public static class HfTokenizerReader
{
    // The split regexes of Hugging Face's tokenizer.json for the vocabularies Tern tokenizes, and llama.cpp's names for them.
    private const string Llama3Split = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2Split = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>End-of-turn tokens llama.cpp recognises by name.</summary>
    private static readonly string[] EndOfTurnNames = ["<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>"];

    public static (TokenizerData Data, string? ChatTemplate) Read(string directory, HfConfig config)
    {
        string jsonPath = Path.Combine(directory, "tokenizer.json"), spmPath = Path.Combine(directory, "tokenizer.model");
        string configPath = Path.Combine(directory, "tokenizer_config.json");
        using var tokConfig = HfJson.ReadOptional(configPath);
        var tc = tokConfig?.RootElement;

        TokenizerData data;
        if (File.Exists(jsonPath) && ReadByteLevel(jsonPath, config.VocabSize) is { } bpe) data = bpe;
        else if (File.Exists(spmPath)) data = ReadSentencePiece(spmPath, config.VocabSize);
        else if (File.Exists(jsonPath))
            throw new HfCheckpointException($"{jsonPath} is not a byte-level BPE tokenizer and there is no tokenizer.model; Tern converts byte-level BPE or SentencePiece vocabularies");
        else throw new HfCheckpointException($"{directory}: no tokenizer.json or tokenizer.model");

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = data.Tokens.Length - 1; i >= 0; i--) ids[data.Tokens[i]] = i;
        int? IdOfToken(string key)
        {
            string? content = tc?.Get(key) switch
            {
                { ValueKind: JsonValueKind.String } v => v.GetString(),
                { ValueKind: JsonValueKind.Object } o => o.GetString("content", configPath),
                _ => null,
            };
            if (content is null) return null;
            return ids.TryGetValue(content, out int id) ? id : throw new HfCheckpointException($"{configPath}: {key} '{content}' is not in the vocabulary");
        }

        int bos = config.BosId ?? IdOfToken("bos_token") ?? data.BosId;
        int eos = config.EosId ?? IdOfToken("eos_token") ?? data.EosId;
        int eot = EndOfTurnNames.Select(n => ids.TryGetValue(n, out int id) ? id : -1).FirstOrDefault(id => id >= 0, -1);
        data = data with
        {
            BosId = bos,
            EosId = eos,
            EotId = eot == eos ? -1 : eot,
            UnkId = IdOfToken("unk_token") ?? data.UnkId,
            PadId = IdOfToken("pad_token") ?? data.PadId,
            AddBos = tc?.GetBool("add_bos_token", configPath) ?? data.AddBos ?? true,
            AddEos = tc?.GetBool("add_eos_token", configPath) ?? data.AddEos,
        };
        try
        {
            data.Validate();
        }
        catch (ArgumentException e)
        {
            throw new HfCheckpointException($"{directory}: the tokenizer is inconsistent: {e.Message}");
        }
        return (data, tc is { } t ? ChatTemplate(t, configPath) : null);
    }

    private static string? ChatTemplate(JsonElement tc, string path) => tc.Get("chat_template") switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } s => s.GetString(),
        // [{"name": "default", "template": "…"}, {"name": "tool_use", …}]: GGUF holds the default one.
        { ValueKind: JsonValueKind.Array } list => list.EnumerateArray()
            .Where(e => e.GetString("name", path) == "default")
            .Select(e => e.GetString("template", path)).FirstOrDefault(),
        var v => throw new HfCheckpointException($"{path}: chat_template is neither a string nor a list of named templates ({v.Value.ValueKind})"),
    };

    /// <summary>A byte-level BPE tokenizer.json as "gpt2" data; null when the file's model is something else (a SentencePiece-style BPE with byte fallback, WordPiece, Unigram).</summary>
    private static TokenizerData? ReadByteLevel(string path, int configVocab)
    {
        using var doc = HfJson.Read(path);
        var root = doc.RootElement;
        var model = root.Get("model") ?? throw new HfCheckpointException($"{path}: no \"model\"");
        if (model.GetString("type", path) != "BPE" || model.GetBool("byte_fallback", path) == true) return null;
        if (!Mentions(root.Get("pre_tokenizer"), "ByteLevel") && !Mentions(root.Get("decoder"), "ByteLevel")) return null;
        var vocab = model.Get("vocab") is { ValueKind: JsonValueKind.Object } v ? v : throw new HfCheckpointException($"{path}: model.vocab is not an object");

        var byId = new Dictionary<int, (string Token, int Type)>();
        foreach (var e in vocab.EnumerateObject())
        {
            int id = e.Value.ValueKind == JsonValueKind.Number && e.Value.TryGetInt32(out int x) && x >= 0 && x < 1 << 24 ? x
                : throw new HfCheckpointException($"{path}: the id of '{e.Name}' is {e.Value.GetRawText()}");
            if (!byId.TryAdd(id, (e.Name, (int)TokenType.Normal)))
                throw new HfCheckpointException($"{path}: id {id} is given to both '{byId[id].Token}' and '{e.Name}'");
        }
        if (root.Get("added_tokens") is { ValueKind: JsonValueKind.Array } added)
            foreach (var a in added.EnumerateArray())
            {
                int id = a.GetInt("id", path, 0, (1 << 24) - 1) ?? throw new HfCheckpointException($"{path}: an added token has no id");
                string content = a.GetString("content", path) ?? throw new HfCheckpointException($"{path}: added token {id} has no content");
                byId[id] = (content, (int)(a.GetBool("special", path) == true ? TokenType.Control : TokenType.UserDefined));
            }
        int n = Math.Max(byId.Count == 0 ? 0 : byId.Keys.Max() + 1, configVocab);
        if (n > configVocab)
            throw new HfCheckpointException($"{path}: the tokenizer has ids up to {n - 1} but config.json's vocab_size is {configVocab}");
        var tokens = new string[n];
        var types = new int[n];
        for (int i = 0; i < n; i++)
            (tokens[i], types[i]) = byId.TryGetValue(i, out var t) ? t : ($"[PAD{i}]", (int)TokenType.Unused);

        var merges = new List<string>();
        if (model.Get("merges") is { ValueKind: JsonValueKind.Array } m)
            foreach (var e in m.EnumerateArray())
                merges.Add(e.ValueKind switch
                {
                    JsonValueKind.String => e.GetString()!,
                    JsonValueKind.Array when e.GetArrayLength() == 2 && e[0].ValueKind == JsonValueKind.String && e[1].ValueKind == JsonValueKind.String
                        => e[0].GetString() + " " + e[1].GetString(),
                    _ => throw new HfCheckpointException($"{path}: merge {e.GetRawText()} is neither \"left right\" nor [\"left\", \"right\"]"),
                });
        return new TokenizerData
        {
            Model = "gpt2",
            Pre = PreName(root.Get("pre_tokenizer"), path),
            Tokens = tokens,
            TokenTypes = types,
            Merges = merges.ToArray(),
        };
    }

    private static bool Mentions(JsonElement? e, string type) => e is { } x && x.GetRawText().Contains($"\"{type}\"", StringComparison.Ordinal);

    /// <summary>The llama.cpp name of a pre-tokenizer: by its split regex, or "gpt-2" for a lone ByteLevel that splits with its own regex.</summary>
    private static string PreName(JsonElement? pre, string path)
    {
        if (pre is not { } p) throw new HfCheckpointException($"{path}: no pre_tokenizer; Tern needs to know how text is split before BPE");
        var regexes = new List<string>();
        void Collect(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Object)
            {
                if (e.GetString("type", path) == "Split" && e.Get("pattern")?.Get("Regex") is { ValueKind: JsonValueKind.String } r) regexes.Add(r.GetString()!);
                foreach (var child in e.EnumerateObject()) Collect(child.Value);
            }
            else if (e.ValueKind == JsonValueKind.Array)
                foreach (var child in e.EnumerateArray()) Collect(child);
        }
        Collect(p);
        if (regexes.Count == 0 && p.GetString("type", path) == "ByteLevel" && p.GetBool("use_regex", path) != false) return "gpt-2";
        if (regexes.Count == 1 && regexes[0] == Llama3Split) return "llama-bpe";
        if (regexes.Count == 1 && regexes[0] == Qwen2Split) return "qwen2";
        throw new HfCheckpointException(
            $"{path}: the pre-tokenizer ({(regexes.Count == 0 ? p.GetRawText() : string.Join(" then ", regexes))}) is not one Tern knows (the LLaMA-3, Qwen2 and GPT-2 splits); guessing would feed the model token sequences it never saw");
    }

    private static TokenizerData ReadSentencePiece(string path, int configVocab)
    {
        var data = SentencePieceModelFile.ReadModel(path).ToTokenizerData();
        int n = data.Tokens.Length;
        if (n > configVocab) throw new HfCheckpointException($"{path}: {n} pieces but config.json's vocab_size is {configVocab}");
        if (n == configVocab) return data;
        // 1bitLLM: 32000 pieces, vocab_size 32002 — the padding ids become unused tokens.
        var tokens = data.Tokens.Concat(Enumerable.Range(n, configVocab - n).Select(i => $"[PAD{i}]")).ToArray();
        var types = (data.TokenTypes ?? Enumerable.Repeat((int)TokenType.Normal, n).ToArray()).Take(n).Concat(Enumerable.Repeat((int)TokenType.Unused, configVocab - n)).ToArray();
        var scores = data.Scores is null ? null : data.Scores.Take(n).Concat(Enumerable.Repeat(-1e9f, configVocab - n)).ToArray();
        return data with { Tokens = tokens, TokenTypes = types, Scores = scores };
    }
}
