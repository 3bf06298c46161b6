using Tern.Inference;

namespace Tern.Tests.Inference;

public class StopStringFilterTests
{
    private static (string Text, bool Stopped) Feed(string[] stops, params string[] pieces)
    {
        var f = new StopStringFilter(stops);
        var sb = new System.Text.StringBuilder();
        foreach (var p in pieces)
        {
            var (t, stop) = f.Push(p);
            sb.Append(t);
            if (stop) return (sb.ToString(), true);
        }
        sb.Append(f.Push("", final: true).Text);
        return (sb.ToString(), false);
    }

    [Fact]
    public void StopsBeforeAStopStringSplitAcrossPieces() =>
        Assert.Equal(("Hello ", true), Feed(["User:"], "Hello U", "se", "r: more"));

    [Fact]
    public void HoldsBackOnlyWhatCouldStartAStopString()
    {
        var f = new StopStringFilter(["<|end|>"]);
        Assert.Equal("abc", f.Push("abc<|").Text);
        Assert.Equal("<|x", f.Push("x").Text);
    }

    [Fact]
    public void ReleasesAHeldPrefixAtTheEnd() => Assert.Equal(("Hi Us", false), Feed(["User:"], "Hi Us"));

    [Fact]
    public void NoStopStringsPassesEverythingThrough() => Assert.Equal(("a<b>c", false), Feed([], "a<", "b>", "c"));

    [Fact]
    public void EarliestOfSeveralStopStringsWins() => Assert.Equal(("x", true), Feed(["BB", "A"], "xAB", "B"));
}
