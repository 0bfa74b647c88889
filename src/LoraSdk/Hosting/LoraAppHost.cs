using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LoraSdk.Hosting;

/// <summary>
/// The host for the side of an app that uses a trained adapter (predict, serve). Training runs in the project
/// folder (the build starts it there); a built or published app runs anywhere, so its configuration comes from
/// its own folder, where the build copies <c>appsettings.json</c> and the adapters (<see cref="ShippedAdapter"/>).
/// </summary>
public static class LoraAppHost
{
    /// <summary>
    /// A <see cref="HostApplicationBuilder"/> whose content root is <see cref="AppContext.BaseDirectory"/> (not the
    /// working directory), with the <c>LoRA</c> section bound to <see cref="LoraFineTuningOptions"/> and its relative
    /// paths resolved against the app folder. Environment variables and <paramref name="args"/> still override.
    /// </summary>
    public static HostApplicationBuilder CreateApplicationBuilder(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        LoraFineTuningOptions.Register(builder.Services);
        return builder;
    }
}
