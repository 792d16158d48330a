using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Tests.Training;
using ClusterTrain.Shared.Training;
using static ClusterTrain.Shared.Tests.Sweeps.Sweeps;

namespace ClusterTrain.Shared.Tests.Sweeps;

public sealed class SweepFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void The_quickstart_spec_reads_into_its_base_config_grid_seeds_and_settings()
    {
        var spec = SweepFile.Load(QuickstartPath);

        Assert.Equal("quickstart", spec.Name);
        var expectedBase = TrialParameters.Defaults with
        {
            Model = new ModelSpec(ModelFamily.CifarResNet, 20, BatchNorm: true),
            Data = new DatasetSpec(DatasetKind.Synthetic, SyntheticTrainSize: 2048, SyntheticTestSize: 512),
            Optimizer = new OptimizerSpec(LearningRate: 0.05),
            Stats = new StatsSpec(Every: 10, HistogramBins: 32),
            Epochs = 2,
            BatchSize = 64,
            CheckpointEvery = 50,
        };
        Assert.Equal(expectedBase, spec.Base);
        Assert.Equal([("model.depth", ["20", "32"]), ("model.shortcuts", ["false", "true"])],
            spec.Grid.Select(a => (a.Key, a.Values.ToArray())));
        Assert.Equal([0], spec.Seeds);
        Assert.Equal(new SweepResources(GpusPerTrial: 1, CpuThreadsPerTrial: 1), spec.Resources);
        Assert.Equal((3, 0, 50), (spec.MaxAttempts, spec.Concurrency, spec.CheckpointEvery));
        Assert.Equal((4L, 4L), (spec.Combinations, spec.TrialCount));
    }

    [Fact]
    public void A_spec_with_only_name_and_model_runs_one_trial_with_seed_0_and_default_settings()
    {
        var spec = Parse(Minimal);

        Assert.Equal(TrialParameters.Defaults, spec.Base);
        Assert.Empty(spec.Grid);
        Assert.Equal([0], spec.Seeds);
        Assert.Equal(new SweepResources(GpusPerTrial: 1, CpuThreadsPerTrial: 0), spec.Resources);
        Assert.Equal((3, 0, 0), (spec.MaxAttempts, spec.Concurrency, spec.CheckpointEvery));
        Assert.Equal(1, spec.TrialCount);
    }

    [Fact]
    public void Dotted_keys_and_nested_sections_set_the_same_parameters()
    {
        var dotted = Parse("name: s\nfixed:\n  model.family: vgg\n  model.depth: 11\n  optimizer.kind: adam\n  optimizer.lr: 0.001\n");
        var nested = Parse("name: s\nfixed:\n  model: { family: vgg, depth: 11 }\n  optimizer:\n    kind: adam\n    lr: 0.001\n");

        Assert.Equal(dotted.Base, nested.Base);
        Assert.Equal((ModelFamily.Vgg, 11, OptimizerKind.Adam, 0.001),
            (nested.Base.Model.Family, nested.Base.Model.Depth, nested.Base.Optimizer.Kind, nested.Base.Optimizer.LearningRate));
    }

    [Fact]
    public void Grid_keys_may_be_dotted_or_nested_too()
    {
        var spec = Parse("name: s\nfixed: { model.family: cifar-resnet }\ngrid:\n  model:\n    depth: [20, 56]\n  optimizer.lr: [0.1, 0.01]\n");

        Assert.Equal(["model.depth", "optimizer.lr"], spec.Grid.Select(a => a.Key));
    }

    [Fact]
    public void Dataset_is_another_name_for_data()
    {
        var folder = _temp.Cifar10Folder("cifar");

        var spec = Parse(Minimal + "dataset: { kind: cifar10, path: cifar, train_limit: 100, test_limit: 50 }\n", _temp.Path);

        Assert.Equal(new DatasetSpec(DatasetKind.Cifar10, folder, TrainLimit: 100, TestLimit: 50), spec.Base.Data);
    }

    [Fact]
    public void Repeats_run_seeds_from_0()
    {
        Assert.Equal([0, 1, 2], Parse(Minimal + "repeats: 3\n").Seeds);
    }

    [Fact]
    public void Explicit_seeds_keep_their_order()
    {
        Assert.Equal([7, 1, 4], Parse(Minimal + "seeds: [7, 1, 4]\n").Seeds);
    }

    [Fact]
    public void A_relative_dataset_path_resolves_against_the_spec_files_folder()
    {
        var data = _temp.Cifar10Folder("data/cifar10");
        _temp.Folder("sweeps");
        var file = _temp.File("sweeps/s.yaml", Minimal + "data: { kind: cifar10, path: ../data/cifar10 }\n");

        var spec = SweepFile.Load(file);

        Assert.Equal(data, spec.Base.Data.Path);
    }

    [Fact]
    public void Swept_dataset_paths_resolve_against_the_spec_files_folder_too()
    {
        var a = _temp.Folder("a");
        var b = _temp.Folder("b");

        var spec = Parse(Minimal + "data: { kind: imagefolder }\ngrid: { data.path: [a, b] }\n", _temp.Path);

        Assert.Equal([a, b], spec.Expand().Select(t => t.Config.Data.Path));
    }

    [Fact]
    public void Grid_values_are_kept_in_one_spelling_each()
    {
        var spec = Parse("name: s\nfixed: { model.family: cifar-resnet }\ngrid:\n  optimizer.lr: [0.10, 1e-2, .5]\n  model.init: [He, XAVIER]\n  model.depth: [0020]\n");

        Assert.Equal(["0.1", "0.01", "0.5"], spec.Grid[0].Values);
        Assert.Equal(["he", "xavier"], spec.Grid[1].Values);
        Assert.Equal(["20"], spec.Grid[2].Values);
    }

    [Fact]
    public void A_sweeps_own_settings_are_read()
    {
        var spec = Parse(Minimal + "resources: { gpus_per_trial: 1, cpu_threads_per_trial: 4 }\nretries: { max_attempts: 5 }\nconcurrency: 8\ncheckpoint_every: 200\n");

        Assert.Equal(new SweepResources(GpusPerTrial: 1, CpuThreadsPerTrial: 4), spec.Resources);
        Assert.Equal((5, 8, 200), (spec.MaxAttempts, spec.Concurrency, spec.CheckpointEvery));
    }
}
