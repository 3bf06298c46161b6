using System.Text;
using Tern.Gguf;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Tokenizers;

public class SentencePieceModelFileTests
{
    [SharedFact]
    public void ReadsTheLlama2ModelExactlyAsTheGgufHoldsIt()
    {
        var (pieces, scores, types) = SentencePieceModelFile.Read(SharedData.PathOf("oracle", "tokenizers", "llama2", "tokenizer.model"));
        using var gguf = GgufFile.Open(TestTokenizers.Llama2GgufPath);
        Assert.Equal(32000, pieces.Length);
        Assert.Equal(gguf.GetArray<string>("tokenizer.ggml.tokens"), pieces);
        Assert.Equal(gguf.GetArray<float>("tokenizer.ggml.scores"), scores);
        Assert.Equal(gguf.GetArray<int>("tokenizer.ggml.token_type"), types);
    }

    [SharedFact]
    public void ReadsTheLlama2TrainerAndNormalizerSettings()
    {
        var model = SentencePieceModelFile.ReadModel(SharedData.PathOf("oracle", "tokenizers", "llama2", "tokenizer.model"));
        Assert.Equal(SentencePieceModel.Bpe, model.ModelType);
        Assert.Equal((0, 1, 2, -1), (model.UnkId, model.BosId, model.EosId, model.PadId));
        Assert.True(model.AddDummyPrefix);
        Assert.False(model.RemoveExtraWhitespaces);
        Assert.Equal("identity", model.NormalizerName);

        var data = model.ToTokenizerData();
        Assert.Equal("llama", data.Model);
        Assert.Equal((1, 2, 0, -1), (data.BosId, data.EosId, data.UnkId, data.PadId));
        Assert.True(data.AddBos);
    }

    [SharedFact]
    public void ReadsTheBitllama2cModelAndAgreesWithLlama2cTokenizerBin()
    {
        string dir = SharedData.PathOf("oracle", "bitllama2c");
        var model = SentencePieceModelFile.ReadModel(Path.Combine(dir, "tokenizer.model"));
        Assert.Equal(512, model.Pieces.Length);
        Assert.Equal(SentencePieceModel.Bpe, model.ModelType);
        Assert.Equal(["<unk>", "<s>", "</s>", "<0x00>"], model.Pieces[..4]);
        Assert.Equal([2, 3, 3, 6], model.Types[..4]);

        // llama2.c's tokenizer.bin, exported from the same model: u32 max length, then per token f32 score, u32
        // length, bytes — with "▁" written as a space and <s>/</s> as "\n<s>\n" / "\n</s>\n".
        using var reader = new BinaryReader(File.OpenRead(Path.Combine(dir, "tokenizer.bin")));
        reader.ReadUInt32();
        for (int i = 0; i < 512; i++)
        {
            float score = reader.ReadSingle();
            string text = Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32()));
            string expected = i == 1 ? "\n<s>\n" : i == 2 ? "\n</s>\n" : model.Pieces[i].Replace('▁', ' ');
            Assert.Equal(expected, text);
            Assert.Equal(score, model.Scores[i]);
        }
        Assert.Equal(reader.BaseStream.Length, reader.BaseStream.Position);

        var tokenizer = Tokenizer.Create(model.ToTokenizerData());
        foreach (string text in TestTokenizers.VariedTexts)
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }

    [Fact]
    public void RejectsTruncatedAndEmptyData()
    {
        // One piece: field 1 (pieces), length 5: { field 1 (piece) "ab", field 3 (type) 1 }.
        byte[] valid = [0x0A, 0x06, 0x0A, 0x02, (byte)'a', (byte)'b', 0x18, 0x01];
        var model = SentencePieceModelFile.Parse(valid);
        Assert.Equal(["ab"], model.Pieces);
        Assert.Equal([1], model.Types);
        Assert.Equal([0f], model.Scores);

        Assert.Throws<InvalidDataException>(() => SentencePieceModelFile.Parse(valid.AsSpan(0, valid.Length - 3)));
        Assert.Throws<InvalidDataException>(() => SentencePieceModelFile.Parse([]));
        Assert.Throws<InvalidDataException>(() => SentencePieceModelFile.Parse([0x0B])); // wire type 3 (groups) is not used
    }

    [Fact]
    public void RefusesUnigramModelsForTokenizing()
    {
        var unigram = new SentencePieceModel(["<unk>", "a"], [0, -1], [2, 1], SentencePieceModel.Unigram, 0, -1, -1, -1, true, false, null);
        var e = Assert.Throws<NotSupportedException>(() => unigram.ToTokenizerData());
        Assert.Contains("type 1", e.Message);
    }
}
