using Tern.Dummy;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

/// <summary>
/// Ctrl-C with a real SIGINT to a child process (issue 13). The model is a tiny random one with a long context whose
/// greedy output never ends by itself, so the signal always arrives mid-generation; timeouts only bound a hang.
/// </summary>
public sealed class CtrlCTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private readonly TempDir _dir = new();
    private readonly string _model;

    public CtrlCTests()
    {
        _model = _dir.File("m.gguf");
        DummyModelWriter.Write(_model, DummyModelSpec.Preset("tiny") with { ContextLength = 32768 });
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void GenerateStopsPrintsItsStatsAndExits130()
    {
        string ids = _dir.File("ids.txt");
        const string prompt = "once upon a time";
        using var tern = new CliChildProcess("generate", "-m", _model, "-p", prompt, "--temp", "0", "--ignore-eos", "-c", "32768", "-t", "1", "--ids-out", ids);
        Assert.True(tern.WaitForOutput(o => o.Length > prompt.Length + 40, Bound), "no generated text arrived: " + tern.Err);
        tern.Signal("INT");
        Assert.True(tern.WaitForExit(Bound), "generate did not stop after Ctrl-C");

        Assert.Equal(130, tern.ExitCode);
        var stats = System.Text.RegularExpressions.Regex.Match(tern.Err, @"generation: (\d+) tokens .* stop: Cancelled");
        Assert.True(stats.Success, tern.Err);
        Assert.Equal(int.Parse(stats.Groups[1].Value), File.ReadAllLines(ids).Length); // every generated id, none half-written
        Assert.DoesNotContain("   at ", tern.Err);
    }

    [Fact]
    public void ChatInterruptsTheReplyThenASecondCtrlCQuits()
    {
        using var tern = new CliChildProcess("chat", "-m", _model, "--temp", "0", "-c", "32768", "-t", "1");
        Assert.True(tern.WaitForOutput(o => o.StartsWith("> ", StringComparison.Ordinal), Bound), "no prompt: " + tern.Err);
        tern.In.WriteLine("tell me a story");
        tern.In.Flush();
        Assert.True(tern.WaitForOutput(o => o.Length > 40, Bound), "no reply arrived: " + tern.Err);
        tern.Signal("INT");
        Assert.True(tern.WaitForOutput(o => o.EndsWith("\n> ", StringComparison.Ordinal), Bound), "chat did not return to its prompt: " + tern.Err);
        Assert.False(tern.HasExited);
        Assert.Contains("[interrupted]", tern.Err);

        tern.Signal("INT"); // at the prompt: quits
        Assert.True(tern.WaitForExit(Bound), "chat did not quit on a second Ctrl-C");
        Assert.NotEqual(0, tern.ExitCode);
    }

    [Fact]
    public void ChatQuitsOnEndOfInputAfterAnInterruptedReply()
    {
        using var tern = new CliChildProcess("chat", "-m", _model, "--temp", "0", "-c", "32768", "-t", "1");
        tern.In.WriteLine("tell me a story");
        tern.In.Flush();
        Assert.True(tern.WaitForOutput(o => o.Length > 40, Bound), "no reply arrived: " + tern.Err);
        tern.Signal("INT");
        Assert.True(tern.WaitForOutput(o => o.EndsWith("\n> ", StringComparison.Ordinal), Bound), "chat did not return to its prompt: " + tern.Err);
        tern.In.Close(); // Ctrl-D
        Assert.True(tern.WaitForExit(Bound), "chat did not quit at end of input");
        Assert.Equal(0, tern.ExitCode);
    }
}
