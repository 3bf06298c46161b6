using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tern.Tests.Download;

/// <summary>A request as the server saw it. Header names are matched case-insensitively.</summary>
public sealed record RecordedRequest(string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// A deliberately small HTTP/1.1 server on 127.0.0.1 and a free port, written so tests can misbehave on purpose:
/// drop a connection half-way, stall, ignore Range. One request per connection (every response says Connection: close),
/// and the connection is closed gracefully when the handler returns, so every byte written reaches the client.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly Func<HttpExchange, Task> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentBag<Task> _connections = [];
    private readonly Task _acceptLoop;

    public LoopbackHttpServer(Func<HttpExchange, Task> handler)
    {
        _handler = handler;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _acceptLoop = AcceptLoopAsync();
    }

    public int Port { get; }
    public string Endpoint => $"http://127.0.0.1:{Port}";
    public RecordedRequest[] Requests => _requests.ToArray();

    /// <summary>A port on 127.0.0.1 that nothing listens on (it was free a moment ago), for "cannot reach" tests.</summary>
    public static int ClosedPort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; } // stopped
            _connections.Add(ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadRequestAsync(stream, _stop.Token);
                if (request is null) return;
                _requests.Enqueue(request);
                await _handler(new HttpExchange(request, stream, _stop.Token));
                await stream.FlushAsync();
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // The client went away or the server is stopping: nothing to report.
            }
        }
    }

    private static async Task<RecordedRequest?> ReadRequestAsync(Stream stream, CancellationToken ct)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, ct) == 0) return null;
            head.Add(one[0]);
            if (head.Count > 64 * 1024) throw new IOException("request head too large");
        }
        var lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
        var start = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1).Where(l => l.Length > 0))
        {
            int colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        return new RecordedRequest(start[0], start[1], headers);
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _acceptLoop;
        await Task.WhenAll(_connections).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}

/// <summary>One request and the raw stream to answer it on.</summary>
public sealed class HttpExchange(RecordedRequest request, Stream stream, CancellationToken stopping)
{
    public RecordedRequest Request { get; } = request;
    public Stream Stream { get; } = stream;
    /// <summary>Cancelled when the server is disposed; a handler that stalls should wait on it.</summary>
    public CancellationToken Stopping { get; } = stopping;

    /// <summary>Writes the status line and headers. A null <paramref name="contentLength"/> means the body runs until the connection closes.</summary>
    public async Task WriteHeadAsync(int status, long? contentLength, params (string Name, string Value)[] headers)
    {
        var sb = new StringBuilder($"HTTP/1.1 {status} {ReasonPhrase(status)}\r\nConnection: close\r\n");
        if (contentLength is long n) sb.Append($"Content-Length: {n}\r\n");
        foreach (var (name, value) in headers) sb.Append($"{name}: {value}\r\n");
        sb.Append("\r\n");
        await Stream.WriteAsync(Encoding.ASCII.GetBytes(sb.ToString()), Stopping);
        await Stream.FlushAsync(Stopping);
    }

    public async Task WriteBodyAsync(ReadOnlyMemory<byte> bytes)
    {
        await Stream.WriteAsync(bytes, Stopping);
        await Stream.FlushAsync(Stopping);
    }

    public async Task RespondAsync(int status, byte[] body, params (string Name, string Value)[] headers)
    {
        await WriteHeadAsync(status, body.Length, headers);
        await WriteBodyAsync(body);
    }

    /// <summary>Waits until the server is disposed: a server that has gone silent.</summary>
    public Task StallAsync() => Task.Delay(Timeout.Infinite, Stopping);

    private static string ReasonPhrase(int status) => status switch
    {
        200 => "OK", 206 => "Partial Content", 302 => "Found", 307 => "Temporary Redirect",
        404 => "Not Found", 416 => "Range Not Satisfiable", _ => "Status",
    };
}
