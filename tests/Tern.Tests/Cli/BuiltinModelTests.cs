using Tern.Cli.BuiltinModel;
using Tern.Conversion;
using Tern.Inference;
using Tern.Models;
using Tern.Sampling;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Cli;

/// <summary>The demo model the tool runs when no -m is given (src/Tern.Cli/BuiltinModel).</summary>
public class BuiltinModelTests
{
    [Fact]
    public void IsWrittenOnceIntoTheCacheAndReused()
    {
        using var dir = new TempDir();
        string path = BuiltinModel.EnsureFile(dir.Path);
        Assert.StartsWith(Path.Combine(dir.Path, "builtin"), path);
        var written = File.GetLastWriteTimeUtc(path);
        Assert.Equal(path, BuiltinModel.EnsureFile(dir.Path));
        Assert.Equal(written, File.GetLastWriteTimeUtc(path));
        Assert.Single(Directory.GetFiles(Path.Combine(dir.Path, "builtin"))); // no temporary file left behind
    }

    [Fact]
    public void ATruncatedCopyInTheCacheIsReplaced()
    {
        using var dir = new TempDir();
        string path = BuiltinModel.EnsureFile(dir.Path);
        long length = new FileInfo(path).Length;
        File.WriteAllBytes(path, new byte[100]);
        Assert.Equal(path, BuiltinModel.EnsureFile(dir.Path));
        Assert.Equal(length, new FileInfo(path).Length);
    }

    [Fact]
    public void TellsAStoryAndEndsItAtBos()
    {
        using var dir = new TempDir();
        using var model = Model.Load(BuiltinModel.EnsureFile(dir.Path));
        var tokenizer = Tokenizer.FromGguf(model.File);
        Assert.Contains(1, tokenizer.EndOfGenerationIds);
        using var ev = new Evaluator(model, threads: 1);
        using var seq = new Sequence(model, model.Config.ContextLength);
        var ids = new List<int>();
        var logits = ev.Decode(seq, [1]);
        while (ids.Count < 500)
        {
            int next = Sampler.Argmax(logits);
            if (tokenizer.EndOfGenerationIds.Contains(next)) break;
            ids.Add(next);
            logits = ev.Decode(seq, [next]);
        }
        Assert.InRange(ids.Count, 64, 499); // the greedy story ends (at BOS) well inside the context
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", tokenizer.Decode(ids));
    }

    [SharedFact]
    public void IsAFreshConversionOfTheOriginal()
    {
        using var dir = new TempDir();
        string converted = dir.File("fresh.gguf");
        string oracle = SharedData.PathOf("oracle", "bitllama2c");
        BitLlama2cConverter.Convert(Path.Combine(oracle, "stories1M_bit_model.bin"), Path.Combine(oracle, "tokenizer.model"), converted);
        Assert.True(File.ReadAllBytes(converted).AsSpan().SequenceEqual(File.ReadAllBytes(BuiltinModel.EnsureFile(dir.Path))),
            "src/Tern.Cli/BuiltinModel/stories1M.gguf differs from a fresh conversion: regenerate it with the command in its README");
    }
}
