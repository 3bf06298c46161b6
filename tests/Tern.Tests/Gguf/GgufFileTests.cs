using Tern.Gguf;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Gguf;

public class GgufFileTests
{
    [SharedFact]
    public void ReadsVocabularyOnlyFileWrittenByLlamaCpp()
    {
        using var f = GgufFile.Open(SharedData.PathOf("oracle", "tokenizers", "llama2", "ggml-vocab-llama-spm.gguf"));
        Assert.Equal("llama", f.Architecture);
        Assert.Empty(f.Tensors);
        var tokens = f.GetArray<string>("tokenizer.ggml.tokens")!;
        Assert.Equal(32000, tokens.Length);
        Assert.Equal("<s>", tokens[1]);
        Assert.Equal(32000, f.GetArray<float>("tokenizer.ggml.scores")!.Length);
    }

    [SharedFact]
    public void ReadsBitnetCppModelAndItsTensorTable()
    {
        using var f = GgufFile.Open(SharedData.PathOf("oracle", "bitnet-cpp", "tiny-i2_s.gguf"));
        Assert.Equal("bitnet-25", f.Architecture);
        var q = f.GetTensor("blk.0.attn_q.weight");
        Assert.Equal(GgmlType.I2_S, q.Type);
        Assert.Equal(new long[] { 256, 256 }, q.Dims);
        Assert.Equal(256L * 256 / 4 + 32, q.ByteSize);
        Assert.Equal(GgmlType.F16, f.GetTensor("token_embd.weight").Type);
        Assert.Equal(256, f.GetInt32("bitnet-25.embedding_length"));
    }
}
