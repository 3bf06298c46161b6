using Tern.Gguf;

namespace Tern.Tokenizers;

/// <summary>GGUF metadata key names for tokenizers (as llama.cpp writes them).</summary>
public static class TokenizerGgufKeys
{
    public const string Model = "tokenizer.ggml.model";
    public const string Pre = "tokenizer.ggml.pre";
    public const string Tokens = "tokenizer.ggml.tokens";
    public const string Scores = "tokenizer.ggml.scores";
    public const string TokenType = "tokenizer.ggml.token_type";
    public const string Merges = "tokenizer.ggml.merges";
    public const string BosId = "tokenizer.ggml.bos_token_id";
    public const string EosId = "tokenizer.ggml.eos_token_id";
    public const string UnkId = "tokenizer.ggml.unknown_token_id";
    public const string PadId = "tokenizer.ggml.padding_token_id";
    public const string EotId = "tokenizer.ggml.eot_token_id";
    public const string AddBos = "tokenizer.ggml.add_bos_token";
    public const string AddEos = "tokenizer.ggml.add_eos_token";
    public const string AddSpacePrefix = "tokenizer.ggml.add_space_prefix";
    public const string ChatTemplate = "tokenizer.chat_template";
}

public sealed partial record TokenizerData
{
    /// <summary>Reads the <c>tokenizer.ggml.*</c> keys of an open GGUF file.</summary>
    public static TokenizerData FromGguf(GgufFile file) => FromMetadata(file.Metadata);

    /// <summary>
    /// Reads tokenizer metadata from a key/value map whose arrays are either <see cref="GgufArray"/> (as
    /// <see cref="GgufFile.Metadata"/> holds them) or plain CLR arrays (as <see cref="ToGgufMetadata"/> yields them).
    /// Absent special-token ids of a "llama" vocabulary default to llama.cpp's LLaMA ids (BOS 1, EOS 2, UNK 0) when
    /// those tokens exist.
    /// </summary>
    public static TokenizerData FromMetadata(IReadOnlyDictionary<string, object> md)
    {
        string model = StringOf(md, TokenizerGgufKeys.Model)
            ?? throw new GgufFormatException($"missing '{TokenizerGgufKeys.Model}': the file has no tokenizer");
        string[] tokens = ArrayOf<string>(md, TokenizerGgufKeys.Tokens)
            ?? throw new GgufFormatException($"missing '{TokenizerGgufKeys.Tokens}'");
        bool spm = model == "llama";
        int DefaultId(int id) => spm && id < tokens.Length ? id : -1;
        return new TokenizerData
        {
            Model = model,
            Pre = StringOf(md, TokenizerGgufKeys.Pre),
            Tokens = tokens,
            Scores = ArrayOf<float>(md, TokenizerGgufKeys.Scores),
            TokenTypes = ArrayOf<int>(md, TokenizerGgufKeys.TokenType),
            Merges = ArrayOf<string>(md, TokenizerGgufKeys.Merges),
            BosId = IdOf(md, TokenizerGgufKeys.BosId) ?? DefaultId(1),
            EosId = IdOf(md, TokenizerGgufKeys.EosId) ?? DefaultId(2),
            UnkId = IdOf(md, TokenizerGgufKeys.UnkId) ?? DefaultId(0),
            PadId = IdOf(md, TokenizerGgufKeys.PadId) ?? -1,
            EotId = IdOf(md, TokenizerGgufKeys.EotId) ?? -1,
            AddBos = BoolOf(md, TokenizerGgufKeys.AddBos),
            AddEos = BoolOf(md, TokenizerGgufKeys.AddEos),
            AddSpacePrefix = BoolOf(md, TokenizerGgufKeys.AddSpacePrefix),
        };
    }

