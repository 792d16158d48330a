using System.Diagnostics;
using ClusterTrain.Tests.Common;

namespace ClusterTrain.GpuNode.Tests.Packaging;

/// <summary>
/// build/libstdcxx-compat/patch-libtorchsharp.sh on a fresh copy of TorchSharp's unpatched native library
/// (from the NuGet cache). Only meaningful where the host's libstdc++ lacks GLIBCXX_3.4.32.
/// </summary>
public class LibstdcxxWorkaroundTests
{
    private static readonly string Script = Path.Combine(SharedData.RepositoryRoot, "build", "libstdcxx-compat", "patch-libtorchsharp.sh");

    private static string UnpatchedLibraryCopy()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "the workaround is Linux-only");
        Skip.If(Run("bash", "-c", "grep -qa GLIBCXX_3.4.32 $(ldconfig -p | awk '/libstdc\\+\\+\\.so\\.6 .*x86-64/ {print $NF; exit}')").ExitCode == 0,
            "this host's libstdc++ has GLIBCXX_3.4.32: the workaround does nothing here");
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var source = Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(source), $"{source} not found in the NuGet cache");
        var folder = Path.Combine(Path.GetTempPath(), "clustertrain-patch-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        File.Copy(source, Path.Combine(folder, "libLibTorchSharp.so"));
        return folder;
    }

    [SkippableFact]
    public void The_patch_makes_the_version_requirement_weak_and_adds_the_shim_and_a_second_run_changes_nothing()
    {
        var folder = UnpatchedLibraryCopy();
        var library = Path.Combine(folder, "libLibTorchSharp.so");

        var first = Run("bash", Script, folder);
        var afterFirst = File.ReadAllBytes(library);
        var second = Run("bash", Script, folder);

        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Contains("patched", first.Output);
        Assert.True(File.Exists(Path.Combine(folder, "libclustertrain_iosinit.so")));
        var dynamic = Run("readelf", "-d", library).Output;
        Assert.Contains("[libclustertrain_iosinit.so]", dynamic);
        var versions = Run("readelf", "-V", library).Output;
        Assert.Matches(@"Name: GLIBCXX_3\.4\.32\s+Flags: WEAK", versions);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Equal(afterFirst, File.ReadAllBytes(library));
    }

    [SkippableFact]
    public void A_missing_tool_is_named_and_the_library_is_left_untouched()
    {
        var folder = UnpatchedLibraryCopy();
        var library = Path.Combine(folder, "libLibTorchSharp.so");
        var before = File.ReadAllBytes(library);
        // A PATH with bash and the basic tools but without patchelf.
        var tools = Path.Combine(folder, "bin");
        Directory.CreateDirectory(tools);
        foreach (var tool in new[] { "ldconfig", "awk", "grep", "readelf", "cc", "python3", "dirname", "cat" })
        {
            var found = Run("bash", "-c", $"command -v {tool}").Output.Trim();
            if (found.Length > 0) File.CreateSymbolicLink(Path.Combine(tools, tool), found);
        }

        var result = Run("/bin/bash", new Dictionary<string, string> { ["PATH"] = tools }, Script, folder);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("patchelf", result.Output);
        Assert.Contains("apt-get install", result.Output);
        Assert.Equal(before, File.ReadAllBytes(library));
    }

    [Fact]
    public void A_folder_without_the_library_is_an_error_naming_it()
    {
        var folder = Path.Combine(Path.GetTempPath(), "clustertrain-patch-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);

        var result = Run("bash", Script, folder);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(Path.Combine(folder, "libLibTorchSharp.so"), result.Output);
    }

    private static (int ExitCode, string Output) Run(string file, params string[] args) =>
        Run(file, new Dictionary<string, string>(), args);

    private static (int ExitCode, string Output) Run(string file, Dictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
