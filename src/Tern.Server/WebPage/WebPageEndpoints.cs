using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Tern.Server.WebPage;

/// <summary>
/// The web chat page: index.html at / and its script and style files, embedded in this assembly (a dotnet tool's files
/// beside its dll are easy to lose; resources are not). Served with a strict Content-Security-Policy: scripts only from
/// these files, no inline script or style, requests only to this server, so text from the model cannot run even if a bug
/// let it into the DOM as markup.
/// </summary>
internal static class WebPageEndpoints
{
    // require-trusted-types-for makes Chromium refuse any string assigned to innerHTML and its kind: the page builds
    // its DOM from nodes only, and this turns a slip into an error instead of an injection.
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'";

    /// <summary>URL path, resource file name, Content-Type. None is under /v1/, so none needs the API key.</summary>
    private static readonly (string Path, string File, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/markdown.js", "markdown.js", "text/javascript; charset=utf-8"),
        ("/style.css", "style.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "favicon.svg", "image/svg+xml"),
    ];

    public static void Map(WebApplication app)
    {
        foreach (var (path, file, contentType) in Files)
        {
            byte[] bytes = Load(file);
            // The ETag lets a browser revalidate cheaply (Cache-Control: no-cache), so a new version of the tool is seen at once.
            string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes).AsSpan(0, 8)) + "\"";
            app.MapMethods(path, ["GET", "HEAD"], (HttpContext http) => Serve(http, bytes, contentType, etag));
        }
    }

    private static Task Serve(HttpContext http, byte[] bytes, string contentType, string etag)
    {
        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.ETag = etag;
        if (http.Request.Headers.IfNoneMatch == etag)
        {
            http.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        http.Response.ContentType = contentType;
        http.Response.ContentLength = bytes.Length;
        if (HttpMethods.IsHead(http.Request.Method)) return Task.CompletedTask;
        return http.Response.Body.WriteAsync(bytes, http.RequestAborted).AsTask();
    }

    private static byte[] Load(string file)
    {
        string name = "Tern.Server.WebPage." + file; // the LogicalName given in Tern.Server.csproj
        using var stream = typeof(WebPageEndpoints).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"the web page resource {name} is missing from the assembly");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
