using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Tests.Training;
using static ClusterTrain.Shared.Tests.Sweeps.Sweeps;

namespace ClusterTrain.Shared.Tests.Sweeps;

/// <summary>Every kind of bad sweep spec, each reported as "file:line: yaml.path: what is wrong".</summary>
public sealed class SweepFileProblemTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private const string Vgg = "name: s\nfixed:\n  model: { family: vgg, depth: 11 }\n";

    [Theory]
    // The sweep's own keys
    [InlineData(Minimal + "concurency: 2", "sweep.yaml:3: concurency: unknown key 'concurency'; allowed: name, data, dataset, fixed, grid, seeds, repeats, stats, resources, retries, concurrency, checkpoint_every")]
    [InlineData(Minimal + "epochs: 2", "sweep.yaml:3: epochs: 'epochs' is a trial parameter: set it under fixed, or list its values under grid")]
    [InlineData(Minimal + "optimizer: { lr: 0.1 }", "sweep.yaml:3: optimizer: 'optimizer' is a trial parameter: set it under fixed, or list its values under grid")]
    [InlineData("name: my sweep\nfixed: { model.family: vgg, model.depth: 11 }", "sweep.yaml:1: name: 'my sweep' is not a usable name: use up to 64 letters, digits, '.', '_' and '-', starting with a letter or digit")]
    [InlineData("name: [a]\nfixed: { model.family: vgg, model.depth: 11 }", "sweep.yaml:1: name: expected a string, found a list")]
    [InlineData(Minimal + "data: { kind: synthetic }\ndataset: { kind: synthetic }", "sweep.yaml:4: dataset: data is given too; use one of data and dataset")]
    [InlineData(Minimal + "seeds: [0, 1]\nrepeats: 2", "sweep.yaml:4: repeats: give seeds or repeats, not both")]
    [InlineData(Minimal + "seeds: []", "sweep.yaml:3: seeds: empty: list at least one seed, e.g. [0, 1, 2], or leave seeds out for seed 0 alone")]
    [InlineData(Minimal + "seeds: [0, 1, 0]", "sweep.yaml:3: seeds: 0 appears twice")]
    [InlineData(Minimal + "seeds:\n  - 0\n  - x", "sweep.yaml:5: seeds: 'x' is not an integer")]
    [InlineData(Minimal + "seeds: 3", "sweep.yaml:3: seeds: expected a list of integers such as [0, 1, 2], found '3'")]
    [InlineData(Minimal + "repeats: 0", "sweep.yaml:3: repeats: 0 is not positive")]
    [InlineData(Minimal + "repeats: two", "sweep.yaml:3: repeats: 'two' is not an integer")]
    [InlineData(Minimal + "retries: { max_attempts: 0 }", "sweep.yaml:3: retries.max_attempts: 0 is not positive: the first run of a trial is attempt 1")]
    [InlineData(Minimal + "retries: { attempts: 2 }", "sweep.yaml:3: retries.attempts: unknown key 'attempts' in retries; allowed: max_attempts")]
    [InlineData(Minimal + "concurrency: -1", "sweep.yaml:3: concurrency: -1 is negative (0 means no limit)")]
    [InlineData(Minimal + "resources: { gpus_per_trial: 0 }", "sweep.yaml:3: resources.gpus_per_trial: 0 is not positive")]
    [InlineData(Minimal + "resources: { gpus_per_trial: 2 }", "sweep.yaml:3: resources.gpus_per_trial: 2 is more than one: a trial trains on one device (a slot is one GPU), multi-GPU trials are not supported")]
    [InlineData(Minimal + "resources: { cpu_threads_per_trial: -1 }", "sweep.yaml:3: resources.cpu_threads_per_trial: -1 is negative (0 gives a trial every thread of its slot)")]
    [InlineData(Minimal + "resources: { gpus: 2 }", "sweep.yaml:3: resources.gpus: unknown key 'gpus' in resources; allowed: gpus_per_trial, cpu_threads_per_trial")]
    [InlineData(Minimal + "resources: 2", "sweep.yaml:3: resources: expected a mapping of gpus_per_trial, cpu_threads_per_trial, found '2'")]
    [InlineData(Minimal + "checkpoint_every: -5", "sweep.yaml:3: checkpoint_every: -5 is negative")]
    // Trial parameters in fixed, data and stats
    [InlineData(Vgg + "  optimizer: { learning_rate: 0.1 }", "sweep.yaml:4: fixed.optimizer.learning_rate: unknown key 'learning_rate' in optimizer; allowed: kind, lr, momentum, nesterov, weight_decay, decay_batchnorm, beta1, beta2")]
    [InlineData(Vgg + "  optimiser.lr: 0.1", "sweep.yaml:4: fixed.optimiser.lr: unknown key 'optimiser.lr'; allowed: model, data, optimizer, schedule, stats, epochs, max_steps, batch_size, seed, checkpoint_every, eval_every, threads, device")]
    [InlineData(Vgg + "stats: { bins: 8 }", "sweep.yaml:4: stats.bins: unknown key 'bins' in stats; allowed: every, histogram_bins, histogram_min_log10, histogram_max_log10")]
    [InlineData(Vgg + "stats: { every: 0 }", "sweep.yaml:4: stats.every: 0 is below 1")]
    [InlineData(Vgg + "data: 5", "sweep.yaml:4: data: expected a mapping of kind, path, download, train_limit, test_limit, validation_fraction, augment, normalize, synthetic_train_size, synthetic_test_size, synthetic_classes, found '5'")]
    [InlineData("name: s\nfixed: { model.family: resnett, model.depth: 50 }", "sweep.yaml:2: fixed.model.family: 'resnett' is not one of cifar-resnet, resnet, vgg")]
    [InlineData("name: s\nfixed: { model.family: cifar-resnet, model.depth: 21 }", "sweep.yaml:2: fixed.model.depth: 21 is not 6n+2 for family cifar-resnet with n >= 1, e.g. 20, 32, 44, 56, 110, 1202")]
    [InlineData(Vgg + "  optimizer: { lr: 0 }", "sweep.yaml:4: fixed.optimizer.lr: 0 is not positive")]
    [InlineData(Vgg + "  batch_size: 0", "sweep.yaml:4: fixed.batch_size: 0 is not positive")]
    [InlineData(Vgg + "  epochs: two", "sweep.yaml:4: fixed.epochs: 'two' is not an integer")]
    [InlineData(Vgg + "  model.depth: 13", "sweep.yaml:4: fixed.model.depth: already set at fixed.model.depth (line 3); set each key once")]
    [InlineData("name: s\nfixed: { model.family: vgg, model.depth: 11, stats.every: 5 }\nstats: { every: 10 }", "sweep.yaml:2: fixed.stats.every: already set at stats.every (line 3); set each key once")]
    [InlineData(Vgg + "  seed: 3", "sweep.yaml:4: fixed.seed: not allowed in fixed: seeds come from seeds: [0, 1, 2] or repeats: 3, so that repeats are explicit")]
    [InlineData(Vgg + "  threads: 4", "sweep.yaml:4: fixed.threads: not allowed in fixed: set it with resources.cpu_threads_per_trial")]
    [InlineData(Vgg + "  device: cpu", "sweep.yaml:4: fixed.device: not allowed in fixed: each trial runs on the device of the slot it is given")]
    [InlineData(Vgg + "  checkpoint_every: 10", "sweep.yaml:4: fixed.checkpoint_every: not allowed in fixed: set checkpoint_every at the top level of the sweep")]
    // The grid
    [InlineData(Minimal + "grid: {}", "sweep.yaml:3: grid: empty: list the values of at least one trial parameter, e.g. { model.depth: [20, 32] }, or leave grid out")]
    [InlineData(Minimal + "grid:", "sweep.yaml:3: grid: empty: list the values of at least one trial parameter, e.g. { model.depth: [20, 32] }, or leave grid out")]
    [InlineData(Minimal + "grid: [20, 32]", "sweep.yaml:3: grid: expected a mapping of trial parameters to lists of values, e.g. { model.depth: [20, 32] }, found a list")]
    [InlineData(Minimal + "grid: { optimizer.lr: [] }", "sweep.yaml:3: grid.optimizer.lr: empty list: give at least one value")]
    [InlineData(Minimal + "grid: { optimizer.lr: 0.1 }", "sweep.yaml:3: grid.optimizer.lr: expected a list of values such as [a, b], found '0.1'; a single value belongs in fixed")]
    [InlineData(Minimal + "grid:\n  optimizer.lr:\n    - 0.1\n    - fast", "sweep.yaml:6: grid.optimizer.lr: 'fast' is not a finite number")]
    [InlineData(Minimal + "grid: { model.widht: [8, 16] }", "sweep.yaml:3: grid.model.widht: unknown key 'widht' in model; allowed: family, depth, batchnorm, shortcuts, init, base_width, input_channels, input_size, classes, stem")]
    [InlineData(Minimal + "grid: { model: [1, 2] }", "sweep.yaml:3: grid.model: expected a mapping of family, depth, batchnorm, shortcuts, init, base_width, input_channels, input_size, classes, stem, found a list")]
    [InlineData(Minimal + "grid: { model.init: [he, kaiming] }", "sweep.yaml:3: grid.model.init: 'kaiming' is not one of default, he, xavier")]
    [InlineData(Minimal + "grid: { seed: [0, 1] }", "sweep.yaml:3: grid.seed: cannot be swept: seeds come from seeds: [0, 1, 2] or repeats: 3, so that repeats are explicit")]
    [InlineData(Minimal + "grid: { device: [cpu, cuda] }", "sweep.yaml:3: grid.device: cannot be swept: each trial runs on the device of the slot it is given")]
    [InlineData(Vgg + "grid:\n  model.depth: [11, 13]", "sweep.yaml:5: grid.model.depth: also set at fixed.model.depth (line 3); a key is either fixed or swept")]
    [InlineData(Vgg + "data: { kind: synthetic }\ngrid:\n  data.kind: [synthetic, mnist]", "sweep.yaml:6: grid.data.kind: also set at data.kind (line 4); a key is either fixed or swept")]
    [InlineData(Minimal + "grid:\n  optimizer.lr: [0.1]\n  optimizer: { lr: [0.2] }", "sweep.yaml:5: grid.optimizer.lr: already listed at grid.optimizer.lr (line 4)")]
    [InlineData(Minimal + "grid: { optimizer.lr: [0.1, -0.1] }", "sweep.yaml:3: grid.optimizer.lr: -0.1 is not positive")]
    [InlineData(Minimal + "grid:\n  batch_size: [128, 0]", "sweep.yaml:4: grid.batch_size: 0 is not positive")]
    // The dataset
    [InlineData(Minimal + "data: { kind: cifar10 }", "sweep.yaml:3: data.path: a folder is required for kind cifar10")]
    [InlineData(Minimal + "dataset: { kind: cifar10 }", "sweep.yaml:3: dataset.path: a folder is required for kind cifar10")]
    [InlineData("name: s\nfixed: { model.family: vgg, model.depth: 11, data.kind: imagefolder }", "sweep.yaml:2: fixed.data.path: a folder is required for kind imagefolder")]
    public void A_bad_value_is_reported_with_its_line_and_yaml_path(string yaml, string expected)
    {
        Assert.Equal([expected], Problems(yaml));
    }

    [Fact]
    public void A_depth_the_family_cannot_build_is_reported_once_at_the_grid_keys_line()
    {
        const string yaml = """
            name: s
            fixed: { model.family: cifar-resnet }
            grid:
              model.depth: [20, 21]
              model.shortcuts: [false, true]
            """;

        Assert.Equal(
            ["sweep.yaml:4: grid.model.depth: 21 is not 6n+2 for family cifar-resnet with n >= 1, e.g. 20, 32, 44, 56, 110, 1202"],
            Problems(yaml));
    }

    [Fact]
    public void A_problem_of_some_grid_combinations_names_the_values_that_produce_it()
    {
        const string yaml = """
            name: s
            grid:
              model.family: [cifar-resnet, resnet]
              model.depth: [18, 20]
            """;

        Assert.Equal(
            ["sweep.yaml:4: grid.model.depth: 18 is not 6n+2 for family cifar-resnet with n >= 1, e.g. 20, 32, 44, 56, 110, 1202 (with model.family=cifar-resnet)",
             "sweep.yaml:4: grid.model.depth: 20 is not one of 18, 34, 50, 101, 152 for family resnet (with model.family=resnet)"],
            Problems(yaml));
    }

    [Fact]
    public void A_rule_broken_by_two_grid_values_together_is_reported_with_the_other_value()
    {
        const string yaml = """
            name: s
            fixed: { model.family: vgg, model.depth: 11 }
            grid:
              optimizer.nesterov: [false, true]
              optimizer.momentum: [0, 0.9]
              optimizer.lr: [0.1, 0.01]
            """;

        Assert.Equal(
            ["sweep.yaml:4: grid.optimizer.nesterov: Nesterov momentum needs momentum above 0 (with optimizer.momentum=0)"],
            Problems(yaml));
    }

    [Fact]
    public void A_fixed_problem_is_reported_once_however_large_the_grid()
    {
        const string yaml = """
            name: s
            fixed: { model.family: cifar-resnet, optimizer.lr: 0 }
            grid: { model.depth: [20, 32, 44], batch_size: [64, 128] }
            repeats: 3
            """;

        Assert.Equal(["sweep.yaml:2: fixed.optimizer.lr: 0 is not positive"], Problems(yaml));
    }

    [Theory]
    [InlineData("model.base_width: [16, 32, 16]", "16 appears twice")]
    [InlineData("optimizer.lr: [0.1, 0.10]", "0.1 appears twice")]
    [InlineData("optimizer.lr: [1e-2, 0.01]", "0.01 appears twice")]
    [InlineData("model.init: [he, He]", "he appears twice")]
    [InlineData("model.shortcuts: [true, TRUE]", "true appears twice")]
    public void A_value_listed_twice_in_a_grid_list_is_named_with_its_key(string axis, string message)
    {
        var key = axis[..axis.IndexOf(':')];

        var problems = Problems(Minimal + "grid:\n  " + axis + "\n");

        Assert.Equal([$"sweep.yaml:4: grid.{key}: {message}; repeat trials with seeds or repeats"], problems);
    }

    [Fact]
    public void The_same_relative_and_absolute_dataset_path_in_a_grid_list_are_duplicates()
    {
        _temp.Cifar10Folder("cifar");
        var yaml = $"{Minimal}data: {{ kind: cifar10 }}\ngrid:\n  data.path: [cifar, '{Path.Combine(_temp.Path, "cifar")}']\n";

        var problem = Assert.Single(Problems(yaml, _temp.Path));

        Assert.Equal($"sweep.yaml:5: grid.data.path: \"{Path.Combine(_temp.Path, "cifar")}\" appears twice; repeat trials with seeds or repeats", problem);
    }

    [Fact]
    public void Two_grid_values_that_differ_only_in_a_trailing_separator_are_the_same_trial()
    {
        var problem = Assert.Single(Problems(Minimal + "grid: { data.path: [a, a/] }\n"));

        Assert.Matches(@"^sweep\.yaml:3: grid: trials 0 and 1 have the same id [0-9a-f]{12}: make their grid values differ$", problem);
    }

    [Fact]
    public void A_grid_larger_than_the_limit_is_rejected_with_its_size()
    {
        const string yaml = Minimal + "grid: { optimizer.lr: [0.1, 0.2, 0.3], batch_size: [64, 128] }\nrepeats: 2\n";

        Assert.Equal(
            ["sweep.yaml:3: grid: expands to 12 trials (6 grid combinations x 2 seeds), more than the limit of 11"],
            Problems(yaml, limits: new SweepLimits(MaxTrials: 11)));
        Assert.Equal(12, Parse(yaml, limits: new SweepLimits(MaxTrials: 12)).TrialCount);
    }

    [Fact]
    public void The_default_limit_is_ten_thousand_trials()
    {
        Assert.Equal(10_000, Parse(Minimal + "repeats: 10000\n").TrialCount);
        Assert.Equal(
            ["sweep.yaml:3: repeats: expands to 10,001 trials (1 grid combination x 10,001 seeds), more than the limit of 10,000"],
            Problems(Minimal + "repeats: 10001\n"));
    }

    [Fact]
    public void A_grid_of_astronomical_size_is_rejected_without_being_expanded()
    {
        var values = $"[{string.Join(", ", Enumerable.Range(1, 1000))}]";
        var yaml = $"{Minimal}grid:\n  data.train_limit: {values}\n  data.test_limit: {values}\n  data.synthetic_train_size: {values}\nrepeats: 2000000000\n";

        Assert.Equal(
            ["sweep.yaml:3: grid: expands to 2,000,000,000,000,000,000 trials (1,000,000,000 grid combinations x 2,000,000,000 seeds), more than the limit of 10,000"],
            Problems(yaml));
    }

    [Fact]
    public void A_dataset_folder_that_does_not_exist_is_named()
    {
        Assert.Equal(
            [$"sweep.yaml:3: data.path: folder '{Path.Combine(_temp.Path, "nowhere")}' does not exist (set download: true to fetch it)"],
            Problems(Minimal + "data: { kind: mnist, path: nowhere }\n", _temp.Path));
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(3072)]
    public void A_cifar10_folder_without_a_usable_training_batch_is_named_before_anything_trains(int batchBytes)
    {
        var folder = _temp.Folder("bad-cifar");
        if (batchBytes >= 0) File.WriteAllBytes(Path.Combine(folder, "data_batch_1.bin"), new byte[batchBytes]);

        Assert.Equal(
            [$"sweep.yaml:3: data.path: folder '{folder}' holds no usable CIFAR-10 training batch (data_batch_1.bin ... data_batch_5.bin; set download: true to fetch them)"],
            Problems(Minimal + "data: { kind: cifar10, path: bad-cifar }\n", _temp.Path));
    }

    [Fact]
    public void A_spec_without_name_or_model_says_what_is_required()
    {
        Assert.Equal(
            ["sweep.yaml: name: required: a short name for the sweep, e.g. name: resnet-depths",
             "sweep.yaml: fixed.model.family: required: set it under fixed, or list its values under grid",
             "sweep.yaml: fixed.model.depth: required: set it under fixed, or list its values under grid"],
            Problems("seeds: [0]\n"));
    }

    [Fact]
    public void A_missing_model_key_is_located_at_fixed_and_no_rule_is_checked_on_its_stand_in()
    {
        Assert.Equal(
            ["sweep.yaml:2: fixed.model.depth: required: set it under fixed, or list its values under grid"],
            Problems("name: s\nfixed: { model.family: resnet }\n"));
    }

    [Theory]
    [InlineData("name: s\ngrid: { model.depth: [20, 32\n", 3)]
    [InlineData("name: s\nseeds: [0\nrepeats: 1\n", 3)]
    [InlineData("name: s\nname: t\n", 2)]
    public void Malformed_yaml_is_reported_at_the_line_the_parser_gives(string yaml, int line)
    {
        var problem = Assert.Single(Problems(yaml));

        Assert.StartsWith($"sweep.yaml:{line}: not valid YAML: ", problem);
    }

    [Theory]
    [InlineData("- 1\n- 2\n", "sweep.yaml:1: expected a mapping of keys at the top, found a list")]
    [InlineData(Minimal + "---\n" + Minimal, "sweep.yaml:4: holds more than one YAML document; a sweep spec has one")]
    public void A_spec_that_is_not_one_mapping_is_rejected(string yaml, string expected)
    {
        Assert.Equal([expected], Problems(yaml));
    }

    [Fact]
    public void Every_problem_is_reported_at_once_in_file_order_each_on_its_own_line()
    {
        const string yaml = """
            name: s
            data: { kind: cifar10 }
            fixed:
              model.family: cifar-resnet
              optimizer: { lr: -1 }
              seed: 4
            grid:
              model.depth: [20, 21, 20]
              batch_size: []
            seeds: [0, 0]
            retries: { max_attempts: 0 }
            concurrency: -2
            colour: blue
            """;

        var e = Assert.Throws<ConfigException>(() => Parse(yaml));

        Assert.Equal(
            ["sweep.yaml:2: data.path: a folder is required for kind cifar10",
             "sweep.yaml:5: fixed.optimizer.lr: -1 is not positive",
             "sweep.yaml:6: fixed.seed: not allowed in fixed: seeds come from seeds: [0, 1, 2] or repeats: 3, so that repeats are explicit",
             "sweep.yaml:8: grid.model.depth: 20 appears twice; repeat trials with seeds or repeats",
             "sweep.yaml:8: grid.model.depth: 21 is not 6n+2 for family cifar-resnet with n >= 1, e.g. 20, 32, 44, 56, 110, 1202",
             "sweep.yaml:9: grid.batch_size: empty list: give at least one value",
             "sweep.yaml:10: seeds: 0 appears twice",
             "sweep.yaml:11: retries.max_attempts: 0 is not positive: the first run of a trial is attempt 1",
             "sweep.yaml:12: concurrency: -2 is negative (0 means no limit)",
             "sweep.yaml:13: colour: unknown key 'colour'; allowed: name, data, dataset, fixed, grid, seeds, repeats, stats, resources, retries, concurrency, checkpoint_every"],
            e.Problems.Select(p => p.ToString()));
        Assert.Equal(10, e.Message.Split(Environment.NewLine).Length);
    }

    [Fact]
    public void Problems_of_a_loaded_spec_name_the_file_as_given()
    {
        var file = _temp.File("bad.yaml", "name: s\nfixed: { model.family: vgg, model.depth: 7 }\n");

        var e = Assert.Throws<ConfigException>(() => SweepFile.Load(file));

        Assert.StartsWith($"{file}:2: fixed.model.depth: 7 is below 8", e.Problems.Single().ToString());
    }

    [Fact]
    public void A_missing_spec_file_is_named()
    {
        var missing = Path.Combine(_temp.Path, "absent.yaml");

        var e = Assert.Throws<ConfigException>(() => SweepFile.Load(missing));

        Assert.StartsWith($"{missing}: cannot read the sweep spec: ", e.Message);
    }
}
