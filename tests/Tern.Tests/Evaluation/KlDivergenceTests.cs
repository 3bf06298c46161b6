using Tern.Cli.BuiltinModel;
using Tern.Evaluation;
using Tern.Inference;
using Tern.Models;
using Tern.Tests.TestSupport;
using Tern.Tokenizers;

namespace Tern.Tests.Evaluation;

/// <summary>The KL-divergence mode: a base file of one run, compared with another run on the same tokens.</summary>
public sealed class KlDivergenceTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly Model _model;
    private readonly int[] _tokens;
    private readonly PerplexityOptions _options = new() { Context = 32, BosId = 1 };

    public KlDivergenceTests()
    {
        _model = Model.Load(BuiltinModel.EnsureFile(_dir.Path));
        _tokens = Tokenizer.FromGguf(_model.File).Encode(PerplexityTests.Story);
    }

    public void Dispose()
    {
        _model.Dispose();
        _dir.Dispose();
    }

    private string WriteBase()
    {
        string path = _dir.File("base.kld");
        int chunks = Perplexity.ChunkCount(_tokens.Length, _options);
        using var ev = new Evaluator(_model, 2);
        using (var w = new KlBaseFile.Writer(path, _options.Context, _model.Config.VocabSize, chunks, _tokens))
        {
            Perplexity.Run(ev, _tokens, _options, onScored: (_, _, _, logits) => w.Add(logits));
            w.Complete();
        }
        Assert.False(File.Exists(path + ".tmp"));
        return path;
    }

    private KlDivergenceReport Compare(string basePath, PerplexityOptions options, int threads)
    {
        using var reader = new KlBaseFile.Reader(basePath);
        Assert.Equal(_tokens, reader.Tokens);
        var kl = new KlDivergence(reader.Vocab);
        using var ev = new Evaluator(_model, threads);
        Perplexity.Run(ev, reader.Tokens, options, onScored: (_, _, target, logits) => kl.Add(reader.Next(), logits, target));
        return kl.Report();
    }

    [Fact]
    public void TheSameComputationDivergesByNothing()
    {
        var r = Compare(WriteBase(), _options with { Batch = 7 }, threads: 1);
        Assert.Equal(0.0, r.Kld.Max);
        Assert.Equal(0.0, r.Kld.Min);
        Assert.Equal(0.0, r.DeltaP.Max);
        Assert.Equal(0.0, r.DeltaP.Min);
        Assert.Equal(1.0, r.SameTop);
        Assert.Equal(r.BasePerplexity, r.Perplexity);
    }

    [Fact]
    public void AnF16CacheDivergesALittle()
    {
        var r = Compare(WriteBase(), _options with { CacheType = KvCacheType.F16 }, threads: 2);
        Assert.True(r.Kld.Mean > 0, "F16 rounding of keys and values changes the distributions");
        Assert.True(r.Kld.Max < 0.05, $"but only slightly: max KLD {r.Kld.Max}");
        Assert.True(r.Kld.Min >= -1e-12);
        Assert.InRange(r.SameTop, 0.9, 1.0);
        Assert.InRange(r.Perplexity / r.BasePerplexity, 0.98, 1.02);
    }

    [Fact]
    public void ATruncatedOrForeignBaseFileIsRefusedByName()
    {
        string path = WriteBase();
        var bytes = File.ReadAllBytes(path);
        string cut = _dir.File("cut.kld");
        File.WriteAllBytes(cut, bytes[..(bytes.Length - 4)]);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => new KlBaseFile.Reader(cut)).Message);
        string foreign = _dir.File("foreign.kld");
        File.WriteAllBytes(foreign, new byte[100]);
        Assert.Contains("not a Tern KL-divergence base file", Assert.Throws<InvalidDataException>(() => new KlBaseFile.Reader(foreign)).Message);
        string huge = _dir.File("huge.kld");
        var header = bytes[..24];
        BitConverter.GetBytes(int.MaxValue).CopyTo(header, 20); // a token count far past the file
        File.WriteAllBytes(huge, header);
        Assert.Throws<InvalidDataException>(() => new KlBaseFile.Reader(huge));
    }
}
