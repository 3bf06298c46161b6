namespace Tern.Chat;

/// <summary>One message of a conversation. <paramref name="Role"/> is "system", "user" or "assistant" (templates may accept others, e.g. "tool").</summary>
public sealed record ChatTurn(string Role, string Content);
