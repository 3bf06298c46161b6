namespace Tern.Conversion;

/// <summary>
/// The row order llama.cpp's converter gives LLaMA's Q and K projections (<c>LlamaModel.permute</c>). Hugging Face
/// rotates each head's dimension i with i + d/2 (rotate_half); GGUF's llama graph rotates adjacent pairs (2i, 2i + 1).
/// So within each head of d rows, GGUF row 2i + j (j ∈ {0, 1}) is Hugging Face row j·d/2 + i.
/// </summary>
public static class QkPermutation
{
    /// <summary>The Hugging Face row that GGUF row <paramref name="ggufRow"/> comes from, for heads of <paramref name="headRows"/> rows.</summary>
    public static int SourceRow(int ggufRow, int headRows)
    {
        int head = ggufRow / headRows, r = ggufRow % headRows;
        return head * headRows + (r & 1) * (headRows / 2) + (r >> 1);
    }

    /// <summary>The GGUF row that Hugging Face row <paramref name="hfRow"/> goes to (the inverse of <see cref="SourceRow"/>).</summary>
    public static int TargetRow(int hfRow, int headRows)
    {
        int head = hfRow / headRows, r = hfRow % headRows, half = headRows / 2;
        return head * headRows + (r % half) * 2 + r / half;
    }
}
