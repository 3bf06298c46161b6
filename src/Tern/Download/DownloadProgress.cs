namespace Tern.Download;

/// <summary>
/// Where a download stands. <paramref name="Received"/> counts bytes on disk, including a prefix kept from an earlier,
/// interrupted attempt; <paramref name="Total"/> is null when the server did not say; the rate counts only this attempt's bytes.
/// </summary>
public readonly record struct DownloadProgress(long Received, long? Total, double BytesPerSecond);
