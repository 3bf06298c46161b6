namespace Tern.Files;

/// <summary>
/// Writes a file through a temporary one beside it, renamed over the target when complete (rename(2) is atomic on one
/// file system): a failed, interrupted or concurrent write never leaves a truncated file under the name.
/// </summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string temp = $"{path}.{Environment.ProcessId}.tmp";
        try
        {
            using (var fs = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20)) write(fs);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
