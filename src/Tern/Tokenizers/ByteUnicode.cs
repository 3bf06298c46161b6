namespace Tern.Tokenizers;

/// <summary>
/// GPT-2's reversible byte ↔ character table, used by every byte-level BPE vocabulary ("gpt2" in GGUF).
/// Bytes that are printable Latin-1 — '!'..'~' (0x21–0x7E), '¡'..'¬' (0xA1–0xAC), '®'..'ÿ' (0xAE–0xFF) — stand for
/// themselves; the remaining 68 bytes (controls, space, DEL, 0x80–0xA0, soft hyphen) are given, in byte order,
/// the characters U+0100, U+0101, …, U+0143. So space 0x20 is 'Ġ' (U+0120) and '\n' 0x0A is 'Ċ' (U+010A), and every
/// vocabulary entry is a string of printable characters, one character per byte.
/// </summary>
internal static class ByteUnicode
{
    private const int TableEnd = 0x144; // one past the highest character the table uses

    /// <summary>The character that stands for each byte.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    // CharToByte[c] = the byte c stands for, or -1 (indexed by character, up to TableEnd).
    private static readonly short[] CharToByte = BuildCharToByte();

    private static bool IsSelfMapped(int b) => b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int next = 0x100;
        for (int b = 0; b < 256; b++) map[b] = IsSelfMapped(b) ? (char)b : (char)next++;
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[TableEnd];
        Array.Fill(map, (short)-1);
        for (int b = 0; b < 256; b++) map[ByteToChar[b]] = (short)b;
        return map;
    }

    /// <summary>The byte a vocabulary character stands for; false for characters outside the table.</summary>
    public static bool TryGetByte(char c, out byte b)
    {
        if (c < TableEnd && CharToByte[c] >= 0)
        {
            b = (byte)CharToByte[c];
            return true;
        }
        b = 0;
        return false;
    }
}
