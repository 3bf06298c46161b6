using Tern.Download;

namespace Tern.Tests.Download;

public class ConsoleProgressBarTests
{
    [Fact]
    public void FormatsBarPercentageSizesAndRate()
    {
        var bar = new ConsoleProgressBar(TextWriter.Null, interactive: true, label: "model.gguf");

        Assert.Equal("model.gguf [############------------------]  43%  512.0/1187.8 MB  11.3 MB/s",
            bar.Format(new DownloadProgress(512_000_000, 1_187_801_280, 11_300_000)));
        Assert.Equal("[------------------------------]   0%  0.0/1.0 MB  0.0 MB/s",
            new ConsoleProgressBar(TextWriter.Null, true).Format(new DownloadProgress(0, 1_000_000, 0)));
        Assert.Equal("12.3 MB  1.0 MB/s",
            new ConsoleProgressBar(TextWriter.Null, true).Format(new DownloadProgress(12_300_000, null, 1_000_000)));
    }

    [Fact]
    public void RedirectedOutputGetsOneLinePerTenPercent()
    {
        var output = new StringWriter();
        var bar = new ConsoleProgressBar(output, interactive: false);

        for (int received = 0; received <= 1000; received += 7)
            bar.Report(new DownloadProgress(received, 1000, 1e6));
        bar.Report(new DownloadProgress(1000, 1000, 1e6));
        bar.Dispose();

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(11, lines.Length);
        Assert.DoesNotContain('\r', output.ToString());
        Assert.Contains("  0%", lines[0]);
        Assert.Contains(" 50%", lines[5]);
        Assert.Contains("100%", lines[10]);
    }

    [Fact]
    public void ATerminalGetsOneLineRedrawnInPlace()
    {
        var output = new StringWriter();
        var bar = new ConsoleProgressBar(output, interactive: true);

        for (int received = 0; received <= 1000; received += 7)
            bar.Report(new DownloadProgress(received, 1000, 1e6));
        bar.Report(new DownloadProgress(1000, 1000, 1e6));
        bar.Dispose();

        string text = output.ToString();
        Assert.StartsWith("\r[", text);
        Assert.Single(text, '\n');
        Assert.EndsWith("100%  0.0/0.0 MB  1.0 MB/s" + Environment.NewLine, text);
    }

    [Fact]
    public void DisposingEndsALineLeftOpenByAnInterruptedDownload()
    {
        var output = new StringWriter();
        using (var bar = new ConsoleProgressBar(output, interactive: true))
            bar.Report(new DownloadProgress(10, 1000, 1e6));

        Assert.EndsWith("  1%  0.0/0.0 MB  1.0 MB/s" + Environment.NewLine, output.ToString());
    }
}
