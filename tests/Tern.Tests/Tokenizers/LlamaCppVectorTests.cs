using Tern.Gguf;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Tokenizers;

/// <summary>
/// Golden tests: llama.cpp's own tokenizer vectors. Expected ids come from llama.cpp's test-tokenizer-0 run against
/// its ggml-vocab-llama-bpe.gguf (LLaMA-3) and ggml-vocab-llama-spm.gguf (LLaMA-2) files.
/// </summary>
public class LlamaCppVectorTests
{
    [SharedFact]
    public void VectorFilesHold46CasesEach()
    {
        Assert.Equal(46, LlamaCppVectors.Load("ggml-vocab-llama-bpe.gguf").Count);
        var spm = LlamaCppVectors.Load("ggml-vocab-llama-spm.gguf");
        Assert.Equal(46, spm.Count);
        // Spot-check the format: an empty input, and inputs that are only newlines.
        Assert.Contains(spm, c => c.Input == "" && c.Expected.Length == 0);
        Assert.Contains(spm, c => c.Input == "\n\n");
    }

    [SharedFact]
    public void Llama3VocabularyMatchesLlamaCppBpeVectors()
    {
        // bitnet-2b4t-vocab.gguf holds the same LLaMA-3 vocabulary and merges as llama.cpp's ggml-vocab-llama-bpe.gguf.
        using var file = GgufFile.Open(SharedData.PathOf("oracle", "tokenizers", "llama3", "bitnet-2b4t-vocab.gguf"));
        var tokenizer = Tokenizer.FromGguf(file);
        var cases = LlamaCppVectors.Load("ggml-vocab-llama-bpe.gguf");
        var failures = LlamaCppVectors.Mismatches(t => tokenizer.Encode(t, addBos: false, parseSpecial: false), cases);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SharedFact]
    public void Llama2VocabularyMatchesLlamaCppSpmVectors()
    {
        using var file = GgufFile.Open(SharedData.PathOf("oracle", "tokenizers", "llama2", "ggml-vocab-llama-spm.gguf"));
        var tokenizer = Tokenizer.FromGguf(file);
        var cases = LlamaCppVectors.Load("ggml-vocab-llama-spm.gguf");
        var failures = LlamaCppVectors.Mismatches(t => tokenizer.Encode(t, addBos: false, parseSpecial: false), cases);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SharedFact]
    public void VectorsRoundTripThroughDecode()
    {
        using var bpeFile = GgufFile.Open(SharedData.PathOf("oracle", "tokenizers", "llama3", "bitnet-2b4t-vocab.gguf"));
        using var spmFile = GgufFile.Open(SharedData.PathOf("oracle", "tokenizers", "llama2", "ggml-vocab-llama-spm.gguf"));
        foreach (var (tokenizer, name) in new[] { (Tokenizer.FromGguf(bpeFile), "ggml-vocab-llama-bpe.gguf"), (Tokenizer.FromGguf(spmFile), "ggml-vocab-llama-spm.gguf") })
            foreach (var (input, expected) in LlamaCppVectors.Load(name))
                Assert.Equal(input, tokenizer.Decode(expected));
    }
}
