using System.Diagnostics;
using System.Security.Cryptography;
using Tern.Download;

namespace Tern.Tests.Download;

/// <summary>
/// Every test talks to a <see cref="LoopbackHttpServer"/> on 127.0.0.1 that plays the hub, misbehaving where the test needs it,
/// and downloads into a fresh temporary cache. The stall tests set short timeouts so they finish in well under a second.
/// </summary>
public sealed class ModelDownloaderTests : IDisposable
{
    private const int TestTimeoutMs = 30_000;
    private static readonly ModelReference Ref = new("o", "r", "main", "sub/model.gguf");
    private readonly string _cache = Path.Combine(Path.GetTempPath(), "tern-download-tests-" + Guid.NewGuid().ToString("N"));
    private readonly byte[] _content = RandomBytes(3_000_000, seed: 42);

    public void Dispose()
    {
        if (Directory.Exists(_cache)) Directory.Delete(_cache, recursive: true);
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Sha256Hex(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private ModelDownloader NewDownloader(string endpoint) => new(cacheDir: _cache, endpoint: endpoint)
    {
        Token = null, // keep a developer's HF_TOKEN out of the tests
        // Generous: on a loaded 2-core CI machine (the kernel tests run child processes in parallel) the loopback
        // server once took over 5 s to answer. The stall tests set their own short timeouts.
        ConnectTimeout = TimeSpan.FromSeconds(20),
        ReadTimeout = TimeSpan.FromSeconds(20),
    };

    private string FinalPath => Path.Combine(_cache, "o", "r", "main", "sub", "model.gguf");
    private string PartPath => FinalPath + ".part";

    private void WritePart(ReadOnlySpan<byte> bytes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(PartPath)!);
        File.WriteAllBytes(PartPath, bytes.ToArray());
    }

    /// <summary>
    /// Serves <paramref name="content"/> the way the hub's CDN does: 200 with Content-Length, or 206 with Content-Range
    /// for a satisfiable Range, 416 for one past the end. <paramref name="bodyLimit"/> cuts the body short (the connection
    /// then closes, or stalls with <paramref name="stall"/>).
    /// </summary>
    private static async Task ServeFileAsync(HttpExchange ex, byte[] content, bool honourRange = true, int? bodyLimit = null,
        bool stall = false, params (string, string)[] headers)
    {
        int start = 0;
        string? range = ex.Request.Header("Range");
        if (honourRange && range != null)
        {
            Assert.Matches("^bytes=[0-9]+-$", range);
            start = int.Parse(range["bytes=".Length..^1]);
            if (start >= content.Length)
            {
                await ex.RespondAsync(416, [], [("Content-Range", $"bytes */{content.Length}"), .. headers]);
                return;
            }
            await ex.WriteHeadAsync(206, content.Length - start,
                [("Content-Range", $"bytes {start}-{content.Length - 1}/{content.Length}"), .. headers]);
        }
        else
        {
            await ex.WriteHeadAsync(200, content.Length, headers);
        }
        var body = content.AsMemory(start);
        if (bodyLimit is int limit && limit < body.Length) body = body[..limit];
        await ex.WriteBodyAsync(body);
        if (stall) await ex.StallAsync();
    }

    private sealed class ProgressLog : IProgress<DownloadProgress>
    {
        public readonly List<DownloadProgress> Reports = [];
        public void Report(DownloadProgress value)
        {
            lock (Reports) Reports.Add(value);
        }
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task DownloadsIntoTheCacheLayoutAndLeavesNoPartFile()
    {
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content));
        using var d = NewDownloader(server.Endpoint);

        string path = await d.EnsureAsync(Ref, null, CancellationToken.None);

        Assert.Equal(FinalPath, path);
        Assert.Equal(_content, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(PartPath));
        var request = Assert.Single(server.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("/o/r/resolve/main/sub/model.gguf", request.Target);
        Assert.Null(request.Header("Range"));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task PercentEncodesEveryPartOfTheUrl()
    {
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content));
        using var d = NewDownloader(server.Endpoint + "/mirror/");
        var r = new ModelReference("o", "r", "v1.0", "a b/c%d#e.gguf");

        string path = await d.EnsureAsync(r, null, CancellationToken.None);

        Assert.Equal("/mirror/o/r/resolve/v1.0/a%20b/c%25d%23e.gguf", Assert.Single(server.Requests).Target);
        Assert.Equal(Path.Combine(_cache, "o", "r", "v1.0", "a b", "c%d#e.gguf"), path);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task ACacheHitMakesNoRequest()
    {
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content));
        using (var first = NewDownloader(server.Endpoint))
            await first.EnsureAsync(Ref, null, CancellationToken.None);
        Assert.Single(server.Requests);

