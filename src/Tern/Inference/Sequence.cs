using Tern.Models;

namespace Tern.Inference;

/// <summary>One sequence (conversation): its tokens so far and its KV cache.</summary>
public sealed class Sequence
{
    private readonly List<int> _tokens = new();

    public Sequence(Model model, int contextSize, KvCacheType cacheType = KvCacheType.F32)
    {
        Cache = new KvCache(model.Config, contextSize, cacheType);
    }

    public KvCache Cache { get; }
    public int Length => _tokens.Count;
    public IReadOnlyList<int> Tokens => _tokens;

    internal void Append(int token) => _tokens.Add(token);

    internal void Append(ReadOnlySpan<int> tokens)
    {
        foreach (int t in tokens) _tokens.Add(t);
    }

    /// <summary>Forgets every token from <paramref name="length"/> on (their cache entries are simply overwritten later).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > _tokens.Count) throw new ArgumentOutOfRangeException(nameof(length));
        _tokens.RemoveRange(length, _tokens.Count - length);
    }
}
