namespace Tern.Download;

/// <summary>A model download failed. The message is one line that names the cause and, where it helps, what to do next.</summary>
public sealed class DownloadException : Exception
{
    public DownloadException(string message) : base(message) { }
    public DownloadException(string message, Exception inner) : base(message, inner) { }
}
