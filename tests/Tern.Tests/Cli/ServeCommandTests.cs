using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Tern.Dummy;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

/// <summary>`tern serve` as a user runs it: a real child process, ready on a loopback port, stopped by a signal; and its flag errors.</summary>
public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("--port", "70000", "--port must be between 0 and 65535")]
    [InlineData("--parallel", "0", "--parallel must be between 1 and 256")]
    [InlineData("--kv-budget", "lots", "--kv-budget expects a size such as 2G or 512M")]
    [InlineData("--max-queue", "-1", "--max-queue must be 0 or more")]
    public void BadFlagsAreOneErrorLine(string flag, string value, string message)
    {
        using var dir = new TempDir();
        string model = dir.File("m.gguf");
        DummyModelWriter.Write(model, DummyModelSpec.Preset("tiny"));
        var r = CliRunner.Run("serve", "-m", model, flag, value);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.StartsWith("error: " + message, r.Err);
    }

    [Fact]
    public void AMissingModelIsAnError()
    {
        var r = CliRunner.Run("serve", "-m", "/nonexistent/model.gguf", "--port", "0");
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error: ", r.Err);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task ServesUntilASignalThenExitsCleanly(string signal)
    {
        using var dir = new TempDir();
        string model = dir.File("m.gguf");
        DummyModelWriter.Write(model, DummyModelSpec.Preset("tiny") with { Seed = 2 });
        int port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { typeof(Tern.Cli.Program).Assembly.Location, "serve", "-m", model, "--port", port.ToString(), "-t", "1", "-np", "2" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = new System.Text.StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (err) err.AppendLine(e.Data);
            if (e.Data.StartsWith("ready:", StringComparison.Ordinal)) ready.TrySetResult();
        };
        p.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(30) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("health")).StatusCode);
            using var kill = Process.Start("kill", ["-" + signal, p.Id.ToString()])!;
            await kill.WaitForExitAsync();
            Assert.True(p.WaitForExit(30_000), "the server did not stop within 30 s of the signal");
            p.WaitForExit(); // drains the output
            lock (err)
            {
                Assert.Equal(0, p.ExitCode);
                Assert.Contains("listening on http://127.0.0.1:", err.ToString());
                Assert.Contains("shutting down", err.ToString());
            }
        }
        finally
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
