using Tern.Download;

namespace Tern.Tests.Download;

public class ModelReferenceTests
{
    [Theory]
    [InlineData("hf:microsoft/bitnet-b1.58-2B-4T-gguf/ggml-model-i2_s.gguf", "microsoft", "bitnet-b1.58-2B-4T-gguf", "main", "ggml-model-i2_s.gguf")]
    [InlineData("hf:o/r@v1.0/sub/dir/model.gguf", "o", "r", "v1.0", "sub/dir/model.gguf")]
    [InlineData("hf:o/r@0123456789abcdef0123456789abcdef01234567/f", "o", "r", "0123456789abcdef0123456789abcdef01234567", "f")]
    [InlineData("hf:O_1/R-2.x/a b/c%20d.gguf", "O_1", "R-2.x", "main", "a b/c%20d.gguf")]
    public void ParsesOwnerRepoRevisionAndPath(string s, string owner, string repo, string revision, string path)
    {
        Assert.True(ModelReference.TryParse(s, out var r, out var error), error);
        Assert.Null(error);
        Assert.Equal(new ModelReference(owner, repo, revision, path), r);
    }

    [Theory]
    [InlineData("hf:o/r/f.gguf")]
    [InlineData("hf:o/r@dev/a/b/f.gguf")]
    public void FormatsBackToTheSameText(string s)
    {
        Assert.True(ModelReference.TryParse(s, out var r, out _));
        Assert.Equal(s, r!.ToString());
    }

    [Fact]
    public void OmitsTheDefaultRevisionWhenFormatting()
    {
        Assert.Equal("hf:o/r/f", new ModelReference("o", "r", "main", "f").ToString());
        Assert.Equal("hf:o/r@v2/f", new ModelReference("o", "r", "v2", "f").ToString());
    }

    [Theory]
    [InlineData("o/r/f", "does not start with 'hf:'")]
    [InlineData("hf:o", "no repository")]
    [InlineData("hf:o/r", "no file")]
    [InlineData("hf:o/r/", "empty file path")]
    [InlineData("hf:/r/f", "empty owner")]
    [InlineData("hf:o//f", "empty repository")]
    [InlineData("hf:o/r@/f", "empty revision")]
    [InlineData("hf:../r/f", "owner '..' starts with '.'")]
    [InlineData("hf:o/..@main/f", "repository '..' starts with '.'")]
    [InlineData("hf:o/r@../f", "revision '..' starts with '.'")]
    [InlineData("hf:o/r@a:b/f", "revision 'a:b' may contain only")]
    [InlineData("hf:o/r/../../../etc/passwd", "contains '..'")]
    [InlineData("hf:o/r/a/./b", "contains '.'")]
    [InlineData("hf:o/r//etc/passwd", "empty part")]
    [InlineData("hf:o/r/a//b", "empty part")]
    [InlineData("hf:o/r/a/", "empty part")]
    [InlineData("hf:o/r/..\\..\\x", "forbidden character")]
    [InlineData("hf:o/r/C:/x", "forbidden character")]
    [InlineData("hf:o/r/a\0b", "forbidden character")]
    [InlineData("hf:o/r/a\nb", "forbidden character")]
    [InlineData("hf:o/r/name.", "ends with '.'")]
    [InlineData("hf:o~x/r/f", "may contain only")]
    [InlineData("hf:o/r\\x/f", "may contain only")]
    public void RefusesMalformedAndHostileReferences(string s, string why)
    {
        Assert.False(ModelReference.TryParse(s, out var r, out var error));
        Assert.Null(r);
        Assert.Contains(why, error);
        Assert.StartsWith($"bad model reference '{s}'", error);
    }

    [Fact]
    public void RefusesOverlongNames()
    {
        Assert.False(ModelReference.TryParse($"hf:{new string('a', 97)}/r/f", out _, out var error));
        Assert.Contains("longer than 96", error);
        Assert.True(ModelReference.TryParse($"hf:{new string('a', 96)}/r/f", out _, out _));
    }
}
