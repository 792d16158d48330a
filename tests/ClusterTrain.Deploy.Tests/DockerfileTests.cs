using System.Text.RegularExpressions;
using System.Xml.Linq;
using ClusterTrain.Coordinator.Cli;
using ClusterTrain.GpuNode.Cluster;
using k8s.Models;

namespace ClusterTrain.Deploy.Tests;

/// <summary>
/// deploy/docker, read the way `docker build` reads it, against the repository: no Docker engine runs here, so these
/// checks are what stands between a typo and a failed image build.
/// </summary>
public class DockerfileTests
{
    private static readonly string[] Files = Directory.GetFiles(Repository.PathOf("deploy/docker"), "*.Dockerfile").Order().ToArray();

    public static TheoryData<string> Dockerfiles => new(Files.Select(Path.GetFileName)!);

    [Fact]
    public void There_is_a_GPU_node_a_CPU_node_and_a_coordinator_image()
    {
        Assert.Equal(["coordinator.Dockerfile", "cpu-node.Dockerfile", "gpu-node.Dockerfile"], Files.Select(Path.GetFileName));
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Every_path_copied_from_the_build_context_exists_and_is_not_excluded_by_dockerignore(string name)
    {
        var dockerfile = Load(name);
        var ignored = DockerIgnore();

        foreach (var copy in dockerfile.Stages.SelectMany(s => s.Copies).Where(c => c.From is null))
            foreach (var source in copy.Sources)
            {
                var path = Repository.PathOf(source.TrimEnd('/'));
                Assert.True(source.EndsWith('/') ? Directory.Exists(path) : File.Exists(path), $"{name}:{copy.Line}: COPY {source}: no such {(source.EndsWith('/') ? "folder" : "file")} in the repository");
                Assert.False(ignored(source.TrimEnd('/')), $"{name}:{copy.Line}: COPY {source}, but .dockerignore leaves it out of the build context");
            }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Restore_and_publish_name_existing_projects_after_copying_every_project_and_build_file_they_need(string name)
    {
        var build = Load(name).Stages.Single(s => s.All("RUN").Any(r => r.Arguments.Contains("dotnet publish")));

        foreach (var run in build.All("RUN").Where(r => r.Arguments.Contains("dotnet restore") || r.Arguments.Contains("dotnet publish")))
        {
            var project = Assert.Single(run.Words, w => w.EndsWith(".csproj"));
            Assert.True(File.Exists(Repository.PathOf(project)), $"{name}:{run.Line}: {project} does not exist");
            var copiedBefore = build.Copies.Where(c => c.Line < run.Line).ToList();
            string[] needed = [.. ProjectClosure(project), "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", .. BuildScripts()];
            foreach (var file in needed)
                Assert.True(copiedBefore.Any(c => c.Brings(file)), $"{name}:{run.Line}: {file} is needed but not copied before this RUN");
        }
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Stages_copy_only_from_earlier_stages_and_the_entrypoint_is_the_published_clustertrain_command(string name)
    {
        var dockerfile = Load(name);
        var publish = dockerfile.Stages.SelectMany(s => s.All("RUN").Select(r => (Stage: s, Run: r))).Single(x => x.Run.Arguments.Contains("dotnet publish"));
        var output = publish.Run.Words.SkipWhile(w => w != "-o").Skip(1).First();
        var project = publish.Run.Words.Single(w => w.EndsWith(".csproj"));
        var assembly = XDocument.Load(Repository.PathOf(project)).Descendants("AssemblyName").Single().Value;

        foreach (var stage in dockerfile.Stages)
            foreach (var copy in stage.Copies.Where(c => c.From is not null))
                Assert.True(dockerfile.Stages.Take(stage.Index).Any(s => s.Name == copy.From), $"{name}:{copy.Line}: --from={copy.From} is not an earlier stage");
        Assert.Contains(dockerfile.Final.Copies, c => c.From == publish.Stage.Name && c.Sources.SequenceEqual([output]));
        var entrypoint = Assert.Single(dockerfile.Final.All("ENTRYPOINT"));
        var command = Regex.Matches(entrypoint.Arguments, "\"([^\"]*)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal($"{output}/{assembly}", command[0]);
        Assert.Contains(command[1], ClusterTrainCli.Build().Subcommands.Select(c => c.Name));
        Assert.Equal(name.StartsWith("coordinator") ? "coordinator" : "node", command[1]);
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void Images_run_as_a_non_root_user_and_bake_in_no_secrets(string name)
    {
        var dockerfile = Load(name);
        var user = dockerfile.Final.All("USER").LastOrDefault();
        var ignore = DockerIgnore();

        Assert.NotNull(user);
        Assert.DoesNotMatch(@"^(root|0)(:|$)", user.Arguments);
        Assert.True(dockerfile.Final.Instructions.IndexOf(user) < dockerfile.Final.Instructions.IndexOf(dockerfile.Final.All("ENTRYPOINT").Single()));
        foreach (var setting in dockerfile.Stages.SelectMany(s => s.All("ENV").Concat(s.All("ARG"))))
            Assert.DoesNotMatch(new Regex("(TOKEN|PASSWORD|SECRET|CONNECTIONSTRING|APIKEY)", RegexOptions.IgnoreCase), setting.Arguments);
        foreach (var secretFile in new[] { "appsettings.json", "src/Coordinator/appsettings.Production.json", "certs/api.key", "certs/api.pfx", ".env" })
            Assert.True(ignore(secretFile), $".dockerignore lets {secretFile} into the build context");
    }

    [Theory]
    [MemberData(nameof(Dockerfiles))]
    public void The_GPU_image_builds_the_CUDA_backend_on_CUDA_12_8_and_Ubuntu_24_04_and_the_others_the_CPU_backend(string name)
    {
        var dockerfile = Load(name);
        var gpu = name.StartsWith("gpu");
        var dotnetRuns = dockerfile.Stages.SelectMany(s => s.All("RUN")).Where(r => r.Arguments.Contains("dotnet restore") || r.Arguments.Contains("dotnet publish")).ToList();

        Assert.Equal(2, dotnetRuns.Count);
        Assert.All(dotnetRuns, r => Assert.Contains($"-p:TorchBackend={(gpu ? "cuda" : "cpu")}", r.Words));
        Assert.All(dotnetRuns, r => Assert.Contains("linux-x64", r.Words));
        // Ubuntu 24.04's libstdc++ has GLIBCXX_3.4.32, so the build's libstdc++ patch (Directory.Build.targets) is a no-op.
        Assert.All(dockerfile.Stages.Where(s => s.Image.StartsWith("mcr.microsoft.com/dotnet/")), s => Assert.EndsWith("-noble", s.Image));
        if (gpu)
        {
            Assert.Matches(@"^nvidia/cuda:12\.8\.\d+-cudnn-runtime-ubuntu24\.04$", dockerfile.Final.Image);
            Assert.Contains(dockerfile.Final.Copies, c => c.Sources.SequenceEqual(["/usr/share/dotnet"]));
        }
        else
            Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", dockerfile.Final.Image);
    }

    [Fact]
    public void The_coordinator_image_installs_a_font_for_the_text_of_its_report_plots_and_keeps_no_package_lists()
    {
        var final = Load("coordinator.Dockerfile").Final;
        var user = final.Instructions.IndexOf(final.All("USER").Last());

        // ScottPlot draws with SkiaSharp's NoDependencies assets, which find fonts under /usr/share/fonts; aspnet has none.
        var install = Assert.Single(final.All("RUN"), r => r.Arguments.Contains("apt-get install"));
        Assert.Contains("fonts-dejavu-core", install.Words);
        Assert.Contains("--no-install-recommends", install.Words);
        Assert.Contains("rm -rf /var/lib/apt/lists/*", install.Arguments);
        Assert.True(final.Instructions.IndexOf(install) < user, "apt-get runs after USER, as a user who may not install packages");
    }

    [SkippableTheory]
    [MemberData(nameof(Dockerfiles))]
    public void Each_image_exposes_the_ports_its_pods_declare(string name)
    {
        var image = $"clustertrain-{Path.GetFileNameWithoutExtension(name)}";
        var exposed = Load(name).Final.All("EXPOSE").SelectMany(e => e.Words).Select(int.Parse).ToHashSet();
        var containers = new[] { "overlays/cpu", "overlays/gpu" }.Select(Manifests.Build)
            .SelectMany(m => m.Members).SelectMany(w => w.Pod.Containers).Where(c => c.Image.Split(':')[0] == image).ToList();

        Assert.NotEmpty(containers);
        Assert.All(containers.SelectMany(c => c.Ports), p => Assert.Contains(p.ContainerPort, exposed));
        Assert.Contains(ClusterOptions.DefaultManagementPort, exposed);
    }

    private static Dockerfile Load(string name) => Dockerfile.Parse(Repository.PathOf($"deploy/docker/{name}"));

    /// <summary>The project and every project it references, as paths from the repository root.</summary>
    private static IEnumerable<string> ProjectClosure(string project)
    {
        var seen = new HashSet<string>();
        var queue = new Queue<string>([project]);
        while (queue.TryDequeue(out var next))
        {
            if (!seen.Add(next)) continue;
            var folder = Path.GetDirectoryName(Repository.PathOf(next))!;
            foreach (var reference in XDocument.Load(Repository.PathOf(next)).Descendants("ProjectReference"))
                queue.Enqueue(Path.GetRelativePath(Repository.Root, Path.GetFullPath(Path.Combine(folder, reference.Attribute("Include")!.Value))).Replace('\\', '/'));
        }
        return seen;
    }

    /// <summary>Files of the repository that Directory.Build.targets runs during a build.</summary>
    private static IEnumerable<string> BuildScripts() =>
        Regex.Matches(File.ReadAllText(Repository.PathOf("Directory.Build.targets")), @"\$\(RepoRoot\)([\w./-]+)").Select(m => m.Groups[1].Value);

    /// <summary>Whether .dockerignore leaves a path (from the repository root) out of the build context.</summary>
    private static Func<string, bool> DockerIgnore()
    {
        var patterns = File.ReadAllLines(Repository.PathOf(".dockerignore"))
            .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(p => new Regex("^" + Regex.Escape(p.TrimEnd('/')).Replace(@"\*\*/", "(.*/)?").Replace(@"\*", "[^/]*") + "(/.*)?$"))
            .ToList();
        return path => patterns.Any(p => p.IsMatch(path));
    }
}
