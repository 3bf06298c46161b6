namespace Tern.Inference;

/// <summary>
/// A byte budget shared by the KV caches of one server (or any group of sequences): caches take bytes as they grow
/// and give them back when released, so the total never passes <see cref="Limit"/>. Thread-safe.
/// </summary>
public sealed class KvBudget(long limit)
{
    private long _used, _peak;

    public long Limit { get; } = limit > 0 ? limit : throw new ArgumentOutOfRangeException(nameof(limit), "the KV budget must be positive");
    public long Used => Interlocked.Read(ref _used);
    public long Peak => Interlocked.Read(ref _peak);
    public long Free => Limit - Used;

    /// <summary>Takes <paramref name="bytes"/>, or throws <see cref="KvBudgetExceededException"/> (taking nothing).</summary>
    public void Take(long bytes)
    {
        if (!TryTake(bytes)) throw new KvBudgetExceededException(bytes, Free, Limit);
    }

    public bool TryTake(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        while (true)
        {
            long used = Interlocked.Read(ref _used);
            if (used + bytes > Limit) return false;
            if (Interlocked.CompareExchange(ref _used, used + bytes, used) != used) continue;
            long peak;
            while ((peak = Interlocked.Read(ref _peak)) < used + bytes && Interlocked.CompareExchange(ref _peak, used + bytes, peak) != peak) { }
            return true;
        }
    }

    public void Return(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (Interlocked.Add(ref _used, -bytes) < 0) throw new InvalidOperationException("more KV bytes returned than taken");
    }

    /// <summary>A default budget: a share of the memory the runtime reports available, at least 64 MB.</summary>
    public static long DefaultLimit(double share = 0.5)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return Math.Max(64L << 20, (long)(available * share));
    }
}

/// <summary>A KV cache could not grow within its <see cref="KvBudget"/>.</summary>
public sealed class KvBudgetExceededException(long needed, long free, long limit)
    : Exception($"the KV cache budget is exhausted: {needed:N0} bytes needed, {free:N0} of {limit:N0} free (raise --kv-budget or lower --parallel/-c)")
{
    public long Needed { get; } = needed;
}
