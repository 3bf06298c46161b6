using System.Text.Json;
using Tern.Chat;
using Tern.Gguf;
using Tern.Tests.TestSupport;
using static Tern.Tests.Chat.ChatTestSupport;
using static Tern.Tests.Chat.Jinja.JinjaTestSupport;

namespace Tern.Tests.Chat;

/// <summary>
/// Real chat templates rendered end to end. Expected strings are written out literally; each was derived from the
/// template's semantics and cross-checked with Python Jinja2 3.1.6 configured as transformers' apply_chat_template
/// configures it (trim_blocks, lstrip_blocks, loopcontrols, HF's tojson, raise_exception, strftime_now).
/// </summary>
public class RealTemplateTests
{
    private const string Bos = "<|begin_of_text|>";
    private const string EndOfText = "<|end_of_text|>";

    [SharedFact]
    public void Llama3TemplateFromTheOracleTokenizerConfig()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(SharedData.PathOf("oracle", "tokenizers", "llama3", "tokenizer_config.json")));
        string source = json.RootElement.GetProperty("chat_template").GetString()!;
        string bos = json.RootElement.GetProperty("bos_token").GetString()!;
        string eos = json.RootElement.GetProperty("eos_token").GetString()!;
        var template = new ChatTemplate(source, bos, eos);

        const string expected =
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n2+2 equals 4.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n";
        Assert.Equal(expected, template.Render(FourTurns, addGenerationPrompt: true));
        Assert.Equal("jinja", template.Name);
        Assert.Equal(KnownChatFormats.Llama3, template.DetectedFormat);
        Assert.Equal(["<|eot_id|>"], template.StopStrings);
        // This (npm-packaged) version of Meta's template writes the assistant header unconditionally.
        Assert.Equal(expected, template.Render(FourTurns, addGenerationPrompt: false));
        // The built-in llama3 format produces the same text.
        Assert.Equal(expected, KnownChatFormats.Format(KnownChatFormats.Llama3, FourTurns, true, bos, eos));
    }

    [SharedFact]
    public void ConverterTemplateInsideTheBitnetGgufRendersVerbatim()
    {
        using var file = GgufFile.Open(SharedData.PathOf("oracle", "tokenizers", "llama3", "bitnet-2b4t-vocab.gguf"));
        string source = file.GetString("tokenizer.chat_template")!;
        var template = new ChatTemplate(source, Bos, EndOfText);

        Assert.Equal("jinja", template.Name);
        Assert.Equal(KnownChatFormats.BitNetConverter, template.DetectedFormat);
        Assert.Equal(
            "<|begin_of_text|>Human: Hi\n\nBITNETAssistant: <|end_of_text|>Hello!<|end_of_text|>Human: How are you?\n\nBITNETAssistant: <|end_of_text|>",
            template.Render([new("user", "Hi"), new("assistant", "Hello!"), new("user", "How are you?")], addGenerationPrompt: true));
        Assert.Equal(["\n\nHuman:"], template.StopStrings);
    }

    [SharedFact]
    public void FromGgufReplacesTheConverterPlaceholderWithTheTrainedFormat()
    {
        using var file = GgufFile.Open(SharedData.PathOf("oracle", "tokenizers", "llama3", "bitnet-2b4t-vocab.gguf"));
        var template = ChatTemplate.FromGguf(file);

        Assert.Equal(KnownChatFormats.BitNetB158, template.Name);
        Assert.Equal(KnownChatFormats.BitNetConverter, template.DetectedFormat);
        Assert.Equal((Bos, EndOfText), (template.BosToken, template.EosToken));
        Assert.Equal(["<|eot_id|>"], template.StopStrings);
        Assert.Equal(
            "<|begin_of_text|>User: Hi<|eot_id|>Assistant: Hello!<|eot_id|>User: How are you?<|eot_id|>Assistant: ",
            template.Render([new("user", "Hi"), new("assistant", "Hello!"), new("user", "How are you?")], addGenerationPrompt: true));
    }

    [Fact]
    public void MicrosoftPublished2B4TTemplate()
    {
        var template = new ChatTemplate(RealTemplates.BitNet2B4T, Bos, EndOfText);
        const string expected =
            "<|begin_of_text|>System: You are a helpful assistant.<|eot_id|>User: What is 2+2?<|eot_id|>Assistant: 2+2 equals 4.<|eot_id|>User: And 3+3?<|eot_id|>Assistant: ";
        Assert.Equal(expected, template.Render(FourTurns, addGenerationPrompt: true));
        Assert.Equal("<|begin_of_text|>User: What is 2+2?<|eot_id|>Assistant: 2+2 equals 4.<|eot_id|>User: And 3+3?<|eot_id|>",
            template.Render(ThreeTurns, addGenerationPrompt: false));
        Assert.Equal(KnownChatFormats.BitNetB158, template.DetectedFormat);
        Assert.Equal(["<|eot_id|>"], template.StopStrings);
        Assert.Equal(expected, KnownChatFormats.Format(KnownChatFormats.BitNetB158, FourTurns, true, Bos, EndOfText));
    }

    [Fact]
    public void ChatMLAddsADefaultSystemPromptWhenThereIsNone()
    {
        var template = new ChatTemplate(RealTemplates.ChatML, "", "<|im_end|>");
        const string expected =
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n" +
            "<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n";
        Assert.Equal(expected, template.Render(ThreeTurns, addGenerationPrompt: true));
        Assert.Equal(expected, template.Render(FourTurns, addGenerationPrompt: true));
        Assert.Equal(KnownChatFormats.ChatML, template.DetectedFormat);
        Assert.Empty(template.StopStrings); // <|im_end|> is the EOS here
        Assert.Equal(expected, KnownChatFormats.Format(KnownChatFormats.ChatML, FourTurns, true, "", "<|im_end|>"));
    }

    [Fact]
    public void Qwen25TemplateWithAndWithoutTools()
    {
        var template = new ChatTemplate(RealTemplates.Qwen25, "", "<|im_end|>");
        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n" +
            "<|im_start|>assistant\n2+2 equals 4.<|im_end|>\n<|im_start|>user\nAnd 3+3?<|im_end|>\n<|im_start|>assistant\n",
            template.Render(FourTurns, addGenerationPrompt: true));

        // Tool calls and tool results need richer messages than ChatTurn: render through the interpreter directly.
        var messages = new List<object?>
        {
            Dict(("role", "user"), ("content", "Weather in Paris?")),
            Dict(("role", "assistant"), ("content", ""), ("tool_calls", new List<object?> { WeatherCall() })),
            Dict(("role", "tool"), ("content", "{\"temp\": 21}")),
        };
        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.\n\n# Tools\n\n" +
            "You may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>\n" +
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather in a city\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n" +
            "</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n" +
            "{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\nWeather in Paris?<|im_end|>\n" +
            "<|im_start|>assistant\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call><|im_end|>\n" +
            "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response><|im_end|>\n<|im_start|>assistant\n",
            Render(RealTemplates.Qwen25, ("messages", messages), ("add_generation_prompt", true), ("tools", new List<object?> { WeatherTool() })));
    }

    [Fact]
    public void Falcon3WritesEosAfterAssistantTurns()
    {
        var template = new ChatTemplate(RealTemplates.Falcon3, "", "<|endoftext|>");
        const string expected =
            "<|system|>\nYou are a helpful assistant.\n<|user|>\nWhat is 2+2?\n<|assistant|>\n2+2 equals 4.<|endoftext|>\n<|user|>\nAnd 3+3?\n<|assistant|>\n";
        Assert.Equal(expected, template.Render(FourTurns, addGenerationPrompt: true));
        ChatTurn[] five = [.. FourTurns, new("assistant", "6.")];
        // The final assistant turn gets no "\n" after EOS (the template special-cases loop.last).
        Assert.Equal(
            "<|system|>\nYou are a helpful assistant.\n<|user|>\nWhat is 2+2?\n<|assistant|>\n2+2 equals 4.<|endoftext|>\n<|user|>\nAnd 3+3?\n<|assistant|>\n6.<|endoftext|>",
            template.Render(five, addGenerationPrompt: false));
        Assert.Equal(KnownChatFormats.Falcon3, template.DetectedFormat);
        Assert.Equal(["<|user|>"], template.StopStrings);
        Assert.Equal(expected, KnownChatFormats.Format(KnownChatFormats.Falcon3, FourTurns, true, "", "<|endoftext|>"));
        Assert.Equal(template.Render(five, false), KnownChatFormats.Format(KnownChatFormats.Falcon3, five, false, "", "<|endoftext|>"));
    }

    [Fact]
    public void MistralRaisesOnNonAlternatingRoles()
    {
        var template = new ChatTemplate(RealTemplates.Mistral, "<s>", "</s>");
        Assert.Equal("jinja", template.Name); // the construction-time probe conversation alternates, so the template is accepted
        Assert.Equal("<s>[INST] What is 2+2? [/INST]2+2 equals 4.</s>[INST] And 3+3? [/INST]", template.Render(ThreeTurns, addGenerationPrompt: true));
        var e = Assert.Throws<ChatTemplateException>(() => template.Render(FourTurns, addGenerationPrompt: true));
        Assert.True(e.RaisedByTemplate);
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", e.Reason);
    }

    [Fact]
    public void GemmaRenamesAssistantToModelAndRejectsSystem()
    {
        var template = new ChatTemplate(RealTemplates.Gemma, "<bos>", "<eos>");
        Assert.Equal(
            "<bos><start_of_turn>user\nWhat is 2+2?<end_of_turn>\n<start_of_turn>model\n2+2 equals 4.<end_of_turn>\n<start_of_turn>user\nAnd 3+3?<end_of_turn>\n<start_of_turn>model\n",
            template.Render(ThreeTurns, addGenerationPrompt: true));
        Assert.Equal("System role not supported", Assert.Throws<ChatTemplateException>(() => template.Render(FourTurns, true)).Reason);
        Assert.Equal(["<end_of_turn>"], template.StopStrings);
    }

    [Fact]
    public void Phi3EndsWithEosWithoutGenerationPrompt()
    {
        var template = new ChatTemplate(RealTemplates.Phi3, "<s>", "<|endoftext|>");
        Assert.Equal(
            "<|system|>\nYou are a helpful assistant.<|end|>\n<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n2+2 equals 4.<|end|>\n<|user|>\nAnd 3+3?<|end|>\n<|assistant|>\n",
            template.Render(FourTurns, addGenerationPrompt: true));
        Assert.Equal(
            "<|user|>\nWhat is 2+2?<|end|>\n<|assistant|>\n2+2 equals 4.<|end|>\n<|user|>\nAnd 3+3?<|end|>\n<|endoftext|>",
            template.Render(ThreeTurns, addGenerationPrompt: false));
        Assert.Equal(["<|end|>"], template.StopStrings);
    }

    [Fact]
    public void ZephyrDependsOnTrimBlocks()
    {
        var template = new ChatTemplate(RealTemplates.Zephyr, "<s>", "</s>");
        Assert.Equal(
            "<|system|>\nYou are a helpful assistant.</s>\n<|user|>\nWhat is 2+2?</s>\n<|assistant|>\n2+2 equals 4.</s>\n<|user|>\nAnd 3+3?</s>\n<|assistant|>\n",
            template.Render(FourTurns, addGenerationPrompt: true));
        Assert.Null(template.DetectedFormat); // not mistaken for Falcon3
    }

    [Fact]
    public void Llama31DatePreambleAndSystemExtraction()
    {
        var template = new ChatTemplate(RealTemplates.Llama31, Bos, "<|eot_id|>");
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
            "You are a helpful assistant.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n2+2 equals 4.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            template.Render(FourTurns, addGenerationPrompt: true));
        // date_string supplied by the caller; no system message → empty system block.
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 07 Mar 2025\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n2+2 equals 4.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            template.Render(ThreeTurns, true, new Dictionary<string, object?> { ["date_string"] = "07 Mar 2025" }));
    }

    [Fact]
    public void Llama31ToolsGoIntoTheFirstUserMessage()
    {
        var template = new ChatTemplate(RealTemplates.Llama31, Bos, "<|eot_id|>");
        string rendered = template.Render([new("system", "Be terse."), new("user", "Weather in Paris?")], true,
            new Dictionary<string, object?> { ["tools"] = new List<object?> { WeatherTool() } });
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nEnvironment: ipython\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n" +
            "Be terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nGiven the following functions, please respond with a JSON for a function call " +
            "with its proper arguments that best answers the given prompt.\n\nRespond in the format {\"name\": function name, \"parameters\": dictionary of argument name and its value}." +
            "Do not use variables.\n\n{\n    \"type\": \"function\",\n    \"function\": {\n        \"name\": \"get_weather\",\n        \"description\": \"Get the weather in a city\",\n" +
            "        \"parameters\": {\n            \"type\": \"object\",\n            \"properties\": {\n                \"city\": {\n                    \"type\": \"string\"\n                }\n" +
            "            },\n            \"required\": [\n                \"city\"\n            ]\n        }\n    }\n}\n\n" +
            "Weather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            rendered);
    }

    [Fact]
    public void Llama31ToolCallAndToolResult()
    {
        var messages = new List<object?>
        {
            Dict(("role", "user"), ("content", "Weather in Paris?")),
            Dict(("role", "assistant"), ("content", ""), ("tool_calls", new List<object?> { WeatherCall() })),
            Dict(("role", "tool"), ("content", "sunny")),
        };
        // A string tool result "is iterable", so the real template JSON-quotes it.
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWeather in Paris?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n" +
            "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}<|eot_id|><|start_header_id|>ipython<|end_header_id|>\n\n\"sunny\"<|eot_id|>" +
            "<|start_header_id|>assistant<|end_header_id|>\n\n",
            Render(RealTemplates.Llama31, ("messages", messages), ("add_generation_prompt", true), ("bos_token", Bos), ("tools", null)));
    }

    [Fact]
    public void Llama32TakesTodaysDateFromStrftimeNow()
    {
        var template = new ChatTemplate(RealTemplates.Llama32Date, Bos, "<|eot_id|>") { Clock = new FixedClock() };
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 07 Mar 2025\n\n<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n2+2 equals 4.<|eot_id|>" +
            "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
            template.Render(ThreeTurns, addGenerationPrompt: true));
    }

    [Fact]
    public void Qwen3StyleReasoningHandling()
    {
        var template = new ChatTemplate(RealTemplates.Qwen3Thinking, "", "<|im_end|>");
        ChatTurn[] conversation =
        [
            new("user", "Hi"),
            new("assistant", "<think>\nGreet back.\n</think>\n\nHello!"),
            new("user", "2+2?"),
            new("assistant", "<think>\nAdd.\n</think>\n\n4"),
        ];
        // Reasoning before the last user query is dropped (so this template is not prefix-stable across turns).
        Assert.Equal(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\nAdd.\n</think>\n\n4<|im_end|>\n",
            template.Render(conversation, addGenerationPrompt: false));
        Assert.Equal(
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
            template.Render(conversation[..3], true, new Dictionary<string, object?> { ["enable_thinking"] = false }));
    }

    [Theory]
    [InlineData(nameof(RealTemplates.BitNet2B4T), "<|eot_id|>")]
    [InlineData(nameof(RealTemplates.Llama31), "<|eot_id|>")]
    [InlineData(nameof(RealTemplates.Falcon3), "<|endoftext|>")]
    [InlineData(nameof(RealTemplates.Qwen25), "<|im_end|>")]
    [InlineData(nameof(RealTemplates.Gemma), "<end_of_turn>")]
    public void JinjaRenderingIsPrefixStableAcrossTurns(string templateName, string endOfTurn)
    {
        string source = (string)typeof(RealTemplates).GetField(templateName)!.GetValue(null)!;
        var template = new ChatTemplate(source, Bos, "<|endoftext|>");
        string before = template.Render(ThreeTurns, addGenerationPrompt: true);
        string after = template.Render([.. ThreeTurns, new("assistant", "6."), new("user", "Thanks!")], addGenerationPrompt: true);
        Assert.StartsWith(before + "6." + endOfTurn, after);
    }

    private static readonly ChatTurn[] ThinkingConversation =
    [
        new("system", "Sys A"),
        new("user", "Q1"),
        new("assistant", "<think>hmm</think>A1"),
        new("user", "Q2"),
    ];

    [Fact]
    public void DeepSeekR1NamespaceBookkeepingAndThinkStripping()
    {
        var template = new ChatTemplate(RealTemplates.DeepSeekR1, "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>");
        Assert.Equal("<｜begin▁of▁sentence｜>Sys A<｜User｜>Q1<｜Assistant｜>A1<｜end▁of▁sentence｜><｜User｜>Q2<｜Assistant｜><think>\n",
            template.Render(ThinkingConversation, addGenerationPrompt: true));
    }

    [Fact]
    public void Gemma3FoldsTheSystemPromptIntoTheFirstUserTurn()
    {
        var template = new ChatTemplate(RealTemplates.Gemma3, "<bos>", "<eos>");
        Assert.Equal(
            "<bos><start_of_turn>user\nSys A\n\nQ1<end_of_turn>\n<start_of_turn>model\n<think>hmm</think>A1<end_of_turn>\n<start_of_turn>user\nQ2<end_of_turn>\n<start_of_turn>model\n",
            template.Render(ThinkingConversation, addGenerationPrompt: true));
        // Multimodal content lists (not expressible as ChatTurn) go through the interpreter directly.
        var messages = new List<object?>
        {
            Dict(("role", "system"), ("content", new List<object?> { Dict(("type", "text"), ("text", "Sys ")) })),
            Dict(("role", "user"), ("content", new List<object?> { Dict(("type", "image")), Dict(("type", "text"), ("text", " Describe. ")) })),
        };
        Assert.Equal("<bos><start_of_turn>user\nSys \n\n<start_of_image>Describe.<end_of_turn>\n<start_of_turn>model\n",
            Render(RealTemplates.Gemma3, ("messages", messages), ("add_generation_prompt", true), ("bos_token", "<bos>")));
    }

    [Fact]
    public void HermesToolTemplateWithRecursiveMacros()
    {
        var properties = Dict(
            ("city", Dict(("type", "string"), ("description", " The city "))),
            ("days", Dict(("type", "array"), ("items", Dict(("type", "integer"))), ("description", "days"))),
            ("extra", Dict(("type", "object"), ("additionalProperties", Dict(("type", "number"))), ("description", "e"))));
        var tool = Dict(("type", "function"), ("function", Dict(
            ("name", "get_weather"),
            ("description", "Get weather"),
            ("parameters", Dict(("type", "object"), ("properties", properties), ("required", new List<object?> { "city" }))))));
        var template = new ChatTemplate(RealTemplates.HermesToolMacros, "<s>", "<|im_end|>");
        Assert.Equal(
            "<s><|im_start|>system\nYou are a function calling AI model. You may call one or more functions to assist with the user query. Here are the available tools: <tools> " +
            "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"get_weather(city: str, days: list[int], extra: dict[str, float]) - Get weather\n\n" +
            "    Args:\n        city(str): The city        days(list[int]): days        extra(dict[str, float]): e\", \"parameters\": " +
            "{\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\", \"description\": \" The city \"}, \"days\": {\"type\": \"array\", \"items\": {\"type\": \"integer\"}, \"description\": \"days\"}, " +
            "\"extra\": {\"type\": \"object\", \"additionalProperties\": {\"type\": \"number\"}, \"description\": \"e\"}}, \"required\": [\"city\"]}} </tools>" +
            "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\n<think>hmm</think>A1<|im_end|>\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n",
            template.Render(ThinkingConversation[1..], true, new Dictionary<string, object?> { ["tools"] = new List<object?> { tool } }));
    }

    private static Dictionary<string, object?> WeatherTool() =>
        Dict(("type", "function"), ("function", Dict(
            ("name", "get_weather"),
            ("description", "Get the weather in a city"),
            ("parameters", Dict(
                ("type", "object"),
                ("properties", Dict(("city", Dict(("type", "string"))))),
                ("required", new List<object?> { "city" }))))));

    private static Dictionary<string, object?> WeatherCall() =>
        Dict(("type", "function"), ("function", Dict(("name", "get_weather"), ("arguments", Dict(("city", "Paris"))))));
}
