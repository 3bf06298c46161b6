using System.Diagnostics;

namespace Tern.Inference;

/// <summary>
/// Optional time-per-operation accounting for a forward pass (`tern bench --profile`). Off by default; when off it
/// costs one branch per operation.
/// </summary>
public sealed class OpProfile
{
    private readonly Dictionary<string, (long Ticks, long Calls)> _ops = new();

    /// <summary>
    /// The profile of forward passes dispatched from the current thread (null: off). Per thread, so that a server's
    /// scheduler thread or a second evaluator elsewhere in the process is not timed into someone else's profile.
    /// </summary>
    public static OpProfile? Current { get => t_current; set => t_current = value; }

    [ThreadStatic] private static OpProfile? t_current;

    public static long Start() => Current is null ? 0 : Stopwatch.GetTimestamp();

    public static void Stop(string op, long start)
    {
        var p = Current;
        if (p is null) return;
        long t = Stopwatch.GetTimestamp() - start;
        lock (p._ops)
        {
            p._ops.TryGetValue(op, out var v);
            p._ops[op] = (v.Ticks + t, v.Calls + 1);
        }
    }

    public IEnumerable<(string Op, double Milliseconds, long Calls)> Entries =>
        _ops.OrderByDescending(kv => kv.Value.Ticks).Select(kv => (kv.Key, kv.Value.Ticks * 1000.0 / Stopwatch.Frequency, kv.Value.Calls));
}
