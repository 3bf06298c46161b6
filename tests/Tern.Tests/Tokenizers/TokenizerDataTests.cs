using Tern.Tests.TestSupport;
using Tern.Tokenizers;
using Tern.Gguf;

namespace Tern.Tests.Tokenizers;

public class TokenizerDataTests
{
    [Theory]
    [InlineData(260)]
    [InlineData(300)]
    [InlineData(512)]
    [InlineData(4096)]
    [InlineData(32000)]
    public void TinyByteLevelVocabularyIsValidAtAnySize(int size)
    {
        var data = TokenizerData.CreateTinyByteLevel(size);
        Assert.Equal(size, data.Tokens.Length);
        Assert.Equal(size, data.Tokens.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(size - 259, data.Merges!.Length);
        Assert.Equal(["<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>"], data.Tokens[^3..]);

        var t = Assert.IsType<ByteLevelBpeTokenizer>(Tokenizer.Create(data));
        Assert.Equal(0, t.SkippedMerges); // every merge names tokens that exist
        Assert.Equal((size - 3, size - 2), (t.BosId, t.EosId));
        Assert.Equal(new HashSet<int> { size - 2, size - 1 }, t.EndOfGenerationIds.ToHashSet());
        for (int b = 0; b < 256; b++) Assert.Equal(new[] { (byte)b }, t.TokenBytes(b)); // id = byte value

        foreach (string text in TestTokenizers.VariedTexts)
            Assert.Equal(text, t.Decode(t.Encode(text, addBos: true, parseSpecial: false)));
        Assert.Equal([size - 3, size - 1], t.Encode("<|eot_id|>", addBos: true, parseSpecial: true));

        // Every id decodes (random models emit arbitrary ids).
        var random = new Random(size);
        _ = t.Decode(Enumerable.Range(0, 500).Select(_ => random.Next(size)));
    }

    [Fact]
    public void TinyVocabularyMergesCommonWords()
    {
        var t = Tokenizer.Create(TokenizerData.CreateTinyByteLevel(512));
        Assert.Single(t.Encode(" the", false, false));
        Assert.Equal(2, t.Encode(" Once upon", false, false).Length); // " Once" " upon"
    }

    [Fact]
    public void TinyVocabularyNeedsRoomForBytesMergesAndSpecials()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TokenizerData.CreateTinyByteLevel(259));
    }

    [Fact]
    public void GgufMetadataHasTheTypesAGgufWriterExpects()
    {
        var data = TokenizerData.CreateTinyByteLevel(300) with { Scores = new float[300], PadId = 0 };
        var md = data.ToGgufMetadata().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("gpt2", md["tokenizer.ggml.model"]);
        Assert.Equal("llama-bpe", md["tokenizer.ggml.pre"]);
        Assert.IsType<string[]>(md["tokenizer.ggml.tokens"]);
        Assert.IsType<float[]>(md["tokenizer.ggml.scores"]);
        Assert.IsType<int[]>(md["tokenizer.ggml.token_type"]);
        Assert.IsType<string[]>(md["tokenizer.ggml.merges"]);
        Assert.Equal(297u, md["tokenizer.ggml.bos_token_id"]);
        Assert.Equal(298u, md["tokenizer.ggml.eos_token_id"]);
        Assert.Equal(299u, md["tokenizer.ggml.eot_token_id"]);
        Assert.Equal(0u, md["tokenizer.ggml.padding_token_id"]);
        Assert.False(md.ContainsKey("tokenizer.ggml.unknown_token_id"));
        Assert.Equal(true, md["tokenizer.ggml.add_bos_token"]);
        Assert.All(md.Values, v => Assert.True(v is string or uint or bool or string[] or float[] or int[], v.GetType().Name));

        var back = TokenizerData.FromMetadata(md);
        Assert.Equal(data.Tokens, back.Tokens);
        Assert.Equal(data.Merges, back.Merges);
        Assert.Equal(data.TokenTypes, back.TokenTypes);
        Assert.Equal(data.Scores, back.Scores);
        Assert.Equal((data.BosId, data.EosId, data.UnkId, data.PadId, data.EotId), (back.BosId, back.EosId, back.UnkId, back.PadId, back.EotId));
        Assert.Equal((data.Model, data.Pre, data.AddBos, data.AddEos), (back.Model, back.Pre, back.AddBos, back.AddEos));
    }

    [SharedFact]
    public void ReadsTheBitnet2b4tFileAsWritten()
    {
        using var file = GgufFile.Open(TestTokenizers.Llama3GgufPath);
        var data = TokenizerData.FromGguf(file);
        Assert.Equal("gpt2", data.Model);
        Assert.Null(data.Pre);
        Assert.Equal(128256, data.Tokens.Length);
        Assert.Equal(280147, data.Merges!.Length);
        Assert.Equal((128000, 128001, -1, -1), (data.BosId, data.EosId, data.UnkId, data.PadId));
        Assert.True(data.AddBos);
        Assert.Null(data.AddEos);
    }

    [Fact]
    public void ValidationNamesTheProblem()
    {
        var good = TokenizerData.CreateTinyByteLevel(300);
        Assert.Contains("scores", Assert.Throws<ArgumentException>(() => Tokenizer.Create(good with { Scores = new float[10] })).Message);
        Assert.Contains("BOS", Assert.Throws<ArgumentException>(() => Tokenizer.Create(good with { BosId = 300 })).Message);
        Assert.Contains("type 9", Assert.Throws<ArgumentException>(() => Tokenizer.Create(good with { TokenTypes = [.. good.TokenTypes!.Take(299), 9] })).Message);
        Assert.Contains("add_bos_token", Assert.Throws<ArgumentException>(() => Tokenizer.Create(good with { BosId = -1 })).Message);
        // Without add_bos_token the LLaMA-3 default (add BOS) applies only if there is a BOS.
        Assert.False(Tokenizer.Create(good with { BosId = -1, AddBos = null }).AddBosByDefault);
        Assert.Throws<InvalidOperationException>(() => Tokenizer.Create(good with { BosId = -1, AddBos = null }).Encode("x", addBos: true, parseSpecial: false));
    }

    [Fact]
    public void UnknownModelsAndPreTokenizersAreRefusedByName()
    {
        var good = TokenizerData.CreateTinyByteLevel(300);
        Assert.Contains("'bert'", Assert.Throws<NotSupportedException>(() => Tokenizer.Create(good with { Model = "bert" })).Message);
        Assert.Contains("'tekken'", Assert.Throws<NotSupportedException>(() => Tokenizer.Create(good with { Pre = "tekken" })).Message);
    }

    [Fact]
    public void PreTokenizerNamesSelectTheirSplitRules()
    {
        var good = TokenizerData.CreateTinyByteLevel(300);
        PreTokenizerKind Kind(string? pre) => ((ByteLevelBpeTokenizer)Tokenizer.Create(good with { Pre = pre })).SplitRules;
        Assert.Equal(PreTokenizerKind.Llama3, Kind(null));
        Assert.Equal(PreTokenizerKind.Llama3, Kind("default"));
        Assert.Equal(PreTokenizerKind.Llama3, Kind("falcon3"));
        Assert.Equal(PreTokenizerKind.Gpt2, Kind("gpt-2"));
        Assert.Equal(PreTokenizerKind.Qwen2, Kind("qwen2"));
        // Without add_bos_token, GPT-2-style vocabularies do not add BOS; LLaMA-3-style ones do.
        Assert.False(Tokenizer.Create(good with { Pre = "gpt-2", AddBos = null }).AddBosByDefault);
        Assert.True(Tokenizer.Create(good with { Pre = "llama-bpe", AddBos = null }).AddBosByDefault);
    }

    [Fact]
    public void UserDefinedTokensAreAlwaysMatchedControlTokensOnlyWhenParsingSpecial()
    {
        var tiny = TokenizerData.CreateTinyByteLevel(300);
        var data = tiny with { Tokens = [.. tiny.Tokens, "<tool>"], TokenTypes = [.. tiny.TokenTypes!, (int)TokenType.UserDefined] };
        var t = Tokenizer.Create(data);
        Assert.Contains(300, t.Encode("a<tool>b", addBos: false, parseSpecial: false));
        Assert.DoesNotContain(299, t.Encode("a<|eot_id|>b", addBos: false, parseSpecial: false));
        Assert.Contains(299, t.Encode("a<|eot_id|>b", addBos: false, parseSpecial: true));
        Assert.Equal("a<tool>b", t.Decode(t.Encode("a<tool>b", false, false))); // user-defined tokens decode to their text
    }

    [Fact]
    public void LongerSpecialTokensWinOverShorterOnes()
    {
        var tiny = TokenizerData.CreateTinyByteLevel(300);
        var data = tiny with { Tokens = [.. tiny.Tokens, "<x>", "<x><y>"], TokenTypes = [.. tiny.TokenTypes!, 3, 3] };
        var t = Tokenizer.Create(data);
        Assert.Equal([301, 300], t.Encode("<x><y><x>", addBos: false, parseSpecial: true));
    }
}
