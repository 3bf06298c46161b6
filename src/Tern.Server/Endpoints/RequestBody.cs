using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Tern.Server.Protocol;

namespace Tern.Server.Endpoints;

/// <summary>Reads a JSON request body into its wire type; malformed JSON or a wrong type is a 400 naming where.</summary>
internal static class RequestBody
{
    public static async Task<T> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(http.Request.Body, type, http.RequestAborted)
                ?? throw ApiException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            string where = string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}";
            string what = e.Message.Contains("could not be converted", StringComparison.Ordinal) ? "a value has the wrong type" : "malformed JSON";
            throw ApiException.BadRequest($"invalid request body: {what}{where}", e.Path is { Length: > 2 } p ? p.TrimStart('$', '.') : null);
        }
    }
}
