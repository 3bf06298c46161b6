namespace Tern.Conversion;

/// <summary>A bitllama2.c model file is malformed, truncated, hostile or uses a variant Tern cannot import. The message names the file and the problem.</summary>
public sealed class BitLlama2cFormatException : Exception
{
    public BitLlama2cFormatException(string message) : base(message) { }
    public BitLlama2cFormatException(string message, Exception inner) : base(message, inner) { }
}
