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
        var tokenizer = TestTokenizers.Llama3;
        var cases = LlamaCppVectors.Load("ggml-vocab-llama-bpe.gguf");
        var failures = LlamaCppVectors.Mismatches(t => tokenizer.Encode(t, addBos: false, parseSpecial: false), cases);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SharedFact]
    public void Llama2VocabularyMatchesLlamaCppSpmVectors()
    {
        var tokenizer = TestTokenizers.Llama2;
        var cases = LlamaCppVectors.Load("ggml-vocab-llama-spm.gguf");
        var failures = LlamaCppVectors.Mismatches(t => tokenizer.Encode(t, addBos: false, parseSpecial: false), cases);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [SharedFact]
    public void VectorsRoundTripThroughDecode()
    {
        foreach (var (tokenizer, name) in new[] { (TestTokenizers.Llama3, "ggml-vocab-llama-bpe.gguf"), (TestTokenizers.Llama2, "ggml-vocab-llama-spm.gguf") })
            foreach (var (input, expected) in LlamaCppVectors.Load(name))
                Assert.Equal(input, tokenizer.Decode(expected));
    }
}
