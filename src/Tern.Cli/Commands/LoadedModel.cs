using System.Diagnostics;
using Tern.Inference;
using Tern.Models;
using Tern.Tokenizers;

namespace Tern.Cli.Commands;

/// <summary>A model, its tokenizer and an evaluator, opened for one command.</summary>
internal sealed class LoadedModel : IDisposable
{
    public LoadedModel(string path, int threads, CliIO io, string? i2sLayout = null)
    {
        threads = CommonOptions.CheckThreads(threads, io);
        var layout = CommonOptions.ParseI2SLayout(i2sLayout);
        var clock = Stopwatch.StartNew();
        Model = Model.Load(path, new ModelOptions { I2SLayout = layout });
        try
        {
            Tokenizer = Tokenizer.FromGguf(Model.File);
            Evaluator = new Evaluator(Model, threads);
        }
        catch
        {
            Model.Dispose();
            throw;
        }
        CommonOptions.ReportI2SLayout(Model, io);
        io.Err.WriteLine($"loaded {Path.GetFileName(path)}: {Model.Config} | kernel {Model.Kernel.Name} | {CommonOptions.ThreadCount(threads)} | {clock.ElapsedMilliseconds} ms");
    }

    public Model Model { get; }
    public Tokenizer Tokenizer { get; }
    public Evaluator Evaluator { get; }

    public void Dispose()
    {
        Evaluator.Dispose();
        Model.Dispose();
    }
}
