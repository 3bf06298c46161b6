using System.Runtime.InteropServices;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

public class CommandTests
{
    private static string TinyI2S => OracleFiles.BitnetCpp("tiny-i2_s.gguf");

    [SharedFact]
    public void InfoPrintsMetadataAndTensorTable()
    {
        var r = CliRunner.Run("info", TinyI2S);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("general.architecture = \"bitnet-25\"", r.Out);
        Assert.Matches(@"blk\.0\.attn_q\.weight\s+I2_S\s+\[256, 256\]\s+16,416", r.Out);
    }

    [SharedFact]
    public void TokenizeWorksOnAVocabularyOnlyFile()
    {
        var vocab = SharedData.PathOf("oracle", "tokenizers", "llama3", "bitnet-2b4t-vocab.gguf");
        var r = CliRunner.Run("tokenize", "-m", vocab, "-p", "Hello world", "--ids");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal("128000 9906 1917", r.Out.Trim());
        r = CliRunner.Run("tokenize", "-m", vocab, "-p", "Hello world", "--no-bos");
        Assert.Contains("9906 -> 'Hello'", r.Out);
        Assert.DoesNotContain("128000", r.Out);
    }

    [SharedFact]
    public void EvalWritesLogitsOfEveryPositionBatchedOrOneByOne()
    {
        using var dir = new TempDir();
        var ids = File.ReadAllText(OracleFiles.BitnetCpp("seqA.ids.txt")).Trim();
        var a = CliRunner.Run("eval", "-m", TinyI2S, "--tokens", ids, "--logits-out", dir.File("a.f32"), "-t", "2");
        var b = CliRunner.Run("eval", "-m", TinyI2S, "--tokens", ids, "--logits-out", dir.File("b.f32"), "--one-by-one", "-t", "1");
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(0, b.ExitCode);
        Assert.Contains("top-5", a.Out);
        var la = File.ReadAllBytes(dir.File("a.f32"));
        Assert.Equal(8 * 512 * 4, la.Length);
        Assert.Equal(la, File.ReadAllBytes(dir.File("b.f32")));
        // Same as bitnet.cpp's one-token run within the oracle tolerance.
        var expected = OracleFiles.ReadFloats(OracleFiles.BitnetCpp("run_seq_t1", "tiny_seqA.prompt_logits.f32"));
        var got = MemoryMarshal.Cast<byte, float>(la);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) < 0.3f);
    }

    [SharedFact]
    public void GenerateGreedyWritesIdsAndSpeeds()
    {
        using var dir = new TempDir();
        var ids = File.ReadAllText(OracleFiles.BitnetCpp("seqA.ids.txt")).Trim();
        var r = CliRunner.Run("generate", "-m", TinyI2S, "--tokens", ids, "-n", "8", "--temp", "0", "--ids-out", dir.File("ids.txt"), "--cache-type", "f16");
        Assert.Equal(0, r.ExitCode);
        var expected = OracleFiles.ReadIds(OracleFiles.BitnetCpp("run_seq_t1", "tiny_seqA.greedy.txt"))[..8];
        Assert.Equal(expected, OracleFiles.ReadIds(dir.File("ids.txt")));
        Assert.Matches(@"prompt: 8 tokens .* tokens/s\) \| generation: 8 tokens", r.Err);
    }

    [SharedFact]
    public void ExistingOutputIsNotOverwrittenWithoutForce()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("ids.txt"), "mine");
        var r = CliRunner.Run("generate", "-m", TinyI2S, "--tokens", "496 1", "-n", "2", "--ids-out", dir.File("ids.txt"));
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("--force", r.Err);
        Assert.Equal("mine", File.ReadAllText(dir.File("ids.txt")));
    }

    [Theory]
    [InlineData("generate", "-m", "/definitely/missing.gguf", "-p", "hi")]
    [InlineData("generate", "-m", "hf:../evil/x.gguf", "-p", "hi")]
    [InlineData("info", "/definitely/missing.gguf")]
    [InlineData("tokenize", "-m", "/definitely/missing.gguf", "-p", "x")]
    [InlineData("eval", "-m", "/definitely/missing.gguf", "--tokens", "1 2")]
    public void UserMistakesGiveOneLineAndExitCodeOne(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error: ", r.Err.Trim());
        Assert.Single(r.Err.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", r.Err);
    }

    [SharedTheory]
    [InlineData("--top-p", "3")]
    [InlineData("--temp", "nan")]
    [InlineData("-t", "0")]
    [InlineData("--tokens", "1 99999")]
    [InlineData("--tokens", "1 x")]
    [InlineData("-c", "4", "--tokens", "496 1 2 3 4 5 6")]
    [InlineData("--cache-type", "q4")]
    public void BadGenerateArgumentsAreClearErrors(params string[] args)
    {
        var all = new List<string> { "generate", "-m", TinyI2S, "-n", "1" };
        if (!args.Contains("--tokens")) all.AddRange(["--tokens", "496 1"]);
        all.AddRange(args);
        var r = CliRunner.Run(all.ToArray());
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("error: ", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
    }

    [SharedFact]
    public void HostileModelFileIsAClearError()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(TinyI2S)[..5000];
        File.WriteAllBytes(dir.File("cut.gguf"), bytes);
        var r = CliRunner.Run("generate", "-m", dir.File("cut.gguf"), "-p", "hi");
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("error: ", r.Err);
    }
}
