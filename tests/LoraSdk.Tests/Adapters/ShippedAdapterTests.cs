using static LoraSdk.Tests.Adapters.AdapterTestKit;

namespace LoraSdk.Tests.Adapters;

/// <summary>The app finds the adapter its build copied to lora/&lt;name&gt;/ next to itself, whatever the working directory.</summary>
public class ShippedAdapterTests
{
    [Fact]
    public void The_folder_is_lora_and_the_name_under_the_app_folder_not_the_working_directory()
    {
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "lora", "intents"), ShippedAdapter.Directory("intents"));
        Assert.Throws<ArgumentException>(() => ShippedAdapter.Directory(" "));
    }

    [Fact]
    public void LoadShippedAdapter_loads_the_copy_next_to_the_app()
    {
        string name = "shipped-" + Guid.NewGuid().ToString("N")[..8];
        string folder = ShippedAdapter.Directory(name);
        try
        {
            var original = new TinyNet();
            RandomizeLora(original, seed: 5);
            original.SaveAdapter(folder);
            Assert.True(ShippedAdapter.Exists(name));

            var fresh = FreshCopy(original, loraSeed: 6);
            fresh.LoadShippedAdapter(name);

            AssertSameLora(original, fresh);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
            string lora = Path.GetDirectoryName(folder)!;
            if (!Directory.EnumerateFileSystemEntries(lora).Any()) Directory.Delete(lora);
        }
    }

    [Fact]
    public void A_missing_adapter_names_the_folder_and_how_it_gets_there()
    {
        var model = new TinyNet();

        var error = Assert.Throws<DirectoryNotFoundException>(() => model.LoadShippedAdapter("never-built"));

        Assert.Contains(ShippedAdapter.Directory("never-built"), error.Message);
        Assert.Contains("<LoraFineTune Include=\"never-built\" />", error.Message);
        Assert.False(ShippedAdapter.Exists("never-built"));
    }
}
