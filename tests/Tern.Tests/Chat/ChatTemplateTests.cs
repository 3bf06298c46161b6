using System.Text.Json;
using Tern.Chat;
using Tern.Gguf;
using Tern.Tests.TestSupport;
using static Tern.Tests.Chat.ChatTestSupport;

namespace Tern.Tests.Chat;

/// <summary>Choosing between the model's template and a known format: fallbacks, FromGguf, extra variables.</summary>
public class ChatTemplateTests
{
    private const string Bos = "<|begin_of_text|>";
    private const string EndOfText = "<|end_of_text|>";
    private static readonly string[] Llama3Vocabulary = ["!", "\"", "<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];

    [Fact]
    public void WithoutTemplateTheFallbackFormatIsUsed()
    {
        var template = new ChatTemplate(null, Bos, "<|eot_id|>", KnownChatFormats.Llama3);
        Assert.Equal(KnownChatFormats.Llama3, template.Name);
        Assert.Null(template.TemplateError);
        Assert.Equal(["<|eot_id|>"], new ChatTemplate("  ", Bos, EndOfText, KnownChatFormats.Llama3).StopStrings);
        Assert.Equal(KnownChatFormats.Format(KnownChatFormats.Llama3, FourTurns, true, Bos, "<|eot_id|>"), template.Render(FourTurns, true));
    }

    [Fact]
    public void MissingOrUnknownFallbackIsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => new ChatTemplate(null, Bos, EndOfText));
        Assert.Throws<ArgumentException>(() => new ChatTemplate(RealTemplates.ChatML, Bos, EndOfText, "vicuna"));
    }

    [Fact]
    public void SyntaxErrorFallsBackAndKeepsTheError()
    {
        var template = new ChatTemplate("{% for m in messages %}\n{{ m.content }", "", "</s>", KnownChatFormats.ChatML);
        Assert.Equal(KnownChatFormats.ChatML, template.Name);
        Assert.NotNull(template.TemplateError);
        Assert.Equal(2, template.TemplateError!.Line);
    }

    [Fact]
    public void BrokenTemplateFallsBackToTheFormatItResembles()
    {
        var template = new ChatTemplate("{% for m in messages %}<|im_start|>{{ m.role }", "", "<|im_end|>");
        Assert.Equal(KnownChatFormats.ChatML, template.Name);
        Assert.Equal(["<|im_end|>"], template.StopStrings);
    }

    [Fact]
    public void BrokenUnrecognisableTemplateWithoutFallbackThrows()
    {
        var e = Assert.Throws<ChatTemplateException>(() => new ChatTemplate("{% if %}", "", ""));
        Assert.Equal((1, 7), (e.Line, e.Column));
    }

    [Fact]
    public void TemplateThatParsesButCannotRunFallsBack()
    {
        // The construction-time probe render hits the unsupported filter.
        var template = new ChatTemplate("{{ messages | groupby('role') }}", Bos, "<|eot_id|>", KnownChatFormats.Llama3);
        Assert.Equal(KnownChatFormats.Llama3, template.Name);
        Assert.Contains("unknown filter 'groupby'", template.TemplateError!.Reason);
    }

    [Fact]
    public void TemplateRaisingOnTheProbeIsStillAccepted()
    {
        var template = new ChatTemplate("{{ raise_exception('needs a system message') if messages[0].role != 'system' }}{{ messages[0].content }}", "", "");
        Assert.Equal("jinja", template.Name);
        Assert.Equal("Be nice.", template.Render([new("system", "Be nice.")], false));
    }

    [Fact]
    public void ExtraVariablesAcceptJson()
    {
        using var tools = JsonDocument.Parse("""[{"type": "function", "function": {"name": "f", "parameters": {"n": 1.5, "count": 2, "ok": true, "none": null}}}]""");
        var template = new ChatTemplate("{{ tools | tojson }}|{{ flag }}|{{ n + 1 }}", "", "");
        Assert.Equal("[{\"type\": \"function\", \"function\": {\"name\": \"f\", \"parameters\": {\"n\": 1.5, \"count\": 2, \"ok\": true, \"none\": null}}}]|True|42",
            template.Render([], false, new Dictionary<string, object?> { ["tools"] = tools.RootElement, ["flag"] = true, ["n"] = 41 }));
    }

    [SharedFact]
    public void FromGgufWithoutTemplateChoosesByVocabulary()
    {
        // llama.cpp's LLaMA-2 vocabulary file has no chat template and no chat tokens: ChatML, llama.cpp's own default.
        using var file = GgufFile.Open(SharedData.PathOf("oracle", "tokenizers", "llama2", "ggml-vocab-llama-spm.gguf"));
        var template = ChatTemplate.FromGguf(file);
        Assert.Equal(KnownChatFormats.ChatML, template.Name);
        Assert.Null(template.JinjaSource);
        Assert.Equal(("<s>", "</s>"), (template.BosToken, template.EosToken));
    }

    [Theory]
    [InlineData("bitnet-25", KnownChatFormats.BitNetB158)]
    [InlineData("llama", KnownChatFormats.Llama3)]
    public void FromGgufWithoutTemplateChoosesByArchitecture(string architecture, string expected)
    {
        var template = FromTinyGguf(architecture, template: null);
        Assert.Equal(expected, template.Name);
        Assert.Equal((Bos, EndOfText), (template.BosToken, template.EosToken));
        Assert.StartsWith(Bos, template.Render(FourTurns, true));
    }

    [Fact]
    public void FromGgufRendersAWorkingTemplate()
    {
        var template = FromTinyGguf("bitnet-25", RealTemplates.BitNet2B4T);
        Assert.Equal("jinja", template.Name);
        Assert.Equal("<|begin_of_text|>User: What is 2+2?<|eot_id|>Assistant: 2+2 equals 4.<|eot_id|>User: And 3+3?<|eot_id|>Assistant: ",
            template.Render(ThreeTurns, true));
    }

    [Fact]
    public void FromGgufFallsBackToTheFormatABrokenTemplateResembles()
    {
        var template = FromTinyGguf("bitnet-25", "{% for m in messages %}<|start_header_id|>{{ m.role }}<|end_header_id|>{% endfor");
        Assert.Equal(KnownChatFormats.Llama3, template.Name);
        Assert.NotNull(template.TemplateError);
    }

    private static ChatTemplate FromTinyGguf(string architecture, string? template)
    {
        var metadata = new List<(string, object)>
        {
            ("general.architecture", architecture),
            ("tokenizer.ggml.model", "gpt2"),
            ("tokenizer.ggml.tokens", Llama3Vocabulary),
            ("tokenizer.ggml.bos_token_id", 2u),
            ("tokenizer.ggml.eos_token_id", 3u),
        };
        if (template != null) metadata.Add(("tokenizer.chat_template", template));
        string path = TinyGgufWriter.Write(metadata);
        try
        {
            using var file = GgufFile.Open(path);
            return ChatTemplate.FromGguf(file);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
