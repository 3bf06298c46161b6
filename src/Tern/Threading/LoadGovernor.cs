using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace Tern.Threading;

/// <summary>
/// Decides how many of a <see cref="WorkerPool"/>'s threads take part, from how long its workers wait for a core.
/// On Linux each worker's /proc/thread-self/schedstat gives its time on a core and its time runnable but waiting
/// (run_delay). When, over a window, the workers spent more than <see cref="Threshold"/> of their runnable time
/// waiting, the machine is shared (another process, or this process's own other threads): the pool then runs with
/// fewer threads (the caller alone on two cores) for a back-off period, then tries all of them again; the back-off
/// doubles while the probes find the machine busy. Elsewhere (no schedstat) every thread always takes part.
/// </summary>
/// <remarks>
/// Why not simply keep every thread: a waiting piece is never the problem (the caller takes unstarted pieces), but a
/// worker that has claimed a piece and is then descheduled holds the caller until it runs again, and a spinning worker
/// takes a core share the caller needs (under CFS group scheduling the whole process may get one core's worth).
/// Which threads run the pieces never changes results, so this changes only speed.
/// </remarks>
internal sealed class LoadGovernor : IDisposable
{
    /// <summary>
    /// Fraction of runnable time spent waiting for a core above which the machine counts as busy. Measured on this
    /// 2-core VM: 0.5–0.98 per window with one competing busy process; up to 0.17 in a window of an idle machine
    /// (a short burst of some other process, or a halted core waking up).
    /// </summary>
    public const double Threshold = 0.3;
    private static readonly long Window = Stopwatch.Frequency / 250;         // 4 ms of operations per measurement
    private static readonly long MinBackoff = Stopwatch.Frequency / 5;       // 200 ms before the first probe
    private static readonly long MaxBackoff = Stopwatch.Frequency * 4;       // at most 4 s between probes (a probe costs a window)
    private const long MinRunnableNs = 1_000_000;                             // the workers' runnable time a verdict needs

    // The verdict is the machine's, not one pool's: a pool created while the machine is known to be busy (every
    // `tern bench` test makes a new one) starts reduced instead of measuring it again. Written and read without
    // locks: a torn or stale view only moves a probe a little.
    private static long s_busyUntil;          // Stopwatch ticks: until then, pools run reduced
    private static long s_backoff = MinBackoff;
    private static double s_waiting;          // the waiting fraction behind the current verdict

    private readonly int _threads;
    private readonly bool _enabled;
    private readonly SafeFileHandle?[] _stats; // per worker, opened by the worker itself (thread-self is per thread)
    private long _windowStart, _windowRun, _windowDelay;
    private bool _windowOpen;
    private bool _previousBusy; // the last window was above the threshold

    /// <param name="threads">the pool's threads, the caller included</param>
    /// <param name="enabled">false: every thread always takes part (tests that need the workers to run pieces)</param>
    public LoadGovernor(int threads, bool enabled = true)
    {
        _threads = threads;
        _enabled = enabled && threads > 1;
        _stats = new SafeFileHandle?[threads - 1];
        Active = threads;
    }

    /// <summary>Threads (the caller included) that take part in the next operation.</summary>
    public int Active { get; private set; }

    /// <summary>The last measured waiting fraction (for tests and diagnostics; NaN before any).</summary>
    public double LastWaitFraction { get; private set; } = double.NaN;

    /// <summary>Called once by each worker thread, on itself.</summary>
    public void Register(int worker)
    {
        if (!OperatingSystem.IsLinux()) return;
        try { Volatile.Write(ref _stats[worker], File.OpenHandle("/proc/thread-self/schedstat")); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Called by the dispatching thread before each parallel operation; updates <see cref="Active"/>.</summary>
    public void Update(long now)
    {
        if (!_enabled) return;
        if (now < Volatile.Read(ref s_busyUntil))
        {
            // Keep about the share of cores the threads got when measured (at least the caller).
            Active = Math.Clamp((int)(_threads * (1 - Volatile.Read(ref s_waiting))), 1, _threads - 1);
            _windowOpen = false;
            return;
        }
        Active = _threads; // not known busy (or a probe after a back-off): all threads, measured from now
        if (!_windowOpen)
        {
            if (!Sample(out _windowRun, out _windowDelay)) return;
            _windowStart = now; _windowOpen = true;
            return;
        }
        if (now - _windowStart < Window || !Sample(out long run, out long delay)) return;
        long dRun = run - _windowRun, dDelay = delay - _windowDelay;
        // Workers parked for most of the window (few parallel operations): too little to judge, keep accumulating.
        if (dRun + dDelay < MinRunnableNs) return;
        _windowStart = now; _windowRun = run; _windowDelay = delay;
        double waiting = LastWaitFraction = (double)dDelay / (dRun + dDelay);
        // One busy window is not a verdict: an idle VM has lone windows above the threshold (a burst of this
        // process's own JIT or GC threads, a vCPU waking up), while a competing process keeps window after window busy.
        bool above = waiting > Threshold, busy = above && _previousBusy;
        _previousBusy = above;
        if (above && !busy) return; // wait for the next window to confirm it
        if (!busy)
        {
            // Halved, not reset: under a competitor some windows are lucky (the worker's core was free throughout).
            Volatile.Write(ref s_backoff, Math.Max(MinBackoff, Volatile.Read(ref s_backoff) / 2));
            return;
        }
        long backoff = Volatile.Read(ref s_backoff);
        Volatile.Write(ref s_waiting, waiting);
        Volatile.Write(ref s_busyUntil, now + backoff);
        Volatile.Write(ref s_backoff, Math.Min(2 * backoff, MaxBackoff));
        Active = Math.Clamp((int)(_threads * (1 - waiting)), 1, _threads - 1);
    }

    /// <summary>The workers' total time on a core in ns, or null when it cannot be read.</summary>
    public long? WorkerCpuNanoseconds() => Sample(out long run, out _) ? run : null;

    /// <summary>Sums the workers' time on a core and time waiting for one (ns); false if no worker could be read.</summary>
    private bool Sample(out long run, out long delay)
    {
        run = delay = 0;
        bool any = false;
        Span<byte> buf = stackalloc byte[96];
        for (int w = 0; w < _stats.Length; w++)
        {
            var handle = Volatile.Read(ref _stats[w]);
            if (handle is null) continue;
            int n;
            try { n = RandomAccess.Read(handle, buf, 0); } // offset 0 regenerates the text
            catch (IOException) { continue; }
            // "exec_ns run_delay_ns timeslices\n"
            int i = 0;
            long a = ParseLong(buf[..n], ref i), b = ParseLong(buf[..n], ref i);
            if (a < 0 || b < 0) continue;
            run += a; delay += b; any = true;
        }
        return any;
    }

    private static long ParseLong(ReadOnlySpan<byte> s, ref int i)
    {
        while (i < s.Length && s[i] == (byte)' ') i++;
        if (i >= s.Length || s[i] < '0' || s[i] > '9') return -1;
        long v = 0;
        for (; i < s.Length && s[i] >= '0' && s[i] <= '9'; i++) v = v * 10 + (s[i] - '0');
        return v;
    }

    public void Dispose()
    {
        foreach (var h in _stats) h?.Dispose();
    }
}
