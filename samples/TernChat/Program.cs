// A chat in the console through Microsoft.Extensions.AI's IChatClient, with Tern running the model in-process.
//   dotnet run --project samples/TernChat -c Release -- MODEL.gguf
// Any IChatClient code works unchanged: swap TernChatClient for a cloud client and back.
using Microsoft.Extensions.AI;
using Tern.Extensions.AI;

if (args is not [var modelPath, ..])
{
    Console.Error.WriteLine("usage: TernChat MODEL.gguf   (e.g. a file from `tern dummy` or microsoft/bitnet-b1.58-2B-4T-gguf)");
    return 1;
}

using var model = TernModel.Load(modelPath);
IChatClient chat = new ChatClientBuilder(new TernChatClient(model))
    .UseFunctionInvocation() // middleware composes as with any client (here it has no tools to call)
    .Build();

List<ChatMessage> history = [new(ChatRole.System, "You are a helpful assistant.")];
var options = new ChatOptions { Temperature = 0.7f, MaxOutputTokens = 256 };
Console.WriteLine($"{model.Id} loaded. Type a message (empty line quits).");
while (true)
{
    Console.Write("> ");
    string? line = Console.ReadLine();
    if (string.IsNullOrWhiteSpace(line)) return 0;
    history.Add(new ChatMessage(ChatRole.User, line));
    var updates = new List<ChatResponseUpdate>();
    await foreach (var update in chat.GetStreamingResponseAsync(history, options))
    {
        Console.Write(update.Text);
        updates.Add(update);
    }
    Console.WriteLine();
    var response = updates.ToChatResponse();
    history.AddMessages(response);
    Console.Error.WriteLine($"[{response.Usage?.InputTokenCount} prompt tokens ({response.Usage?.CachedInputTokenCount} cached), {response.Usage?.OutputTokenCount} generated]");
}
