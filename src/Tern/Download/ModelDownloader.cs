using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Tern.Download;

/// <summary>
/// Fetches files named by a <see cref="ModelReference"/> from a Hugging Face endpoint into a per-user cache, once.
/// <para>
/// Cache layout: <c>&lt;cache&gt;/&lt;owner&gt;/&lt;repo&gt;/&lt;revision&gt;/&lt;file path&gt;</c>. A file there is complete:
/// bytes arrive in <c>&lt;file&gt;.part</c>, which is size-checked (and sha256-checked when the server names the hash)
/// before it is renamed into place. An interrupted download leaves the <c>.part</c> behind and the next call resumes it
/// with a <c>Range</c> request. Nothing is ever written outside the cache directory.
/// </para>
/// <para>
/// Redirects are followed here rather than by the handler, because Hugging Face puts the file's size and sha256
/// (<c>X-Linked-Size</c>, <c>X-Linked-Etag</c>) on its own redirect response, not on the CDN response that carries the bytes.
/// The token goes only to the endpoint's origin, never to the host a redirect leads to.
/// </para>
/// </summary>
public sealed class ModelDownloader : IDisposable
{
    public const string DefaultEndpoint = "https://huggingface.co";
    /// <summary>The model generate and chat use when no <c>-m</c> is given.</summary>
    public const string DefaultModel = "hf:microsoft/bitnet-b1.58-2B-4T-gguf/ggml-model-i2_s.gguf";
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultReadTimeout = TimeSpan.FromSeconds(30);

    private const string PartSuffix = ".part";
    private const string UserAgent = "tern";
    private const int MaxRedirects = 10;
    private const int BufferSize = 1 << 20;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(100);

    private readonly HttpClient _http;
    private readonly SocketsHttpHandler? _ownHandler; // null when the caller supplied the HttpClient
    private readonly Uri _endpoint;
    private TimeSpan _connectTimeout = DefaultConnectTimeout;

    /// <summary>Absolute path of the cache root.</summary>
    public string CacheDirectory { get; }
    public Uri Endpoint => _endpoint;
    /// <summary>Sent as <c>Authorization: Bearer</c> to the endpoint's origin only. Defaults to the HF_TOKEN environment variable.</summary>
    public string? Token { get; init; }

    /// <summary>
    /// Longest wait for a TCP connection. Applies to the HttpClient this class creates; a caller-supplied HttpClient keeps its own.
    /// The wait for response headers is bounded by <see cref="ConnectTimeout"/> + <see cref="ReadTimeout"/> either way.
    /// </summary>
    public TimeSpan ConnectTimeout
    {
        get => _connectTimeout;
        init
        {
            _connectTimeout = value;
            if (_ownHandler != null) _ownHandler.ConnectTimeout = value;
        }
    }

    /// <summary>Longest silence allowed while receiving the body; a stalled server fails the download instead of hanging it.</summary>
    public TimeSpan ReadTimeout { get; init; } = DefaultReadTimeout;

