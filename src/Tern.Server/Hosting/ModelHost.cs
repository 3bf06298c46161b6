using Tern.Chat;
using Tern.Models;
using Tern.Serving;
using Tern.Tokenizers;

namespace Tern.Server.Hosting;

/// <summary>
/// The loaded model and its scheduler. Loading runs in the background after the server starts listening, so that
/// /health can answer 503 ("loading") until it is done, as llama-server does.
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly ServerOptions _options;
    private volatile Loaded? _loaded;
    private volatile Exception? _error;

    public ModelHost(ServerOptions options)
    {
        _options = options;
        ModelId = options.ModelAlias ?? Path.GetFileNameWithoutExtension(options.ModelPath);
        Created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
    }

    public string ModelId { get; }
    public long Created { get; }
    public bool IsReady => _loaded is not null;
    /// <summary>Why loading failed, if it did.</summary>
    public Exception? LoadError => _error;

    public Scheduler Scheduler => Get().Scheduler;
    public Tokenizer Tokenizer => Get().Tokenizer;
    public ChatTemplate Template => Get().Template;
    public Model Model => Get().Model;

    private Loaded Get() => _loaded ?? throw new InvalidOperationException("the model is not loaded yet");

    public void Load()
    {
        try
        {
            var model = Model.Load(_options.ModelPath, new ModelOptions { I2SLayout = _options.I2SLayout });
            try
            {
                var tokenizer = Tokenizer.FromGguf(model.File);
                var template = ChatTemplate.FromGguf(model.File);
                var scheduler = new Scheduler(model, tokenizer, new SchedulerOptions
                {
                    Slots = _options.Slots,
                    ContextSize = _options.ContextSize,
                    CacheType = _options.CacheType,
                    KvBudgetBytes = _options.KvBudgetBytes,
                    MaxQueue = _options.MaxQueue,
                    StepTokens = Math.Max(_options.StepTokens, _options.Slots),
                    Threads = _options.Threads,
                    TopKOutput = _options.TopKOutput,
                });
                _loaded = new Loaded(model, tokenizer, template, scheduler);
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        catch (Exception ex)
        {
            _error = ex;
            throw;
        }
    }

    public void Dispose()
    {
        var l = _loaded;
        _loaded = null;
        if (l is null) return;
        l.Scheduler.Dispose();
        l.Model.Dispose();
    }

    private sealed record Loaded(Model Model, Tokenizer Tokenizer, ChatTemplate Template, Scheduler Scheduler);
}
