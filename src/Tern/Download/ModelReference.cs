namespace Tern.Download;

/// <summary>
/// A file in a Hugging Face repository, written <c>hf:OWNER/REPO/FILE</c> or <c>hf:OWNER/REPO@REVISION/FILE</c>.
/// FILE may contain <c>/</c> subfolders; the revision defaults to <see cref="DefaultRevision"/>.
/// Every part later becomes a folder or file name in the cache, so <see cref="Validate"/> refuses anything that could
/// escape it or behave differently across file systems: <c>..</c>, empty parts, separators, drive letters, control characters.
/// </summary>
public sealed record ModelReference(string Owner, string Repo, string Revision, string FilePath)
{
    public const string Scheme = "hf:";
    public const string DefaultRevision = "main";

    // Hugging Face limits repository names to 96 characters; the other limits only keep paths sane.
    private const int MaxNameLength = 96;
    private const int MaxRevisionLength = 255;
    private const int MaxFilePathLength = 1024;

    public static bool TryParse(string s, out ModelReference? r, out string? error)
    {
        r = null;
        error = Parse(s, out var parsed);
        if (error != null)
        {
            error = $"bad model reference '{s}': {error} (expected hf:OWNER/REPO/FILE or hf:OWNER/REPO@REVISION/FILE)";
            return false;
        }
        r = parsed;
        return true;
    }

    private static string? Parse(string s, out ModelReference? r)
    {
        r = null;
        if (s is null || !s.StartsWith(Scheme, StringComparison.Ordinal)) return $"it does not start with '{Scheme}'";
        var rest = s.AsSpan(Scheme.Length);

        int slash1 = rest.IndexOf('/');
        if (slash1 < 0) return "no repository";
        string owner = rest[..slash1].ToString();
        rest = rest[(slash1 + 1)..];

        int slash2 = rest.IndexOf('/');
        if (slash2 < 0) return "no file";
        var repoAndRevision = rest[..slash2];
        string filePath = rest[(slash2 + 1)..].ToString();

        string repo, revision = DefaultRevision;
        int at = repoAndRevision.IndexOf('@');
        if (at < 0) repo = repoAndRevision.ToString();
        else
        {
            repo = repoAndRevision[..at].ToString();
            revision = repoAndRevision[(at + 1)..].ToString();
        }

        var candidate = new ModelReference(owner, repo, revision, filePath);
        string? error = candidate.Validate();
        if (error == null) r = candidate;
        return error;
    }

    /// <summary>Returns why this reference is unsafe or malformed, or null when every part is acceptable.</summary>
    public string? Validate()
    {
        return CheckName(Owner, "owner")
            ?? CheckName(Repo, "repository")
            ?? CheckRevision(Revision)
            ?? CheckFilePath(FilePath);
    }

    private static string? CheckName(string? name, string what)
    {
        if (string.IsNullOrEmpty(name)) return $"empty {what}";
        if (name.Length > MaxNameLength) return $"{what} is longer than {MaxNameLength} characters";
        if (name[0] == '.') return $"{what} '{name}' starts with '.'";
        foreach (char c in name)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                return $"{what} '{name}' may contain only letters, digits, '-', '_' and '.'";
        return null;
    }

    // A branch, tag or commit id. Branch names with '/' (refs/pr/1) would be ambiguous with the file path, so they are refused.
    private static string? CheckRevision(string? revision)
    {
        if (string.IsNullOrEmpty(revision)) return "empty revision after '@'";
        if (revision.Length > MaxRevisionLength) return $"revision is longer than {MaxRevisionLength} characters";
        if (revision[0] == '.') return $"revision '{revision}' starts with '.'";
        foreach (char c in revision)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                return $"revision '{revision}' may contain only letters, digits, '-', '_' and '.'";
        return null;
    }

    private static string? CheckFilePath(string? path)
    {
        if (string.IsNullOrEmpty(path)) return "empty file path";
        if (path.Length > MaxFilePathLength) return $"file path is longer than {MaxFilePathLength} characters";
        foreach (var part in path.Split('/'))
        {
            if (part.Length == 0) return $"file path '{path}' has an empty part (leading, trailing or doubled '/')";
            if (part is "." or "..") return $"file path '{path}' contains '{part}'";
            // Trailing dots and spaces are silently dropped by Windows, which would make two names share one file.
            if (part[^1] is '.' or ' ') return $"file path part '{part}' ends with '{part[^1]}'";
            foreach (char c in part)
                if (char.IsControl(c) || c is '\\' or ':' or '*' or '?' or '"' or '<' or '>' or '|')
                    return $"file path '{path}' contains a forbidden character (U+{(int)c:X4})";
        }
        return null;
    }

    /// <summary>Formats back to the <c>hf:</c> form; the revision is written only when it is not <see cref="DefaultRevision"/>.</summary>
    public override string ToString() => Revision == DefaultRevision
        ? $"{Scheme}{Owner}/{Repo}/{FilePath}"
        : $"{Scheme}{Owner}/{Repo}@{Revision}/{FilePath}";
}
