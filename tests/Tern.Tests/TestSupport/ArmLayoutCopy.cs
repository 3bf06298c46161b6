using Tern.Gguf;
using Tern.Tensors;

namespace Tern.Tests.TestSupport;

/// <summary>
/// Copies a GGUF file byte for byte except that every I2_S tensor's codes are rewritten in bitnet.cpp's ARM layout —
/// the file an ARM build of bitnet.cpp's llama-quantize would have written from the same weights (same metadata, same
/// trailer, nothing that says which layout).
/// </summary>
internal static class ArmLayoutCopy
{
    public static void Write(string x86Path, string armPath)
    {
        var bytes = File.ReadAllBytes(x86Path);
        using (var file = GgufFile.Open(x86Path))
        {
            foreach (var t in file.Tensors.Where(t => t.Type == GgmlType.I2_S))
            {
                var codes = bytes.AsSpan(checked((int)(file.DataOffset + t.Offset)), checked((int)(t.ElementCount / 4)));
                I2SArm.FromX86(codes, codes);
            }
        }
        File.WriteAllBytes(armPath, bytes);
    }
}
