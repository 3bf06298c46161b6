namespace Tern.Conversion;

/// <summary>
/// A Hugging Face checkpoint cannot be converted: a config is missing or contradicts the weights, a tensor is missing
/// or misshapen, the architecture is unknown, or a projection is not ternary. The message names the file or tensor and why.
/// </summary>
public sealed class HfCheckpointException : Exception
{
    public HfCheckpointException(string message) : base(message) { }
    public HfCheckpointException(string message, Exception inner) : base(message, inner) { }
}
