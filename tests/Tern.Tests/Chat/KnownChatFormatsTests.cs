using Tern.Chat;
using static Tern.Tests.Chat.ChatTestSupport;

namespace Tern.Tests.Chat;

public class KnownChatFormatsTests
{
    private const string Bos = "<|begin_of_text|>";
    private const string EndOfText = "<|end_of_text|>";

    [Theory]
    [InlineData(KnownChatFormats.BitNetB158, Bos, EndOfText,
        "<|begin_of_text|>System: You are a helpful assistant.<|eot_id|>User: What is 2+2?<|eot_id|>Assistant: 2+2 equals 4.<|eot_id|>User: And 3+3?<|eot_id|>Assistant: ")]
    [InlineData(KnownChatFormats.Llama3, Bos, "<|eot_id|>",
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>" +
        "<|start_header_id|>assistant<|end_header_id|>\n\n2+2 equals 4.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n")]
    [InlineData(KnownChatFormats.ChatML, "", "<|im_end|>",
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n")]
    [InlineData(KnownChatFormats.Falcon3, "", "<|endoftext|>",
        "<|system|>\nYou are a helpful assistant.\n<|user|>\nWhat is 2+2?\n<|assistant|>\n2+2 equals 4.<|endoftext|>\n<|user|>\nAnd 3+3?\n<|assistant|>\n")]
    [InlineData(KnownChatFormats.BitNetConverter, Bos, EndOfText,
        "<|begin_of_text|>Human: What is 2+2?\n\nBITNETAssistant: <|end_of_text|>2+2 equals 4.<|end_of_text|>Human: And 3+3?\n\nBITNETAssistant: <|end_of_text|>")]
    public void FormatsAFourTurnConversation(string format, string bos, string eos, string expected)
    {
        Assert.Equal(expected, KnownChatFormats.Format(format, FourTurns, addGenerationPrompt: true, bos, eos));
    }

    [Theory]
    [InlineData(KnownChatFormats.BitNetB158, "<|eot_id|>")]
    [InlineData(KnownChatFormats.Llama3, "<|eot_id|>")]
    [InlineData(KnownChatFormats.ChatML, "<|im_end|>")]
    [InlineData(KnownChatFormats.Falcon3, "<|endoftext|>")]
    public void RenderingIsPrefixStableAcrossTurns(string format, string endOfTurn)
    {
        // Turn N's prompt + the model's reply + its end-of-turn token must be a prefix of turn N+1's prompt,
        // so a caller with a KV cache only feeds the new suffix.
        string before = KnownChatFormats.Format(format, ThreeTurns, true, Bos, "<|endoftext|>");
        ChatTurn[] next = [.. ThreeTurns, new("assistant", "6."), new("user", "Thanks!")];
        string after = KnownChatFormats.Format(format, next, true, Bos, "<|endoftext|>");
        Assert.StartsWith(before + "6." + endOfTurn, after);
    }

    [Fact]
    public void BitNetTrimsContentAndCapitalisesRoles()
    {
        Assert.Equal("<s>User: hi<|eot_id|>",
            KnownChatFormats.Format(KnownChatFormats.BitNetB158, [new("user", "  hi \n")], false, "<s>", "</s>"));
        Assert.Equal("Assistant: ", KnownChatFormats.Format(KnownChatFormats.BitNetB158, [], true, "<s>", "</s>"));
    }

    [Fact]
    public void UnknownFormatNameIsAnArgumentError()
    {
        Assert.Throws<ArgumentException>(() => KnownChatFormats.Format("vicuna", FourTurns, true, "", ""));
        Assert.Throws<ArgumentException>(() => KnownChatFormats.StopStrings("vicuna"));
        Assert.False(KnownChatFormats.IsKnown("vicuna"));
        Assert.Equal(5, KnownChatFormats.Names.Count);
    }

    private const string ConverterTemplate =
        "{% for message in messages %}{% if loop.first %}{{ bos_token }}{% endif %}{% if message['role'] == 'user' %}{{ 'Human: ' + message['content'] + '\\n\\nBITNETAssistant: ' + eos_token }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";

    public static TheoryData<string?, string?> Detections => new()
    {
        { RealTemplates.BitNet2B4T, KnownChatFormats.BitNetB158 },
        { ConverterTemplate, KnownChatFormats.BitNetConverter },
        { RealTemplates.ChatML, KnownChatFormats.ChatML },
        { RealTemplates.Qwen25, KnownChatFormats.ChatML },
        { RealTemplates.Qwen3Thinking, KnownChatFormats.ChatML },
        { RealTemplates.Llama31, KnownChatFormats.Llama3 },
        { RealTemplates.Llama32Date, KnownChatFormats.Llama3 },
        { RealTemplates.Falcon3, KnownChatFormats.Falcon3 },
        { RealTemplates.Mistral, null },
        { RealTemplates.Gemma, null },
        { RealTemplates.Phi3, null },
        { RealTemplates.Zephyr, null },
        { "chatml", KnownChatFormats.ChatML },
        { " bitnet-b1.58\n", KnownChatFormats.BitNetB158 },
        { "", null },
        { null, null },
    };

    [Theory]
    [MemberData(nameof(Detections))]
    public void DetectsKnownFormatsFromTemplateText(string? template, string? expected)
    {
        Assert.Equal(expected, KnownChatFormats.Detect(template));
    }

    private static readonly string[] Llama3Specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"];

    [Theory]
    [InlineData("bitnet-25", KnownChatFormats.BitNetB158)]
    [InlineData("bitnet-b1.58", KnownChatFormats.BitNetB158)]
    [InlineData("llama", KnownChatFormats.Llama3)]
    [InlineData(null, KnownChatFormats.Llama3)]
    public void ChoosesAFormatFromArchitectureAndVocabulary(string? architecture, string expected)
    {
        Assert.Equal(expected, KnownChatFormats.ForModel(architecture, ["a", "b", .. Llama3Specials]));
    }

    [Fact]
    public void ChoosesChatMLOrFalcon3FromTheirTokensAndChatMLOtherwise()
    {
        Assert.Equal(KnownChatFormats.ChatML, KnownChatFormats.ForModel("qwen2", ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]));
        Assert.Equal(KnownChatFormats.Falcon3, KnownChatFormats.ForModel("llama", ["<|system|>", "<|user|>", "<|assistant|>", "<|endoftext|>"]));
        Assert.Equal(KnownChatFormats.ChatML, KnownChatFormats.ForModel("bitnet", ["<s>", "</s>", "<unk>"]));
        Assert.Equal(KnownChatFormats.ChatML, KnownChatFormats.ForModel(null, null));
    }
}
