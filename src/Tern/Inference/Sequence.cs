using Tern.Models;

namespace Tern.Inference;

/// <summary>
/// One sequence (conversation): its tokens so far and its KV cache. The evaluator's <c>Decode</c> methods append
/// what they evaluate; code that runs <see cref="Evaluator.Forward"/> itself (a scheduler batching several
/// sequences) appends the tokens it fed with <see cref="Append(int)"/>, in position order.
/// </summary>
public sealed class Sequence : IDisposable
{
    private readonly List<int> _tokens = new();

    public Sequence(Model model, int contextSize, KvCacheType cacheType = KvCacheType.F32, KvBudget? budget = null)
        : this(new KvCache(model.Config, contextSize, cacheType, budget))
    {
    }

    private Sequence(KvCache cache) => Cache = cache;

    public KvCache Cache { get; }
    public int Length => _tokens.Count;
    public IReadOnlyList<int> Tokens => _tokens;

    /// <summary>Records that <paramref name="token"/> was evaluated at position <see cref="Length"/> (its keys and values are in the cache).</summary>
    public void Append(int token)
    {
        if (_tokens.Count >= Cache.Capacity) throw new ContextFullException(_tokens.Count + 1, Cache.Capacity);
        _tokens.Add(token);
    }

    /// <summary>Records several evaluated tokens, in position order.</summary>
    public void Append(ReadOnlySpan<int> tokens)
    {
        if (_tokens.Count + tokens.Length > Cache.Capacity) throw new ContextFullException(_tokens.Count + tokens.Length, Cache.Capacity);
        foreach (int t in tokens) _tokens.Add(t);
    }

    /// <summary>Forgets every token from <paramref name="length"/> on (rollback; their cache entries are simply overwritten later).</summary>
    public void Truncate(int length)
    {
        if (length < 0 || length > _tokens.Count) throw new ArgumentOutOfRangeException(nameof(length));
        _tokens.RemoveRange(length, _tokens.Count - length);
    }

    /// <summary>How many leading tokens this sequence shares with <paramref name="tokens"/>.</summary>
    public int CommonPrefix(ReadOnlySpan<int> tokens)
    {
        int n = Math.Min(_tokens.Count, tokens.Length), i = 0;
        while (i < n && _tokens[i] == tokens[i]) i++;
        return i;
    }

    /// <summary>
    /// Keeps the longest cached prefix of <paramref name="tokens"/> (at most all but the last token, so that something
    /// is left to evaluate for logits) and returns the tokens still to feed. A multi-turn chat sending its whole
    /// history again computes only what is new.
    /// </summary>
    public ReadOnlySpan<int> ReusePrefix(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) throw new ArgumentException("no tokens given", nameof(tokens));
        int keep = Math.Min(CommonPrefix(tokens), tokens.Length - 1);
        Truncate(keep);
        return tokens[keep..];
    }

    /// <summary>A new sequence with the same tokens and a copy of their cache entries (same capacity, type and budget).</summary>
    public Sequence Fork()
    {
        var cache = new KvCache(Cache.Config, Cache.Capacity, Cache.Type, Cache.Budget);
        var copy = new Sequence(cache);
        try { Cache.CopyTo(cache, Length); }
        catch { cache.Dispose(); throw; }
        copy._tokens.AddRange(_tokens);
        return copy;
    }

    /// <summary>Releases the cache's memory (and its share of the budget).</summary>
    public void Dispose() => Cache.Dispose();
}
