using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

public class ChatCommandTests
{
    [SharedFact]
    public void ChatsOverSeveralTurnsAndExits()
    {
        var r = CliRunner.RunWithInput("hello there\nhow are you\n/exit\nnot read\n",
            "chat", "-m", OracleFiles.BitnetCpp("tiny-i2_s.gguf"), "-n", "4", "--temp", "0", "--system", "be brief", "-t", "1", "--verbose");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("chat template: bitnet-b1.58", r.Err);
        // Two replies, and the second turn reused the cached conversation (fewer new prompt tokens than the whole text).
        var stats = System.Text.RegularExpressions.Regex.Matches(r.Err, @"\[(\d+) prompt tokens");
        Assert.Equal(2, stats.Count);
        Assert.True(int.Parse(stats[1].Groups[1].Value) < int.Parse(stats[0].Groups[1].Value), r.Err);
        Assert.Equal(3, r.Out.Split("> ").Length - 1);
    }
}
