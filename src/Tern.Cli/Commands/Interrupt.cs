using System.Runtime.InteropServices;

namespace Tern.Cli.Commands;

/// <summary>
/// Ctrl-C (SIGINT) as a tool's users expect it: while work is under way (<see cref="Begin"/> … <see cref="End"/>), the
/// first Ctrl-C cancels that work's token and the command finishes cleanly (stats, complete output files); a second
/// Ctrl-C, or one while nothing is under way (chat waiting at its prompt), ends the process as the signal does.
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly PosixSignalRegistration _registration;
    private CancellationTokenSource _work = new();
    private volatile bool _busy;

    public Interrupt() => _registration = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);

    /// <summary>Exit code of a command stopped by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int ExitCode = 130;

    /// <summary>Starts work that Ctrl-C may stop; the token is cancelled by the first Ctrl-C until <see cref="End"/>.</summary>
    public CancellationToken Begin()
    {
        if (_work.IsCancellationRequested)
        {
            _work.Dispose();
            _work = new CancellationTokenSource();
        }
        _busy = true;
        return _work.Token;
    }

    public void End() => _busy = false;

    private void OnSignal(PosixSignalContext context)
    {
        if (!_busy) return; // the default action: the process ends
        _busy = false;      // a second Ctrl-C ends the process even if stopping takes a while
        context.Cancel = true;
        _work.Cancel();
    }

    public void Dispose()
    {
        _registration.Dispose();
        _work.Dispose();
    }
}
