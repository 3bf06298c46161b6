using Microsoft.Extensions.AI;

namespace Tern.Extensions.AI;

/// <summary>
/// <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over Tern: each text's final hidden states, mean-pooled and
/// L2-normalized, computed by the shared scheduler between its steps.
/// </summary>
public sealed class TernEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly TernModel _model;
    private readonly bool _owns;

    public TernEmbeddingGenerator(TernModel model, bool ownsModel = false)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _owns = ownsModel;
        Metadata = new EmbeddingGeneratorMetadata("tern", null, model.Id, model.Model.Config.Dim);
    }

    public EmbeddingGeneratorMetadata Metadata { get; }

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is int d && d != _model.Model.Config.Dim)
            throw new NotSupportedException($"EmbeddingGenerationOptions.Dimensions: this model's embeddings have {_model.Model.Config.Dim} dimensions");
        var result = new GeneratedEmbeddings<Embedding<float>>();
        long tokens = 0;
        foreach (var text in values)
        {
            var ids = _model.Tokenizer.Encode(text, _model.Tokenizer.AddBosByDefault, parseSpecial: false);
            if (ids.Length == 0) throw new ArgumentException("an input has no tokens", nameof(values));
            tokens += ids.Length;
            var vector = await _model.Scheduler.EmbedAsync(ids, cancellationToken);
            result.Add(new Embedding<float>(vector) { ModelId = _model.Id, CreatedAt = DateTimeOffset.UtcNow });
        }
        result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(_model)) return _model;
        return null;
    }

    public void Dispose()
    {
        if (_owns) _model.Dispose();
    }
}
