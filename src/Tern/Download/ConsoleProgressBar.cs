using System.Diagnostics;
using System.Text;

namespace Tern.Download;

/// <summary>
/// Shows download progress on stderr. On a terminal it redraws one line in place
/// (<c>label [#####-----]  42%  512.0/1187.8 MB  11.3 MB/s</c>); when stderr is redirected to a file or pipe it writes
/// a plain line every 10% instead, so logs stay short. Dispose it to end the line if the download stopped part-way.
/// </summary>
public sealed class ConsoleProgressBar : IProgress<DownloadProgress>, IDisposable
{
    private const int BarWidth = 30;
    private const long UnknownTotalLineBytes = 100_000_000; // redirected output, unknown size: one line per 100 MB
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly TextWriter _out;
    private readonly bool _interactive;
    private readonly string _label;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Lock _lock = new();
    private TimeSpan? _lastDraw;     // terminal: when the bar was drawn last; null before the first draw
    private long _lastStep = -1;     // redirected output: last 10% step (or 100 MB step) written
    private int _lastWidth;          // terminal: length of the line drawn last, to blank out leftovers
    private bool _lineOpen;          // terminal: the cursor sits at the end of a drawn bar
    private bool _finished;

    public ConsoleProgressBar(string? label = null) : this(Console.Error, !Console.IsErrorRedirected, label) { }

    /// <param name="interactive">True to redraw in place with carriage returns, false to write whole lines.</param>
    public ConsoleProgressBar(TextWriter output, bool interactive, string? label = null)
    {
        _out = output;
        _interactive = interactive;
        _label = string.IsNullOrEmpty(label) ? "" : label + " ";
    }

    public void Report(DownloadProgress p)
    {
        lock (_lock)
        {
            if (_finished) return;
            bool done = p.Total is long t && p.Received >= t;
            if (_interactive)
            {
                if (!done && _clock.Elapsed - _lastDraw < RedrawInterval) return; // false while _lastDraw is null
                _lastDraw = _clock.Elapsed;
                string line = Format(p);
                _out.Write('\r' + line + new string(' ', Math.Max(0, _lastWidth - line.Length)));
                _lastWidth = line.Length;
                _lineOpen = true;
            }
            else
            {
                long step = p.Total is long total && total > 0
                    ? Math.Min(p.Received, total) * 10 / total
                    : p.Received / UnknownTotalLineBytes;
                if (step <= _lastStep && !(done && _lastStep < 10)) return;
                _lastStep = done ? 10 : step;
                _out.WriteLine(Format(p));
            }
            if (done) Finish();
        }
    }

    public void Dispose()
    {
        lock (_lock) Finish();
    }

    private void Finish()
    {
        if (_lineOpen) _out.WriteLine();
        _lineOpen = false;
        _finished = true;
        _out.Flush();
    }

    internal string Format(DownloadProgress p)
    {
        var sb = new StringBuilder(_label);
        double mb = p.Received / 1e6;
        if (p.Total is long total)
        {
            double fraction = total > 0 ? Math.Clamp((double)p.Received / total, 0, 1) : 1;
            int filled = (int)(fraction * BarWidth);
            sb.Append('[').Append('#', filled).Append('-', BarWidth - filled).Append(']');
            sb.Append($" {fraction * 100,3:0}%  {mb:0.0}/{total / 1e6:0.0} MB");
        }
        else
        {
            sb.Append($"{mb:0.0} MB");
        }
        sb.Append($"  {p.BytesPerSecond / 1e6:0.0} MB/s");
        return sb.ToString();
    }
}
