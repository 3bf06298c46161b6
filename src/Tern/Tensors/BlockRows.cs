namespace Tern.Tensors;

/// <summary>Length checks shared by the block formats: a row is a whole number of fixed-size blocks.</summary>
internal static class BlockRows
{
    /// <summary>Validates a row's lengths for a block format and returns the block count.</summary>
    internal static int CheckRow(int values, int bytes, int blockValues, int blockBytes)
    {
        if (values % blockValues != 0)
            throw new ArgumentException($"row length {values} is not a multiple of the block size {blockValues}");
        int blocks = values / blockValues;
        if ((long)blocks * blockBytes != bytes)
            throw new ArgumentException($"{values} values take {(long)blocks * blockBytes} bytes in blocks of {blockValues} values / {blockBytes} bytes; got {bytes}");
        return blocks;
    }
}
