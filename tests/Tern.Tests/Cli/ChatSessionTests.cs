using System.Text.RegularExpressions;
using Tern.Cli.Commands;
using Tern.Dummy;
using Tern.Tests.TestSupport;

namespace Tern.Tests.Cli;

/// <summary>What a chat user expects (issue 13): commands, continued lines, --chat-template, a plain format for models without one, --verbose.</summary>
public sealed class ChatSessionTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly string _model;

    public ChatSessionTests()
    {
        _model = _dir.File("m.gguf");
        DummyModelWriter.Write(_model, DummyModelSpec.Preset("tiny"));
    }

    public void Dispose() => _dir.Dispose();

    private CliRunner.Result Chat(string input, params string[] flags) =>
        CliRunner.RunWithInput(input, ["chat", "-m", _model, "-n", "4", "--temp", "0", "-t", "1", .. flags]);

    private static int[] PromptTokens(string err) =>
        Regex.Matches(err, @"\[(\d+) prompt tokens").Select(m => int.Parse(m.Groups[1].Value)).ToArray();

    [Fact]
    public void ResetForgetsTheConversationSoTheSameMessageCostsTheSameAgain()
    {
        var r = Chat("hello\nhow are you\n/reset\nhello\n/exit\n", "--verbose");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("[conversation cleared]", r.Err);
        var counts = PromptTokens(r.Err);
        Assert.Equal(3, counts.Length);
        Assert.Equal(counts[0], counts[2]); // the whole first turn again, nothing reused from before the reset
    }

    [Fact]
    public void ClearIsReset()
    {
        var r = Chat("hello\n/clear\n", "--verbose");
        Assert.Contains("[conversation cleared]", r.Err);
    }

    [Fact]
    public void HelpListsTheCommandsAndAnUnknownOneIsNamed()
    {
        var r = Chat("/help\n/frob\n/exit\n");
        Assert.Equal(0, r.ExitCode);
        foreach (var c in new[] { "/help", "/reset", "/clear", "/exit" }) Assert.Contains(c, r.Out);
        Assert.Contains("unknown command /frob", r.Err);
        Assert.DoesNotContain("prompt tokens", r.Err); // no stats without --verbose, and no reply was generated
    }

    [Fact]
    public void ExitStopsReadingAndVerboseStatsComeOncePerReply()
    {
        var r = Chat("one\ntwo\n/exit\nthree\n", "--verbose");
        Assert.Equal(0, r.ExitCode);
        Assert.Equal(2, PromptTokens(r.Err).Length);
        Assert.Equal(2, Regex.Matches(r.Err, @"generated at .* tokens/s, stop: ").Count);
    }

    [Fact]
    public void ATrailingBackslashContinuesTheMessage()
    {
        var reader = new StringReader("first line\\\nsecond line\nnext\n");
        Assert.Equal("first line\nsecond line", ChatInput.ReadMessage(reader));
        Assert.Equal("next", ChatInput.ReadMessage(reader));
        Assert.Null(ChatInput.ReadMessage(reader));
        var r = Chat("a\\\nb\\\nc\n", "--verbose");
        Assert.Single(PromptTokens(r.Err)); // three lines, one message
    }

    [Theory]
    [InlineData("chatml")]
    [InlineData("llama3")]
    [InlineData("plain")]
    public void ChatTemplateNamesAKnownFormat(string name)
    {
        var r = Chat("hello\n", "--chat-template", name);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains($"chat template: {name}\n", r.Err.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void ChatTemplateReadsAJinjaFile()
    {
        string file = _dir.File("t.jinja");
        File.WriteAllText(file, "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}");
        var r = Chat("hello\n", "--chat-template", file);
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("chat template: t.jinja", r.Err);
    }

    [Fact]
    public void AnUnknownChatTemplateIsRefusedBeforeLoading()
    {
        var r = Chat("hello\n", "--chat-template", "nope");
        Assert.Equal(1, r.ExitCode);
        Assert.Equal("", r.Out);
        Assert.StartsWith("error: --chat-template 'nope' is neither a known format", r.Err);
    }

    [SharedFact]
    public void AModelWithoutATemplateOrChatTokensGetsThePlainFormatAndIsToldSo()
    {
        string o(string f) => SharedData.PathOf("oracle", "bitllama2c", f);
        string model = _dir.File("stories.gguf");
        Assert.Equal(0, CliRunner.Run("convert", "--from", "bitllama2c", o("stories1M_bit_model.bin"), "--tokenizer", o("tokenizer.model"), "-o", model).ExitCode);
        var r = CliRunner.RunWithInput("Tell me a story\n", "chat", "-m", model, "-n", "8", "--temp", "0", "-t", "1");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("chat template: plain (the model has no chat template and its vocabulary lacks chatml's tokens", r.Err);
    }
}
