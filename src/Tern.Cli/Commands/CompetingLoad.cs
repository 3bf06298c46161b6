using System.Diagnostics;

namespace Tern.Cli.Commands;

/// <summary>
/// `tern bench --with-load N`: N busy child processes (shell loops) that compete for the cores while the measurements
/// run, as another user's job or a server's own request threads would. Each child runs in its own session when
/// `setsid` exists, so the kernel's autogroup scheduling treats it like a process started from another terminal
/// (the harder case: this process then gets about its fair share of the machine, whatever its thread count). Every
/// child is killed on <see cref="Dispose"/>, and a child also stops by itself once this process is gone.
/// </summary>
internal sealed class CompetingLoad : IDisposable
{
    private readonly List<Process> _children = new();

    public CompetingLoad(int count)
    {
        if (count <= 0) return;
        if (!File.Exists("/bin/sh")) throw new UserError("--with-load needs /bin/sh");
        OwnSession = File.Exists("/usr/bin/setsid") || File.Exists("/bin/setsid");
        // `kill -0` (a shell builtin) fails once this process has exited: no loop outlives the benchmark. The exec'ed
        // setsid does not fork (the shell is not a process group leader), so the pid kept here is the loop's.
        string loop = $"while kill -0 {Environment.ProcessId} 2>/dev/null; do :; done";
        string script = OwnSession ? $"exec setsid /bin/sh -c '{loop}'" : loop;
        try
        {
            for (int i = 0; i < count; i++)
            {
                var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, RedirectStandardInput = false };
                psi.ArgumentList.Add("-c");
                psi.ArgumentList.Add(script);
                _children.Add(Process.Start(psi) ?? throw new UserError("--with-load: could not start a busy process"));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
        Thread.Sleep(100); // let the loops get going before anything is measured
    }

    public int Count => _children.Count;

    /// <summary>Whether the children run in their own sessions (autogroups) rather than in this one.</summary>
    public bool OwnSession { get; }

    public void Dispose()
    {
        foreach (var p in _children)
        {
            try
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            catch (InvalidOperationException) { } // already gone
            catch (System.ComponentModel.Win32Exception) { }
            finally { p.Dispose(); }
        }
        _children.Clear();
    }
}
