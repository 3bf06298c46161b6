using System.Security.Cryptography;
using System.Text;

namespace Tern.Server.Hosting;

/// <summary>
/// Compares a presented bearer key with the configured one in constant time: both are hashed first, so neither the
/// content nor the length of the key leaks through timing.
/// </summary>
internal sealed class ApiKeyCheck(string key)
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>True when the Authorization header is "Bearer KEY" with the configured key.</summary>
    public bool Accepts(string? authorization)
    {
        const string scheme = "Bearer ";
        string presented = authorization is not null && authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase)
            ? authorization[scheme.Length..].Trim()
            : "";
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected);
    }
}