    /// <summary>
    /// The metadata a GGUF writer should store for this tokenizer. Values are typed as GGUF expects them:
    /// string, uint (token ids), bool, string[], float[], int[] (token types). Absent parts are left out.
    /// </summary>
    public IEnumerable<KeyValuePair<string, object>> ToGgufMetadata()
    {
        yield return new(TokenizerGgufKeys.Model, Model);
        if (Pre is not null) yield return new(TokenizerGgufKeys.Pre, Pre);
        yield return new(TokenizerGgufKeys.Tokens, Tokens);
        if (Scores is not null) yield return new(TokenizerGgufKeys.Scores, Scores);
        if (TokenTypes is not null) yield return new(TokenizerGgufKeys.TokenType, TokenTypes);
        if (Merges is not null) yield return new(TokenizerGgufKeys.Merges, Merges);
        if (BosId >= 0) yield return new(TokenizerGgufKeys.BosId, (uint)BosId);
        if (EosId >= 0) yield return new(TokenizerGgufKeys.EosId, (uint)EosId);
        if (UnkId >= 0) yield return new(TokenizerGgufKeys.UnkId, (uint)UnkId);
        if (PadId >= 0) yield return new(TokenizerGgufKeys.PadId, (uint)PadId);
        if (EotId >= 0) yield return new(TokenizerGgufKeys.EotId, (uint)EotId);
        if (AddBos is bool bos) yield return new(TokenizerGgufKeys.AddBos, bos);
        if (AddEos is bool eos) yield return new(TokenizerGgufKeys.AddEos, eos);
        if (AddSpacePrefix is bool space) yield return new(TokenizerGgufKeys.AddSpacePrefix, space);
    }

    private static string? StringOf(IReadOnlyDictionary<string, object> md, string key) =>
        !md.TryGetValue(key, out var v) ? null
        : v as string ?? throw new GgufFormatException($"metadata '{key}' should be a string but is {v.GetType().Name}");

    private static bool? BoolOf(IReadOnlyDictionary<string, object> md, string key) =>
        !md.TryGetValue(key, out var v) ? null
        : v switch
        {
            bool b => b,
            byte or sbyte or short or ushort or int or uint or long or ulong => Convert.ToInt64(v) != 0,
            _ => throw new GgufFormatException($"metadata '{key}' should be a bool but is {v.GetType().Name}"),
        };

    private static int? IdOf(IReadOnlyDictionary<string, object> md, string key)
    {
        if (!md.TryGetValue(key, out var v)) return null;
        long id = v switch
        {
            byte or sbyte or short or ushort or int or uint or long => Convert.ToInt64(v),
            ulong u when u <= int.MaxValue => (long)u,
            _ => throw new GgufFormatException($"metadata '{key}' should be an integer token id but is {v}"),
        };
        if (id is < -1 or > int.MaxValue) throw new GgufFormatException($"metadata '{key}' = {id} is not a token id");
        return (int)id;
    }

    /// <summary>An array value of element type T; integer arrays are widened/converted to int or float as needed.</summary>
    private static T[]? ArrayOf<T>(IReadOnlyDictionary<string, object> md, string key)
    {
        if (!md.TryGetValue(key, out var v)) return null;
        Array values = v switch
        {
            GgufArray g => g.Values,
            Array a => a,
            _ => throw new GgufFormatException($"metadata '{key}' should be an array but is {v.GetType().Name}"),
        };
        if (values is T[] typed) return typed;
        bool numericSource = values is byte[] or sbyte[] or short[] or ushort[] or int[] or uint[] or long[] or ulong[] or float[] or double[];
        if (numericSource && typeof(T) == typeof(int))
        {
            // Some writers store token types with other integer widths.
            var result = new int[values.Length];
            for (int i = 0; i < result.Length; i++) result[i] = Convert.ToInt32(values.GetValue(i));
            return (T[])(object)result;
        }
        if (numericSource && typeof(T) == typeof(float))
        {
            // llama.cpp also accepts int32 scores.
            var result = new float[values.Length];
            for (int i = 0; i < result.Length; i++) result[i] = Convert.ToSingle(values.GetValue(i));
            return (T[])(object)result;
        }
        throw new GgufFormatException($"metadata '{key}' should be an array of {typeof(T).Name} but holds {values.GetType().GetElementType()?.Name}");
    }
}
