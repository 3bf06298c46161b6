using System.Diagnostics;
using System.Text;

namespace Tern.Tests.Cli;

/// <summary>
/// The built `tern` (dotnet Tern.Cli.dll) as a child process, its standard output collected as it streams (not by
/// lines: generation writes no newline), for tests that send it real signals.
/// </summary>
internal sealed class CliChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _err = new();
    private readonly Task _outReader, _errReader;

    public CliChildProcess(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        psi.ArgumentList.Add(typeof(Tern.Cli.Program).Assembly.Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _outReader = Pump(_process.StandardOutput, _out);
        _errReader = Pump(_process.StandardError, _err);
    }

    private static Task Pump(StreamReader reader, StringBuilder into) => Task.Run(async () =>
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
            lock (into) into.Append(buffer, 0, n);
    });

    public string Out { get { lock (_out) return _out.ToString(); } }
    public string Err { get { lock (_err) return _err.ToString(); } }
    public StreamWriter In => _process.StandardInput;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    /// <summary>Waits (polling, at most <paramref name="timeout"/>) until <paramref name="condition"/> holds of stdout; false if it never did.</summary>
    public bool WaitForOutput(Func<string, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (condition(Out)) return true;
            if (_process.HasExited) return condition(Out);
            Thread.Sleep(50);
        }
        return false;
    }

    public void Signal(string name)
    {
        using var kill = Process.Start("kill", ["-" + name, _process.Id.ToString()])!;
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to end and its output to be read; false if it did not end in time.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        Task.WaitAll([_outReader, _errReader], timeout);
        return true;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
