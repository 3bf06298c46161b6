namespace Tern.Safetensors;

/// <summary>A safetensors file (or a sharded checkpoint's index) is malformed, truncated or hostile. The message names the file and the problem.</summary>
public sealed class SafetensorsFormatException : Exception
{
    public SafetensorsFormatException(string message) : base(message) { }
    public SafetensorsFormatException(string message, Exception inner) : base(message, inner) { }
}
