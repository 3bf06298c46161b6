namespace Tern.Server.Protocol;

/// <summary>OpenAI's error body: {"error": {"message", "type", "param", "code"}}.</summary>
public sealed record ErrorResponse(ErrorDetail Error);

public sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);

/// <summary>A request the server refuses, with the HTTP status and OpenAI error it answers with.</summary>
public sealed class ApiException(int status, string message, string? param = null, string? code = null, string? type = null) : Exception(message)
{
    public int Status { get; } = status;
    public string? Param { get; } = param;
    public string? Code { get; } = code;
    public string Type { get; } = type ?? status switch
    {
        401 => "authentication_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    public ErrorResponse ToBody() => new(new ErrorDetail(Message, Type, Param, Code));

    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(400, message, param, code);
}
