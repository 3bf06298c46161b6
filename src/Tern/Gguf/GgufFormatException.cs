namespace Tern.Gguf;

/// <summary>A GGUF file is malformed, truncated, hostile or uses something Tern cannot read. The message names the problem.</summary>
public sealed class GgufFormatException : Exception
{
    public GgufFormatException(string message) : base(message) { }
    public GgufFormatException(string message, Exception inner) : base(message, inner) { }
}