    /// <param name="http">Client to use; when null, one is created with <see cref="ConnectTimeout"/> and disposed with this object.</param>
    /// <param name="cacheDir">Cache root; when null: TERN_CACHE, else $XDG_CACHE_HOME/tern, else ~/.cache/tern.</param>
    /// <param name="endpoint">Hub URL; when null: TERN_HF_ENDPOINT, else HF_ENDPOINT, else https://huggingface.co.</param>
    public ModelDownloader(HttpClient? http = null, string? cacheDir = null, string? endpoint = null)
    {
        CacheDirectory = Path.TrimEndingDirectorySeparator(
            Path.GetFullPath(cacheDir ?? DefaultCacheDirectory(Environment.GetEnvironmentVariable)));
        string ep = endpoint ?? DefaultEndpointFrom(Environment.GetEnvironmentVariable);
        if (!Uri.TryCreate(ep.TrimEnd('/'), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new ArgumentException($"hub endpoint '{ep}' is not an http(s) URL");
        _endpoint = uri;
        Token = NonEmpty(Environment.GetEnvironmentVariable("HF_TOKEN"));

        if (http != null) _http = http;
        else
        {
            _ownHandler = new SocketsHttpHandler
            {
                ConnectTimeout = _connectTimeout,
                AllowAutoRedirect = false,
                AutomaticDecompression = DecompressionMethods.None,
            };
            // Our own timers bound every wait; HttpClient's whole-request timeout would cut off a slow multi-GB download.
            _http = new HttpClient(_ownHandler) { Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    public void Dispose()
    {
        if (_ownHandler != null) _http.Dispose();
    }

    internal static string DefaultCacheDirectory(Func<string, string?> env)
    {
        if (NonEmpty(env("TERN_CACHE")) is { } tern) return Path.GetFullPath(tern);
        // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
        if (NonEmpty(env("XDG_CACHE_HOME")) is { } xdg && Path.IsPathFullyQualified(xdg)) return Path.Combine(xdg, "tern");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "tern");
    }

    internal static string DefaultEndpointFrom(Func<string, string?> env) =>
        NonEmpty(env("TERN_HF_ENDPOINT")) ?? NonEmpty(env("HF_ENDPOINT")) ?? DefaultEndpoint;

    private static string? NonEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;

    /// <summary>Where <paramref name="r"/> lives in the cache. Throws <see cref="ArgumentException"/> for an unsafe reference.</summary>
    public string CachePathFor(ModelReference r)
    {
        ArgumentNullException.ThrowIfNull(r);
        if (r.Validate() is { } error) throw new ArgumentException($"unsafe model reference: {error}");
        string path = Path.GetFullPath(Path.Combine([CacheDirectory, r.Owner, r.Repo, r.Revision, .. r.FilePath.Split('/')]));
        // Validate already rules out every escape; this re-checks the result so a later change to it cannot open a hole.
        if (!path.StartsWith(CacheDirectory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"unsafe model reference: {r} resolves outside the cache");
        return path;
    }

    /// <summary><c>{endpoint}/{owner}/{repo}/resolve/{revision}/{path}</c>, every part percent-encoded.</summary>
    public Uri UrlFor(ModelReference r)
    {
        if (r.Validate() is { } error) throw new ArgumentException($"unsafe model reference: {error}");
        string path = string.Join('/', r.FilePath.Split('/').Select(Uri.EscapeDataString));
        return new Uri($"{_endpoint.AbsoluteUri.TrimEnd('/')}/{Uri.EscapeDataString(r.Owner)}/{Uri.EscapeDataString(r.Repo)}" +
                       $"/resolve/{Uri.EscapeDataString(r.Revision)}/{path}");
    }

    /// <summary>
    /// Turns a <c>-m</c> argument into a local file path. An existing file, or anything not starting with <c>hf:</c>, is a
    /// local path and is never downloaded to or written; a missing one throws <see cref="FileNotFoundException"/>.
    /// An <c>hf:</c> reference is fetched into the cache unless it is already there. Null or empty means <see cref="DefaultModel"/>.
    /// </summary>
    public static async Task<string> ResolveAsync(string? modelArg, IProgress<DownloadProgress>? progress = null,
        ModelDownloader? downloader = null, CancellationToken ct = default)
    {
        string arg = string.IsNullOrEmpty(modelArg) ? DefaultModel : modelArg;
        if (File.Exists(arg)) return Path.GetFullPath(arg);
        if (!arg.StartsWith(ModelReference.Scheme, StringComparison.Ordinal))
        {
            if (Directory.Exists(arg))
                throw new FileNotFoundException($"model path {Path.GetFullPath(arg)} is a directory; pass the .gguf file inside it", arg);
            throw new FileNotFoundException(
                $"model file not found: {Path.GetFullPath(arg)} (to download from Hugging Face, pass hf:OWNER/REPO/FILE)", arg);
        }
        if (!ModelReference.TryParse(arg, out var r, out var error)) throw new ArgumentException(error);
        if (downloader != null) return await downloader.EnsureAsync(r!, progress, ct).ConfigureAwait(false);
        using var own = new ModelDownloader();
        return await own.EnsureAsync(r!, progress, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns the cached path of <paramref name="r"/>, downloading it first if it is not complete in the cache.
    /// A cache hit makes no network request. Failures throw <see cref="DownloadException"/>; cancellation keeps the <c>.part</c>.
    /// </summary>
    public async Task<string> EnsureAsync(ModelReference r, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        string final = CachePathFor(r);
        if (File.Exists(final)) return final;
        if (Directory.Exists(final)) throw new DownloadException($"{final} is a directory where the cached file should be");
        string? created = FirstMissingDirectory(Path.GetDirectoryName(final)!);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);

        string part = final + PartSuffix;
        FileStream file;
        try
        {
            // FileShare.None also locks the file on Unix, so a second process downloading the same file fails here.
            file = new FileStream(part, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        }
        catch (IOException e)
        {
            throw new DownloadException($"cannot open {part}: {e.Message} (is another tern downloading the same file?)", e);
        }

        try
        {
            await using (file.ConfigureAwait(false))
            {
                await DownloadIntoAsync(r, file, progress, ct).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }
        }
        catch (BadPartException e)
        {
            TryDelete(part);
            throw new DownloadException($"{e.Message}; the download was deleted, run again to fetch it afresh");
        }
        catch when (File.Exists(part) && new FileInfo(part).Length == 0)
        {
            TryDelete(part); // nothing to resume (a 404, no network): leave no litter in the cache
            if (created != null) TryDeleteEmptyDirectories(Path.GetDirectoryName(final)!, created);
            throw;
        }
        File.Move(part, final, overwrite: true); // rename(2): atomic on one file system
        return final;
    }

    /// <summary>The outermost directory on the way to <paramref name="dir"/> that does not exist yet (null if it exists).</summary>
    private static string? FirstMissingDirectory(string dir)
    {
        string? missing = null;
        for (string? d = dir; d != null && !Directory.Exists(d); d = Path.GetDirectoryName(d)) missing = d;
        return missing;
    }

    /// <summary>Removes the directories this download created, innermost first, as long as they are empty.</summary>
    private static void TryDeleteEmptyDirectories(string innermost, string outermost)
    {
        for (string? d = innermost; d != null && d.Length >= outermost.Length; d = Path.GetDirectoryName(d))
        {
            try
            {
                if (Directory.EnumerateFileSystemEntries(d).Any()) return;
                Directory.Delete(d);
            }
            catch (IOException) { return; }
            catch (UnauthorizedAccessException) { return; }
        }
    }

    /// <summary>The bytes on disk are wrong (too many, or the wrong hash): the .part must not be resumed.</summary>
    private sealed class BadPartException(string message) : Exception(message);

    /// <summary>A response after redirects, with what the endpoint's own hops said about the file.</summary>
    private sealed record Reply(HttpResponseMessage Response, Uri Uri, long? LinkedSize, string? Sha256) : IDisposable
    {
        public void Dispose() => Response.Dispose();
    }

    private async Task DownloadIntoAsync(ModelReference r, FileStream file, IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        long offset = file.Length;
        while (true)
        {
            using var reply = await SendAsync(r, offset, ct).ConfigureAwait(false);
            var response = reply.Response;
            var contentRange = response.Content.Headers.ContentRange;
            long? announced;
            switch (response.StatusCode)
            {
                case HttpStatusCode.OK:
                    if (offset > 0) offset = Restart(file); // the server ignored Range and sends the whole file
                    announced = response.Content.Headers.ContentLength;
                    break;
                case HttpStatusCode.PartialContent:
                    if (contentRange?.From != offset || contentRange.HasLength == false)
                    {
                        if (offset == 0)
                            throw new DownloadException($"{HostOf(reply.Uri)} sent a partial response for {r} that was not asked for");
                        offset = Restart(file);
                        continue; // ask again for the whole file
                    }
                    announced = contentRange.Length;
                    break;
                case HttpStatusCode.RequestedRangeNotSatisfiable when offset > 0:
                    // Our .part is at least as long as the file: either it is complete, or it is junk.
                    long? total = reply.LinkedSize ?? contentRange?.Length;
                    if (total == offset)
                    {
                        await VerifyAsync(r, file, offset, total, reply.Sha256, hash: null, ct).ConfigureAwait(false);
                        progress?.Report(new DownloadProgress(offset, total, 0));
                        return;
                    }
                    offset = Restart(file);
                    continue;
                default:
                    throw HttpError(response, reply.Uri, r);
            }

            if (reply.LinkedSize is long linked && announced is long sent && linked != sent)
                throw new DownloadException($"size mismatch: expected {linked} bytes, {HostOf(reply.Uri)} announces {sent}");
            long? expected = reply.LinkedSize ?? announced;

            using var hash = reply.Sha256 != null ? IncrementalHash.CreateHash(HashAlgorithmName.SHA256) : null;
            if (hash != null && offset > 0) await HashPrefixAsync(file, offset, hash, ct).ConfigureAwait(false);
            file.Position = offset;

            long received = await ReceiveAsync(reply, file, offset, expected, hash, progress, ct).ConfigureAwait(false);
            await VerifyAsync(r, file, received, expected, reply.Sha256, hash, ct).ConfigureAwait(false);
            return;
        }
    }

    private static long Restart(FileStream file)
    {
        file.SetLength(0);
        file.Position = 0;
        return 0;
    }

    /// <summary>Sends the GET, following redirects and collecting the endpoint's X-Linked-Size and sha256 on the way.</summary>
    private async Task<Reply> SendAsync(ModelReference r, long offset, CancellationToken ct)
    {
        Uri uri = UrlFor(r);
        long? linkedSize = null;
        string? sha256 = null;
        TimeSpan headersTimeout = _connectTimeout + ReadTimeout;
        for (int hop = 0; hop <= MaxRedirects; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);
            request.Headers.TryAddWithoutValidation("Accept-Encoding", "identity");
            if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
            if (Token != null && SameOrigin(uri, _endpoint)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);

            HttpResponseMessage response;
            using (var timer = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timer.CancelAfter(headersTimeout);
                try
                {
                    response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timer.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
                {
                    string why = timer.IsCancellationRequested
                        ? $"no response within {headersTimeout.TotalSeconds:0.#} s"
                        : e.InnerException?.Message ?? "timed out";
                    throw new DownloadException($"cannot reach {HostOf(uri)} (no network?): {why}", e);
                }
                catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError
                                                         or HttpRequestError.NameResolutionError or HttpRequestError.SecureConnectionError)
                {
                    throw new DownloadException($"cannot reach {HostOf(uri)} (no network?): {e.Message}", e);
                }
                catch (HttpRequestException e)
                {
                    throw new DownloadException($"request to {HostOf(uri)} for {r} failed: {e.Message}", e);
                }
            }

            // A caller-supplied client may have followed redirects itself; judge the origin by where the response came from.
            Uri answeredBy = response.RequestMessage?.RequestUri ?? uri;
            if (SameOrigin(answeredBy, _endpoint))
            {
                linkedSize ??= ParseSize(Header(response, "X-Linked-Size"));
                sha256 ??= ParseSha256(Header(response, "X-Linked-Etag")) ?? ParseSha256(Header(response, "ETag"));
            }

            if (IsRedirect(response.StatusCode) && response.Headers.Location is { } location)
            {
                response.Dispose();
                var next = location.IsAbsoluteUri ? location : new Uri(answeredBy, location);
                if (next.Scheme is not ("http" or "https"))
                    throw new DownloadException($"{HostOf(answeredBy)} redirected {r} to a non-http URL ({next.Scheme}:)");
                if (answeredBy.Scheme == "https" && next.Scheme == "http")
                    throw new DownloadException($"{HostOf(answeredBy)} redirected {r} from https to plain http; refusing");
                uri = next;
                continue;
            }
            return new Reply(response, answeredBy, linkedSize, sha256);
        }
        throw new DownloadException($"too many redirects (more than {MaxRedirects}) for {r}");
    }

    /// <summary>Streams the body into <paramref name="file"/>; returns the file length reached.</summary>
    private async Task<long> ReceiveAsync(Reply reply, FileStream file, long offset, long? expected, IncrementalHash? hash,
        IProgress<DownloadProgress>? progress, CancellationToken ct)
    {
        long received = offset;
        var clock = Stopwatch.StartNew();
        TimeSpan lastReport = TimeSpan.Zero;
        double Rate() => clock.Elapsed.TotalSeconds > 0 ? (received - offset) / clock.Elapsed.TotalSeconds : 0;
        progress?.Report(new DownloadProgress(received, expected, 0));

        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        try
        {
            await using var body = await reply.Response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            while (true)
            {
                int n;
                timer.CancelAfter(ReadTimeout); // re-arms: the limit is on silence, not on the whole download
                try
                {
                    n = await body.ReadAsync(buffer, timer.Token).ConfigureAwait(false);
                }
                catch (Exception e) when (e is OperationCanceledException or IOException && !ct.IsCancellationRequested)
                {
                    if (timer.IsCancellationRequested)
                        throw new DownloadException($"download stalled: no data from {HostOf(reply.Uri)} for " +
                            $"{ReadTimeout.TotalSeconds:0.#} s after {Describe(received, expected)}; run again to resume", e);
                    throw new DownloadException($"connection to {HostOf(reply.Uri)} lost after {Describe(received, expected)} " +
                        $"({e.Message}); run again to resume", e);
                }
                if (n == 0) break;
                if (expected is long limit && received + n > limit)
                    throw new BadPartException($"size mismatch: expected {limit} bytes, got more than that from {HostOf(reply.Uri)}");
                await file.WriteAsync(buffer.AsMemory(0, n), ct).ConfigureAwait(false);
                hash?.AppendData(buffer, 0, n);
                received += n;
                if (progress != null && clock.Elapsed - lastReport >= ProgressInterval)
                {
                    lastReport = clock.Elapsed;
                    progress.Report(new DownloadProgress(received, expected, Rate()));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        progress?.Report(new DownloadProgress(received, expected, Rate()));
        return received;
    }

    private static async Task VerifyAsync(ModelReference r, FileStream file, long length, long? expected, string? sha256,
        IncrementalHash? hash, CancellationToken ct)
    {
        if (expected is long e && length != e)
        {
            // Too few bytes is a connection that closed early without saying so: keep them and resume next time.
            if (length < e) throw new DownloadException($"size mismatch: expected {e} bytes, got {length}; run again to resume");
            throw new BadPartException($"size mismatch: expected {e} bytes, got {length}");
        }
        if (sha256 == null) return;
        if (hash == null)
        {
            using var whole = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await HashPrefixAsync(file, length, whole, ct).ConfigureAwait(false);
            Check(whole);
        }
        else Check(hash);

        void Check(IncrementalHash h)
        {
            string got = Convert.ToHexStringLower(h.GetHashAndReset());
            if (got != sha256) throw new BadPartException($"sha256 mismatch for {r}: expected {sha256}, got {got}");
        }
    }

    /// <summary>Feeds the first <paramref name="length"/> bytes already on disk to the hash, so a resumed file is checked whole.</summary>
    private static async Task HashPrefixAsync(FileStream file, long length, IncrementalHash hash, CancellationToken ct)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            file.Position = 0;
            for (long left = length; left > 0;)
            {
                int n = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), ct).ConfigureAwait(false);
                if (n == 0) throw new DownloadException($"{file.Name} shrank while it was being read");
                hash.AppendData(buffer, 0, n);
                left -= n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static DownloadException HttpError(HttpResponseMessage response, Uri uri, ModelReference r)
    {
        int code = (int)response.StatusCode;
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound => new DownloadException($"HTTP 404: {r} not found"),
            // The hub answers 401 for private and gated repositories, and also for ones that do not exist.
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new DownloadException(
                $"HTTP {code}: {r} is private, gated or missing; request access on the hub and set HF_TOKEN"),
            _ => new DownloadException($"HTTP {code} {response.ReasonPhrase} from {HostOf(uri)} for {r}"),
        };
    }

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    private static bool SameOrigin(Uri a, Uri b) =>
        Uri.Compare(a, b, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static string HostOf(Uri uri) => uri.IsDefaultPort ? uri.Host : uri.Authority;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    private static long? ParseSize(string? value) =>
        long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : null;

    /// <summary>An entity tag that is 64 hex digits is, on the hub, the sha256 of an LFS file. Anything else is ignored.</summary>
    internal static string? ParseSha256(string? etag)
    {
        if (etag is null) return null;
        var tag = etag.AsSpan().Trim();
        if (tag.StartsWith("W/")) tag = tag[2..];
        tag = tag.Trim('"');
        if (tag.Length != 64) return null;
        foreach (char c in tag)
            if (!char.IsAsciiHexDigit(c)) return null;
        return tag.ToString().ToLowerInvariant();
    }

    private static string Describe(long received, long? total) => total is long t
        ? $"{received / 1e6:0.0} of {t / 1e6:0.0} MB"
        : $"{received / 1e6:0.0} MB";

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
