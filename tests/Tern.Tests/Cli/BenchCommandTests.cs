using System.Text.Json;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

public class BenchCommandTests
{
    [SharedFact]
    public void JsonOutputHasOneObjectPerTest()
    {
        var r = CliRunner.Run("bench", "-m", OracleFiles.BitnetCpp("tiny-i2_s.gguf"), "-p", "16,32", "-n", "8", "-t", "1,2", "-r", "2", "-o", "json", "--no-bandwidth");
        Assert.Equal(0, r.ExitCode);
        using var doc = JsonDocument.Parse(r.Out);
        var items = doc.RootElement.EnumerateArray().ToList();
        Assert.Equal(6, items.Count);
        Assert.Equal(["pp16", "pp32", "tg8", "pp16", "pp32", "tg8"], items.Select(i => i.GetProperty("test").GetString()));
        Assert.Equal([1, 1, 1, 2, 2, 2], items.Select(i => i.GetProperty("threads").GetInt32()));
        foreach (var i in items)
        {
            double min = i.GetProperty("tokens_per_second_min").GetDouble(), med = i.GetProperty("tokens_per_second_median").GetDouble(), max = i.GetProperty("tokens_per_second_max").GetDouble();
            Assert.True(min > 0 && min <= med && med <= max);
        }
    }

    [SharedFact]
    public void MarkdownIsTheDefault()
    {
        var r = CliRunner.Run("bench", "-m", OracleFiles.BitnetCpp("tiny-i2_s.gguf"), "-p", "8", "-n", "4", "-t", "1", "-r", "1", "--no-bandwidth");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("| pp8 | 1 |", r.Out);
        Assert.Contains("| tg4 | 1 |", r.Out);
    }

    [Theory]
    [InlineData("-p", "x")]
    [InlineData("-t", "0")]
    [InlineData("-o", "xml")]
    [InlineData("-r", "0")]
    public void BadArgumentsAreClearErrors(params string[] args)
    {
        var r = CliRunner.Run(["bench", "-m", "whatever.gguf", .. args]);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error:", r.Err.Trim());
    }

    [SharedFact]
    public void WithLoadRunsAndRemovesCompetingProcesses()
    {
        if (!File.Exists("/bin/sh") || !Directory.Exists("/proc")) return;
        var r = CliRunner.Run("bench", "-m", OracleFiles.BitnetCpp("tiny-i2_s.gguf"), "-p", "8", "-n", "4", "-t", "2", "-r", "1", "--no-bandwidth", "--with-load", "2");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("measured with 2 competing busy processes", r.Out);
        // The loops name this process's id: none may be left.
        string mark = $"kill -0 {Environment.ProcessId} ";
        Assert.True(SpinWait.SpinUntil(() => !LoopsLeft(mark), TimeSpan.FromSeconds(10)), "a competing process outlived the benchmark");
    }

    private static bool LoopsLeft(string mark)
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(dir, "cmdline")).Contains(mark, StringComparison.Ordinal)) return true;
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return false;
    }

    [SharedFact]
    public void ThreadsAboveTheCoresWarnAndAreCapped()
    {
        var r = CliRunner.Run("bench", "-m", OracleFiles.BitnetCpp("tiny-i2_s.gguf"), "-p", "0", "-n", "2", "-t", "1000", "-r", "1", "--no-bandwidth", "-o", "json");
        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith("warning:", r.Err.Trim());
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(Environment.ProcessorCount, doc.RootElement[0].GetProperty("threads").GetInt32());
    }
}
