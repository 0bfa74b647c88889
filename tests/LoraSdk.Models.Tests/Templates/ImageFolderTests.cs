using Company.LoraProject.Data;
using SkiaSharp;

namespace LoraSdk.Models.Tests.Templates;

/// <summary>
/// The image template's reader refuses an image it cannot decode whole: SKBitmap.Decode returns a cut-short PNG as a
/// picture whose missing part is blank, which training took as data and <c>predict</c> answered for.
/// </summary>
public sealed class ImageFolderTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lorasdk-image-folder-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>A 28×28 PNG of random grey noise (nothing compresses it, so every cut loses pixels).</summary>
    private static byte[] NoisePng(int seed)
    {
        var random = new Random(seed);
        using var bitmap = new SKBitmap(new SKImageInfo(28, 28, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
            {
                byte grey = (byte)random.Next(256);
                bitmap.SetPixel(x, y, new SKColor(grey, grey, grey));
            }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private string Write(string relative, byte[] bytes)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public static TheoryData<string> Damages() => ["half", "70 bytes", "header then random bytes"];

    private static byte[] Damage(byte[] png, string how)
    {
        switch (how)
        {
            case "half": return png[..(png.Length / 2)];
            case "70 bytes": return png[..70];
            default:
                // Every chunk up to the image data intact (signature, IHDR, ...), and the first bytes of IDAT's zlib
                // stream; random bytes after them, to the original length.
                var bytes = png.ToArray();
                int idat = png.AsSpan().IndexOf("IDAT"u8);
                new Random(7).NextBytes(bytes.AsSpan(idat + 4 + 2));
                return bytes;
        }
    }

    [Fact]
    public void ASoundImageDecodesToItsPixels()
    {
        string path = Write("sound.png", NoisePng(1));
        byte[] rgb = ImageFolder.Decode(path, 28);
        using var expected = SKBitmap.Decode(path);
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++)
                Assert.Equal(expected.GetPixel(x, y).Red, rgb[(y * 28 + x) * 3]);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void ADamagedImageIsUnreadableNamingTheFile(string how)
    {
        string path = Write("cut.png", Damage(NoisePng(2), how));
        var error = Assert.Throws<ImageDataException>(() => ImageFolder.Decode(path, 28));
        Assert.StartsWith($"{path}: error LORA230: not a readable image", error.Message);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void ReadingAFolderWithADamagedImageFailsNamingIt(string how)
    {
        for (int i = 0; i < 3; i++)
        {
            Write(Path.Combine("train", "bag", $"{i}.png"), NoisePng(10 + i));
            Write(Path.Combine("train", "coat", $"{i}.png"), NoisePng(20 + i));
        }
        string cut = Write(Path.Combine("train", "coat", "9-cut.png"), Damage(NoisePng(3), how));
        var error = Assert.Throws<ImageDataException>(() => ImageFolder.Read(Path.Combine(_root, "train"), 16));
        Assert.Equal(cut, error.Path);
    }
}
