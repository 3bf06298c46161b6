using Tern.Chat;

namespace Tern.Tests.Chat;

internal static class ChatTestSupport
{
    /// <summary>system + user + assistant + user.</summary>
    public static readonly ChatTurn[] FourTurns =
    [
        new("system", "You are a helpful assistant."),
        new("user", "What is 2+2?"),
        new("assistant", "2+2 equals 4."),
        new("user", "And 3+3?"),
    ];

    /// <summary>user + assistant + user.</summary>
    public static readonly ChatTurn[] ThreeTurns = FourTurns[1..];

    /// <summary>A local clock fixed at 2025-03-07 14:05:09 (UTC as the local zone).</summary>
    public sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2025, 3, 7, 14, 5, 9, TimeSpan.Zero);
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