        using var second = NewDownloader(server.Endpoint);
        var progress = new ProgressLog();
        string path = await second.EnsureAsync(Ref, progress, CancellationToken.None);
        string resolved = await ModelDownloader.ResolveAsync(Ref.ToString(), progress, second);

        Assert.Equal(FinalPath, path);
        Assert.Equal(FinalPath, resolved);
        Assert.Single(server.Requests);
        Assert.Empty(progress.Reports);
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData("X-Linked-Etag")]
    [InlineData("ETag")]
    public async Task AcceptsAMatchingSha256(string header)
    {
        string etag = $"\"{Sha256Hex(_content).ToUpperInvariant()}\"";
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content, headers: [(header, etag)]));
        using var d = NewDownloader(server.Endpoint);

        string path = await d.EnsureAsync(Ref, null, CancellationToken.None);

        Assert.Equal(_content, await File.ReadAllBytesAsync(path));
    }

    [Theory(Timeout = TestTimeoutMs)]
    [InlineData("X-Linked-Etag")]
    [InlineData("ETag")]
    public async Task RefusesAndDeletesAFileWhoseSha256DoesNotMatch(string header)
    {
        string wrong = Sha256Hex([1, 2, 3]);
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content, headers: [(header, $"\"{wrong}\"")]));
        using var d = NewDownloader(server.Endpoint);

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.Contains($"sha256 mismatch for hf:o/r/sub/model.gguf: expected {wrong}, got {Sha256Hex(_content)}", e.Message);
        Assert.False(File.Exists(FinalPath));
        Assert.False(File.Exists(PartPath));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task IgnoresEntityTagsThatAreNotASha256()
    {
        // The hub's ETag for a small, non-LFS file is a 40-digit git blob id.
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content, headers: [("ETag", $"\"{new string('a', 40)}\"")]));
        using var d = NewDownloader(server.Endpoint);

        Assert.Equal(_content, await File.ReadAllBytesAsync(await d.EnsureAsync(Ref, null, CancellationToken.None)));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task FailsFastWhenTheLinkedSizeDisagreesWithContentLength()
    {
        await using var server = new LoopbackHttpServer(ex =>
            ServeFileAsync(ex, _content, headers: [("X-Linked-Size", (_content.Length + 10).ToString())]));
        using var d = NewDownloader(server.Endpoint);

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.StartsWith($"size mismatch: expected {_content.Length + 10} bytes, 127.0.0.1:{server.Port} announces {_content.Length}", e.Message);
        Assert.False(File.Exists(FinalPath));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task AShortBodyWithoutContentLengthIsASizeMismatchAndIsKeptForResuming()
    {
        // No Content-Length: the body ends when the connection closes, so only X-Linked-Size can reveal it was cut short.
        await using var server = new LoopbackHttpServer(async ex =>
        {
            await ex.WriteHeadAsync(200, null, ("X-Linked-Size", _content.Length.ToString()));
            await ex.WriteBodyAsync(_content.AsMemory(0, 1000));
        });
        using var d = NewDownloader(server.Endpoint);

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.Equal($"size mismatch: expected {_content.Length} bytes, got 1000; run again to resume", e.Message);
        Assert.False(File.Exists(FinalPath));
        Assert.Equal(1000, new FileInfo(PartPath).Length);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task ALongBodyIsASizeMismatchAndIsDeleted()
    {
        await using var server = new LoopbackHttpServer(async ex =>
        {
            await ex.WriteHeadAsync(200, null, ("X-Linked-Size", "1000"));
            await ex.WriteBodyAsync(_content);
        });
        using var d = NewDownloader(server.Endpoint);

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.StartsWith("size mismatch: expected 1000 bytes, got more", e.Message);
        Assert.False(File.Exists(FinalPath));
        Assert.False(File.Exists(PartPath));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task NotFoundIsAClearError()
    {
        await using var server = new LoopbackHttpServer(ex => ex.RespondAsync(404, "Entry not found"u8.ToArray()));
        using var d = NewDownloader(server.Endpoint);

        var e = await Assert.ThrowsAsync<DownloadException>(() =>
            d.EnsureAsync(new ModelReference("o", "r", "main", "missing.gguf"), null, CancellationToken.None));

        Assert.Equal("HTTP 404: hf:o/r/missing.gguf not found", e.Message);
        Assert.False(File.Exists(Path.Combine(_cache, "o", "r", "main", "missing.gguf")));
        Assert.False(File.Exists(Path.Combine(_cache, "o", "r", "main", "missing.gguf.part")));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task ResumesWithRangeAfterTheConnectionDropsHalfWay()
    {
        int half = _content.Length / 2;
        int calls = 0;
        (string, string)[] hubHeaders = [("X-Linked-Etag", $"\"{Sha256Hex(_content)}\""), ("X-Linked-Size", _content.Length.ToString())];
        await using var server = new LoopbackHttpServer(ex => Interlocked.Increment(ref calls) == 1
            ? ServeFileAsync(ex, _content, bodyLimit: half, headers: hubHeaders) // announces the whole length, then hangs up
            : ServeFileAsync(ex, _content, headers: hubHeaders));
        using var d = NewDownloader(server.Endpoint);

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));
        Assert.StartsWith($"connection to 127.0.0.1:{server.Port} lost after 1.5 of 3.0 MB", e.Message);
        Assert.EndsWith("run again to resume", e.Message);
        Assert.False(File.Exists(FinalPath));
        Assert.Equal(half, new FileInfo(PartPath).Length);

        var progress = new ProgressLog();
        string path = await d.EnsureAsync(Ref, progress, CancellationToken.None);

        Assert.Equal($"bytes={half}-", server.Requests[1].Header("Range"));
        Assert.Equal(_content, await File.ReadAllBytesAsync(path)); // and the sha256 covered the kept half too
        Assert.False(File.Exists(PartPath));
        Assert.Equal(half, progress.Reports[0].Received);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task AResumedFileIsHashedWholeSoACorruptPrefixIsCaught()
    {
        var corrupt = (byte[])_content.Clone();
        corrupt[10] ^= 0xFF;
        WritePart(corrupt.AsSpan(0, 1000));
        await using var server = new LoopbackHttpServer(ex =>
            ServeFileAsync(ex, _content, headers: [("X-Linked-Etag", $"\"{Sha256Hex(_content)}\"")]));
        using var d = NewDownloader(server.Endpoint);

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.Contains("sha256 mismatch", e.Message);
        Assert.Equal("bytes=1000-", Assert.Single(server.Requests).Header("Range"));
        Assert.False(File.Exists(PartPath));
        Assert.False(File.Exists(FinalPath));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task RestartsFromZeroWhenTheServerIgnoresRange()
    {
        WritePart(RandomBytes(1000, seed: 7)); // junk: if it were kept, the result would differ
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content, honourRange: false));
        using var d = NewDownloader(server.Endpoint);

        string path = await d.EnsureAsync(Ref, null, CancellationToken.None);

        Assert.Equal("bytes=1000-", Assert.Single(server.Requests).Header("Range"));
        Assert.Equal(_content, await File.ReadAllBytesAsync(path));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A416ForACompletePartFinishesWithoutDownloadingAgain()
    {
        WritePart(_content);
        await using var server = new LoopbackHttpServer(ex =>
            ServeFileAsync(ex, _content, headers: [("X-Linked-Etag", $"\"{Sha256Hex(_content)}\"")]));
        using var d = NewDownloader(server.Endpoint);

        string path = await d.EnsureAsync(Ref, null, CancellationToken.None);

        Assert.Equal($"bytes={_content.Length}-", Assert.Single(server.Requests).Header("Range"));
        Assert.Equal(_content, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(PartPath));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task A416ForAnOverlongPartStartsAgain()
    {
        WritePart([.. _content, .. RandomBytes(500, seed: 3)]);
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content));
        using var d = NewDownloader(server.Endpoint);

        string path = await d.EnsureAsync(Ref, null, CancellationToken.None);

        Assert.Equal([$"bytes={_content.Length + 500}-", null], server.Requests.Select(q => q.Header("Range")));
        Assert.Equal(_content, await File.ReadAllBytesAsync(path));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task AStalledBodyTimesOutAndKeepsWhatArrived()
    {
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content, bodyLimit: 5000, stall: true));
        using var d = new ModelDownloader(cacheDir: _cache, endpoint: server.Endpoint) { Token = null, ReadTimeout = TimeSpan.FromSeconds(1) };
        var clock = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.StartsWith($"download stalled: no data from 127.0.0.1:{server.Port} for 1 s after 0.0 of 3.0 MB", e.Message);
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
        Assert.Equal(5000, new FileInfo(PartPath).Length);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task AServerThatNeverAnswersTimesOut()
    {
        await using var server = new LoopbackHttpServer(ex => ex.StallAsync());
        using var d = new ModelDownloader(cacheDir: _cache, endpoint: server.Endpoint)
        {
            Token = null,
            ConnectTimeout = TimeSpan.FromMilliseconds(200),
            ReadTimeout = TimeSpan.FromMilliseconds(300),
        };

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.Equal($"cannot reach 127.0.0.1:{server.Port} (no network?): no response within 0.5 s", e.Message);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task AnUnreachableEndpointSaysSo()
    {
        int port = LoopbackHttpServer.ClosedPort();
        using var d = NewDownloader($"http://127.0.0.1:{port}");

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.StartsWith($"cannot reach 127.0.0.1:{port} (no network?): ", e.Message);
        Assert.False(File.Exists(FinalPath));
        Assert.False(File.Exists(PartPath));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task AFailedFirstDownloadLeavesNoEmptyFoldersBehind()
    {
        Directory.CreateDirectory(_cache);
        File.WriteAllText(Path.Combine(_cache, "keep.txt"), "the user's");
        Directory.CreateDirectory(Path.Combine(_cache, "o")); // existed before: stays
        await using var server = new LoopbackHttpServer(ex => ex.RespondAsync(404, "Entry not found"u8.ToArray()));
        using var d = NewDownloader(server.Endpoint);

        await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.True(Directory.Exists(Path.Combine(_cache, "o")));
        Assert.False(Directory.Exists(Path.Combine(_cache, "o", "r")));
        Assert.True(File.Exists(Path.Combine(_cache, "keep.txt")));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task FollowsARedirectToAnotherHostTakingSizeAndHashFromTheHub()
    {
        // The CDN's own ETag is some other 64-digit value; only the hub's X-Linked-Etag names the file's sha256.
        await using var cdn = new LoopbackHttpServer(ex =>
            ServeFileAsync(ex, _content, headers: [("ETag", $"\"{new string('0', 64)}\"")]));
        await using var hub = new LoopbackHttpServer(ex => ex.RespondAsync(302, [],
            ("Location", $"{cdn.Endpoint}/blob?signature=x"),
            ("X-Linked-Size", _content.Length.ToString()),
            ("X-Linked-Etag", $"\"{Sha256Hex(_content)}\"")));
        using var d = new ModelDownloader(cacheDir: _cache, endpoint: hub.Endpoint) { Token = "secret" };

        string path = await d.EnsureAsync(Ref, null, CancellationToken.None);

        Assert.Equal(_content, await File.ReadAllBytesAsync(path));
        Assert.Equal("Bearer secret", Assert.Single(hub.Requests).Header("Authorization"));
        var cdnRequest = Assert.Single(cdn.Requests);
        Assert.Equal("/blob?signature=x", cdnRequest.Target);
        Assert.Null(cdnRequest.Header("Authorization")); // the token never leaves the hub's origin
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task ARedirectedFileIsStillCheckedAgainstTheHubsHash()
    {
        var tampered = (byte[])_content.Clone();
        tampered[^1] ^= 1;
        await using var cdn = new LoopbackHttpServer(ex => ServeFileAsync(ex, tampered));
        await using var hub = new LoopbackHttpServer(ex => ex.RespondAsync(302, [],
            ("Location", $"{cdn.Endpoint}/blob"), ("X-Linked-Etag", $"\"{Sha256Hex(_content)}\"")));
        using var d = NewDownloader(hub.Endpoint);

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.Contains("sha256 mismatch", e.Message);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task FollowsARelativeRedirectOnTheSameHost()
    {
        // The hub answers a renamed repository with a relative 307.
        await using var server = new LoopbackHttpServer(ex => ex.Request.Target.StartsWith("/o/")
            ? ex.RespondAsync(307, [], ("Location", "/new-owner/r/resolve/main/sub/model.gguf"))
            : ServeFileAsync(ex, _content));
        using var d = new ModelDownloader(cacheDir: _cache, endpoint: server.Endpoint) { Token = "secret" };

        string path = await d.EnsureAsync(Ref, null, CancellationToken.None);

        Assert.Equal(_content, await File.ReadAllBytesAsync(path));
        Assert.Equal(["Bearer secret", "Bearer secret"], server.Requests.Select(q => q.Header("Authorization")));
        Assert.Equal("/new-owner/r/resolve/main/sub/model.gguf", server.Requests[1].Target);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task ReportsProgressUpToTheTotal()
    {
        await using var server = new LoopbackHttpServer(async ex =>
        {
            // Dribble the body out so several progress intervals pass.
            await ex.WriteHeadAsync(200, _content.Length);
            for (int i = 0; i < 4; i++)
            {
                await ex.WriteBodyAsync(_content.AsMemory(i * _content.Length / 4, _content.Length / 4));
                await Task.Delay(150);
            }
        });
        using var d = NewDownloader(server.Endpoint);
        var progress = new ProgressLog();

        await d.EnsureAsync(Ref, progress, CancellationToken.None);

        Assert.InRange(progress.Reports.Count, 3, 1000);
        Assert.All(progress.Reports, p => Assert.Equal(_content.Length, p.Total));
        Assert.Equal(0, progress.Reports[0].Received);
        Assert.Equal(_content.Length, progress.Reports[^1].Received);
        Assert.True(progress.Reports[^1].BytesPerSecond > 0);
        for (int i = 1; i < progress.Reports.Count; i++)
            Assert.True(progress.Reports[i].Received >= progress.Reports[i - 1].Received);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task ASecondDownloadOfTheSameFileWhileOneIsRunningIsRefused()
    {
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content, bodyLimit: 1000, stall: true));
        using var d = new ModelDownloader(cacheDir: _cache, endpoint: server.Endpoint) { Token = null, ReadTimeout = TimeSpan.FromSeconds(2) };
        var first = d.EnsureAsync(Ref, null, CancellationToken.None);
        while (server.Requests.Length == 0) await Task.Delay(10);

        var e = await Assert.ThrowsAsync<DownloadException>(() => d.EnsureAsync(Ref, null, CancellationToken.None));

        Assert.StartsWith($"cannot open {PartPath}", e.Message);
        Assert.Contains("another tern downloading the same file", e.Message);
        await Assert.ThrowsAsync<DownloadException>(() => first);
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task CancellationKeepsThePartFile()
    {
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content, bodyLimit: 1000, stall: true));
        using var d = NewDownloader(server.Endpoint);
        using var cts = new CancellationTokenSource();
        var task = d.EnsureAsync(Ref, new Progress<DownloadProgress>(_ => cts.CancelAfter(200)), cts.Token);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);

        Assert.True(File.Exists(PartPath));
        Assert.False(File.Exists(FinalPath));
    }

    [Fact(Timeout = TestTimeoutMs)]
    public async Task ResolveWithoutAModelUsesTheDefaultModel()
    {
        await using var server = new LoopbackHttpServer(ex => ServeFileAsync(ex, _content));
        using var d = NewDownloader(server.Endpoint);

        string path = await ModelDownloader.ResolveAsync(null, null, d);

        Assert.Equal("/microsoft/bitnet-b1.58-2B-4T-gguf/resolve/main/ggml-model-i2_s.gguf", Assert.Single(server.Requests).Target);
        Assert.Equal(Path.Combine(_cache, "microsoft", "bitnet-b1.58-2B-4T-gguf", "main", "ggml-model-i2_s.gguf"), path);
    }

    [Fact]
    public async Task ResolveReturnsAnExistingLocalFileWithoutTouchingTheNetwork()
    {
        Directory.CreateDirectory(_cache);
        string local = Path.Combine(_cache, "local.gguf");
        await File.WriteAllBytesAsync(local, [1, 2, 3]);
        // An endpoint that would fail loudly if it were contacted.
        using var d = NewDownloader($"http://127.0.0.1:{LoopbackHttpServer.ClosedPort()}");

        Assert.Equal(local, await ModelDownloader.ResolveAsync(local, null, d));
        Assert.Equal([1, 2, 3], await File.ReadAllBytesAsync(local));
    }

    [Fact]
    public async Task ResolveReportsAMissingLocalFileClearly()
    {
        string missing = Path.Combine(_cache, "nope.gguf");

        var e = await Assert.ThrowsAsync<FileNotFoundException>(() => ModelDownloader.ResolveAsync(missing));

        Assert.Equal($"model file not found: {missing} (to download from Hugging Face, pass hf:OWNER/REPO/FILE)", e.Message);
    }

    [Fact]
    public async Task ResolveRefusesAHostileReference()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ModelDownloader.ResolveAsync("hf:o/r/../../x"));
        Assert.StartsWith("bad model reference 'hf:o/r/../../x'", e.Message);
    }

    [Fact]
    public void CachePathRefusesAHostileReferenceBuiltByHand()
    {
        using var d = new ModelDownloader(cacheDir: _cache, endpoint: "http://127.0.0.1:1");
        Assert.Throws<ArgumentException>(() => d.CachePathFor(new ModelReference("o", "r", "main", "../../../etc/passwd")));
        Assert.Throws<ArgumentException>(() => d.CachePathFor(new ModelReference("..", "r", "main", "f")));
        Assert.Throws<ArgumentException>(() => d.CachePathFor(new ModelReference("o", "r", "main", "/etc/passwd")));
        Assert.Equal(Path.Combine(_cache, "o", "r", "main", "a", "b.gguf"), d.CachePathFor(new ModelReference("o", "r", "main", "a/b.gguf")));
    }

    [Fact]
    public void CacheDirectoryAndEndpointFollowTheEnvironment()
    {
        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string? None(string _) => null;
        Assert.Equal(Path.Combine(home, ".cache", "tern"), ModelDownloader.DefaultCacheDirectory(None));
        Assert.Equal("/x/tern", ModelDownloader.DefaultCacheDirectory(n => n == "XDG_CACHE_HOME" ? "/x" : null));
        Assert.Equal(Path.Combine(home, ".cache", "tern"), ModelDownloader.DefaultCacheDirectory(n => n == "XDG_CACHE_HOME" ? "relative" : null));
        Assert.Equal("/t", ModelDownloader.DefaultCacheDirectory(n => n switch { "TERN_CACHE" => "/t", "XDG_CACHE_HOME" => "/x", _ => null }));

        Assert.Equal("https://huggingface.co", ModelDownloader.DefaultEndpointFrom(None));
        Assert.Equal("http://m", ModelDownloader.DefaultEndpointFrom(n => n == "HF_ENDPOINT" ? "http://m" : null));
        Assert.Equal("http://t", ModelDownloader.DefaultEndpointFrom(n => n switch { "TERN_HF_ENDPOINT" => "http://t", "HF_ENDPOINT" => "http://m", _ => null }));
    }

    [Fact]
    public void RecognisesOnlyA64DigitHexEntityTagAsASha256()
    {
        string hex = Sha256Hex([9]);
        Assert.Equal(hex, ModelDownloader.ParseSha256($"\"{hex.ToUpperInvariant()}\""));
        Assert.Equal(hex, ModelDownloader.ParseSha256($"W/\"{hex}\""));
        Assert.Null(ModelDownloader.ParseSha256($"\"{hex[..40]}\""));
        Assert.Null(ModelDownloader.ParseSha256($"\"{hex[..63]}g\""));
        Assert.Null(ModelDownloader.ParseSha256(null));
    }
}
