namespace Tern.Tests.TestSupport;

/// <summary>
/// The browser the web page tests drive: Debian's chromium (.ci/run installs it), never a browser Playwright downloads.
/// </summary>
public static class Chromium
{
    public const string Path = "/usr/bin/chromium";

    public static bool IsPresent => File.Exists(Path);

    /// <summary>CI sets CI=true; there a missing browser is a failure, not a skip.</summary>
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public const string SkipReason = Path + " not found: install Debian's chromium (apt-get install chromium) to run the web page tests";
}

/// <summary>
/// A [Fact] that needs Chromium: skipped with a visible reason when it is absent, except in CI, where the test runs
/// and fails on the missing browser (so a broken install step cannot turn the browser tests off unseen).
/// </summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!Chromium.IsPresent && !Chromium.InCi) Skip = Chromium.SkipReason;
    }
}
