using System.Runtime.InteropServices;

namespace Tern.Tests.TestSupport;

/// <summary>Readers for the oracle's plain files (ids as text, logits as little-endian float32).</summary>
public static class OracleFiles
{
    public static int[] ReadIds(string path) =>
        File.ReadAllText(path).Split((char[])[' ', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

    public static float[] ReadFloats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    public static string BitnetCpp(params string[] parts) => SharedData.PathOf(["oracle", "bitnet-cpp", .. parts]);
}
