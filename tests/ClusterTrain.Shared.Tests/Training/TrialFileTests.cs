using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Tests.Training;

public sealed class TrialFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private const string Model = "model: {family: cifar-resnet, depth: 20}\n";

    /// <summary>The problems Parse reports, as "file:line: key: message"; fails the test when it reports none.</summary>
    private IReadOnlyList<string> Problems(string yaml) =>
        Assert.Throws<ConfigException>(() => TrialFile.Parse(yaml, "trial.yaml", _temp.Path))
            .Problems.Select(p => p.ToString()).ToList();

    [Fact]
    public void A_complete_file_gives_the_trial_it_describes()
    {
        const string yaml = """
            # plain-56 on synthetic data
            model: { family: cifar-resnet, depth: 56, batchnorm: true, shortcuts: false, init: xavier, base_width: 8, input_channels: 1, input_size: 28, classes: 12, stem: small }
            data: { kind: synthetic, download: false, train_limit: 2048, test_limit: null, validation_fraction: 0.1, augment: false, normalize: false, synthetic_train_size: 512, synthetic_test_size: 256, synthetic_classes: 12 }
            optimizer: { kind: sgd, lr: 0.05, momentum: 0.8, nesterov: true, weight_decay: 5e-4, decay_batchnorm: false, beta1: 0.8, beta2: 0.99 }
            schedule: { kind: multistep, milestones: [0.5, 0.75], gamma: 0.2, warmup_steps: 400, warmup_lr: 0.01 }
            stats: { every: 5, histogram_bins: 28, histogram_min_log10: -10, histogram_max_log10: 4 }
            epochs: 3
            max_steps: 1000
            batch_size: 64
            seed: 4
            checkpoint_every: 500
            eval_every: 100
            threads: 2
            device: "cuda:1"
            """;

        var config = TrialFile.Parse(yaml, "trial.yaml");

        var expected = new TrialConfig(
            new ModelSpec(ModelFamily.CifarResNet, 56, BatchNorm: true, Shortcuts: false, Init: InitScheme.Xavier,
                BaseWidth: 8, InputChannels: 1, InputSize: 28, Classes: 12, Stem: StemKind.Small),
            new DatasetSpec(DatasetKind.Synthetic, Path: null, Download: false, TrainLimit: 2048, TestLimit: null,
                ValidationFraction: 0.1, Augment: false, Normalize: false, SyntheticTrainSize: 512,
                SyntheticTestSize: 256, SyntheticClasses: 12),
            new OptimizerSpec(OptimizerKind.Sgd, 0.05, Momentum: 0.8, Nesterov: true, WeightDecay: 5e-4,
                DecayBatchNorm: false, Beta1: 0.8, Beta2: 0.99),
            new ScheduleSpec(ScheduleKind.MultiStep, [0.5, 0.75], Gamma: 0.2, WarmupSteps: 400, WarmupLearningRate: 0.01),
            new StatsSpec(Every: 5, HistogramBins: 28, HistogramMinLog10: -10, HistogramMaxLog10: 4),
            Epochs: 3, MaxSteps: 1000, BatchSize: 64, Seed: 4, CheckpointEvery: 500, EvalEvery: 100, Threads: 2,
            Device: "cuda:1");
        Assert.Equal(expected, config);
    }

    [Fact]
    public void A_file_with_only_family_and_depth_takes_every_default()
    {
        const string yaml = """
            model:
              family: resnet
              depth: 50
            """;

        var config = TrialFile.Parse(yaml, "trial.yaml");

        Assert.Equal(
            new TrialConfig(new ModelSpec(ModelFamily.ResNet, 50), new DatasetSpec(), new OptimizerSpec(), new ScheduleSpec(), new StatsSpec()),
            config);
    }

    [Fact]
    public void A_model_rule_is_reported_with_file_line_and_key()
    {
        const string yaml = """
            model:
              family: cifar-resnet
              depth: 21
            """;

        var problem = Assert.Single(Problems(yaml));

        Assert.StartsWith("trial.yaml:3: model.depth: 21 is not 6n+2 for family cifar-resnet", problem);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_each_on_its_own_line()
    {
        const string yaml = """
            model:
              family: vgg
              depth: 5
            optimizer:
              lr: 0
            epochs: abc
            """;

        var e = Assert.Throws<ConfigException>(() => TrialFile.Parse(yaml, "trial.yaml"));

        Assert.Equal(
            ["trial.yaml:6: epochs: 'abc' is not an integer",
             "trial.yaml:3: model.depth: 5 is below 8, the shallowest vgg (one convolution in each of five stages, three fully connected layers)",
             "trial.yaml:5: optimizer.lr: 0 is not positive"],
            e.Problems.Select(p => p.ToString()));
        Assert.Equal(3, e.Message.Split(Environment.NewLine).Length);
    }

    [Theory]
    // Values of the wrong type
    [InlineData("epochs: abc", "trial.yaml:2: epochs: 'abc' is not an integer")]
    [InlineData("epochs: 2.5", "trial.yaml:2: epochs: '2.5' is not an integer")]
    [InlineData("epochs: [1, 2]", "trial.yaml:2: epochs: expected an integer, found a list")]
    [InlineData("optimizer: {lr: fast}", "trial.yaml:2: optimizer.lr: 'fast' is not a finite number")]
    [InlineData("optimizer: {lr: NaN}", "trial.yaml:2: optimizer.lr: 'NaN' is not a finite number")]
    [InlineData("data: {augment: yes}", "trial.yaml:2: data.augment: 'yes' is not true or false")]
    [InlineData("device: null", "trial.yaml:2: device: expected a string, found null")]
    [InlineData("stats: 10", "trial.yaml:2: stats: expected a mapping of every, histogram_bins, histogram_min_log10, histogram_max_log10, found '10'")]
    [InlineData("schedule: {milestones: 0.5}", "trial.yaml:2: schedule.milestones: expected a list of numbers such as [0.5, 0.75], found '0.5'")]
    [InlineData("schedule:\n  milestones:\n    - 0.5\n    - x", "trial.yaml:5: schedule.milestones: 'x' is not a finite number")]
    // Unknown keys and names
    [InlineData("learning_rate: 0.1", "trial.yaml:2: learning_rate: unknown key 'learning_rate'; allowed: model, data, optimizer, schedule, stats, epochs, max_steps, batch_size, seed, checkpoint_every, eval_every, threads, device")]
    [InlineData("optimizer:\n  kind: sgd\n  learning_rate: 0.1", "trial.yaml:4: optimizer.learning_rate: unknown key 'learning_rate' in optimizer; allowed: kind, lr, momentum, nesterov, weight_decay, decay_batchnorm, beta1, beta2")]
    [InlineData("data: {kind: cifar100}", "trial.yaml:2: data.kind: 'cifar100' is not one of synthetic, cifar10, mnist, imagefolder")]
    [InlineData("optimizer: {kind: rmsprop}", "trial.yaml:2: optimizer.kind: 'rmsprop' is not one of sgd, adam")]
    [InlineData("schedule: {kind: step}", "trial.yaml:2: schedule.kind: 'step' is not one of constant, multistep, cosine")]
    // Ranges
    [InlineData("optimizer: {lr: 0}", "trial.yaml:2: optimizer.lr: 0 is not positive")]
    [InlineData("optimizer: {lr: -0.1}", "trial.yaml:2: optimizer.lr: -0.1 is not positive")]
    [InlineData("batch_size: 0", "trial.yaml:2: batch_size: 0 is not positive")]
    [InlineData("epochs: -1", "trial.yaml:2: epochs: -1 is not positive")]
    [InlineData("max_steps: 0", "trial.yaml:2: max_steps: 0 is not positive")]
    [InlineData("optimizer: {momentum: 1}", "trial.yaml:2: optimizer.momentum: 1 is outside [0, 1)")]
    [InlineData("optimizer: {momentum: -0.5}", "trial.yaml:2: optimizer.momentum: -0.5 is outside [0, 1)")]
    [InlineData("optimizer: {nesterov: true, momentum: 0}", "trial.yaml:2: optimizer.nesterov: Nesterov momentum needs momentum above 0")]
    [InlineData("optimizer: {weight_decay: -1e-4}", "trial.yaml:2: optimizer.weight_decay: -0.0001 is negative")]
    [InlineData("optimizer: {beta1: 1}", "trial.yaml:2: optimizer.beta1: 1 is outside [0, 1)")]
    [InlineData("optimizer: {beta2: 1.5}", "trial.yaml:2: optimizer.beta2: 1.5 is outside [0, 1)")]
    [InlineData("data: {validation_fraction: 1.0}", "trial.yaml:2: data.validation_fraction: 1 is outside [0, 1)")]
    [InlineData("data: {validation_fraction: -0.1}", "trial.yaml:2: data.validation_fraction: -0.1 is outside [0, 1)")]
    [InlineData("data: {train_limit: 0}", "trial.yaml:2: data.train_limit: 0 is below 1")]
    [InlineData("data: {test_limit: -5}", "trial.yaml:2: data.test_limit: -5 is below 1")]
    [InlineData("data: {synthetic_train_size: 0}", "trial.yaml:2: data.synthetic_train_size: 0 is below 1")]
    [InlineData("data: {synthetic_test_size: 0}", "trial.yaml:2: data.synthetic_test_size: 0 is below 1")]
    [InlineData("data: {synthetic_classes: 1}", "trial.yaml:2: data.synthetic_classes: 1 is below 2")]
    [InlineData("data: {synthetic_classes: 20}", "trial.yaml:2: data.synthetic_classes: 20 is more than the model's 10 classes")]
    [InlineData("stats: {histogram_min_log10: 2, histogram_max_log10: 2}", "trial.yaml:2: stats.histogram_max_log10: 2 is not above histogram_min_log10 2")]
    [InlineData("stats: {histogram_bins: 0}", "trial.yaml:2: stats.histogram_bins: 0 is below 1")]
    [InlineData("stats: {every: 0}", "trial.yaml:2: stats.every: 0 is below 1")]
    [InlineData("schedule: {gamma: 0}", "trial.yaml:2: schedule.gamma: 0 is not positive")]
    [InlineData("schedule: {warmup_steps: -1}", "trial.yaml:2: schedule.warmup_steps: -1 is negative")]
    [InlineData("schedule: {warmup_lr: 0}", "trial.yaml:2: schedule.warmup_lr: 0 is not positive")]
    [InlineData("checkpoint_every: -1", "trial.yaml:2: checkpoint_every: -1 is negative")]
    [InlineData("eval_every: -1", "trial.yaml:2: eval_every: -1 is negative")]
    [InlineData("threads: -2", "trial.yaml:2: threads: -2 is negative")]
    [InlineData("device: gpu", "trial.yaml:2: device: 'gpu' is not auto, cpu, cuda or cuda:N")]
    // Milestones
    [InlineData("schedule: {kind: multistep}", "trial.yaml:2: schedule.milestones: kind multistep needs at least one milestone, e.g. [0.5, 0.75]")]
    [InlineData("schedule: {kind: multistep, milestones: [0.5, 1.0]}", "trial.yaml:2: schedule.milestones: 1 not in (0, 1): milestones are fractions of the training steps")]
    [InlineData("schedule: {kind: multistep, milestones: [0, 0.5]}", "trial.yaml:2: schedule.milestones: 0 not in (0, 1): milestones are fractions of the training steps")]
    [InlineData("schedule: {kind: multistep, milestones: [0.75, 0.5]}", "trial.yaml:2: schedule.milestones: [0.75, 0.5] is not increasing")]
    [InlineData("schedule: {kind: multistep, milestones: [0.5, 0.5]}", "trial.yaml:2: schedule.milestones: [0.5, 0.5] is not increasing")]
    // Data
    [InlineData("data: {kind: cifar10}", "trial.yaml:2: data.path: a folder is required for kind cifar10")]
    [InlineData("data: {kind: imagefolder, path: null}", "trial.yaml:2: data.path: a folder is required for kind imagefolder")]
    [InlineData("data: {download: true}", "trial.yaml:2: data.download: kind synthetic cannot be downloaded; only cifar10 and mnist can")]
    public void A_bad_value_is_reported_with_its_line_and_key(string line, string expected)
    {
        var problem = Assert.Single(Problems(Model + line));

        Assert.Equal(expected, problem);
    }

    [Theory]
    [InlineData("model: {family: vgg, depth: 11}\nepochs: [3\nseed: 1\n", 3)]
    [InlineData("model: {family: vgg, depth: 11}\nepochs: 3\n  seed: 1\n", 3)]
    [InlineData("model: {family: vgg, depth: 11\n", 2)]
    public void Malformed_yaml_is_reported_at_the_line_the_parser_gives(string yaml, int line)
    {
        var problem = Assert.Single(Problems(yaml));

        Assert.StartsWith($"trial.yaml:{line}: not valid YAML: ", problem);
    }

    [Fact]
    public void A_repeated_key_is_malformed_yaml()
    {
        var problem = Assert.Single(Problems(Model + "epochs: 1\nepochs: 2\n"));

        Assert.StartsWith("trial.yaml:3: not valid YAML: ", problem);
        Assert.Contains("epochs", problem);
    }

    [Theory]
    [InlineData("epochs: 3\n")]
    [InlineData("")]
    [InlineData("# nothing but a comment\n")]
    public void A_file_without_a_model_section_is_rejected(string yaml)
    {
        Assert.Equal(["trial.yaml: model: the model section is missing; it needs at least family and depth"], Problems(yaml));
    }

    [Fact]
    public void A_model_without_family_or_depth_is_rejected()
    {
        Assert.Equal(
            ["trial.yaml:1: model.family: required", "trial.yaml:1: model.depth: required"],
            Problems("model: {batchnorm: false}\n"));
    }

    [Fact]
    public void A_misspelt_key_in_the_model_is_named_with_the_allowed_ones()
    {
        Assert.Equal(
            ["trial.yaml:3: model.depht: unknown key 'depht' in model; allowed: family, depth, batchnorm, shortcuts, init, base_width, input_channels, input_size, classes, stem",
             "trial.yaml:1: model.depth: required"],
            Problems("model:\n  family: vgg\n  depht: 11\n"));
    }

    [Fact]
    public void A_broken_family_is_not_followed_by_depth_rules_of_the_default_family()
    {
        Assert.Equal(
            ["trial.yaml:1: model.family: 'resnett' is not one of cifar-resnet, resnet, vgg"],
            Problems("model: {family: resnett, depth: 50}\n"));
    }

    [Fact]
    public void A_depth_that_does_not_parse_is_not_checked_against_the_family()
    {
        Assert.Equal(["trial.yaml:1: model.depth: 'fifty' is not an integer"], Problems("model: {family: resnet, depth: fifty}\n"));
    }

    [Theory]
    [InlineData("- 1\n- 2\n", "trial.yaml:1: expected a mapping of keys at the top, found a list")]
    [InlineData(Model + "---\n" + Model, "trial.yaml:3: holds more than one YAML document; a trial file has one")]
    public void A_file_that_is_not_one_mapping_is_rejected(string yaml, string expected)
    {
        Assert.Equal(expected, Problems(yaml)[0]);
    }

    [Fact]
    public void A_relative_dataset_path_resolves_against_the_trial_files_folder()
    {
        var data = _temp.Cifar10Folder("data/cifar10");
        _temp.Folder("trials");
        var file = _temp.File("trials/t.yaml", Model + "data: {kind: cifar10, path: ../data/cifar10}\n");

        var config = TrialFile.Load(file);

        Assert.Equal(data, config.Data.Path);
    }

    [Fact]
    public void A_dataset_folder_that_does_not_exist_is_named()
    {
        var expected = Path.Combine(_temp.Path, "nowhere");

        Assert.Equal(
            [$"trial.yaml:2: data.path: folder '{expected}' does not exist"],
            Problems(Model + "data: {kind: imagefolder, path: nowhere}\n"));
        Assert.Equal(
            [$"trial.yaml:2: data.path: folder '{expected}' does not exist (set download: true to fetch it)"],
            Problems(Model + "data: {kind: mnist, path: nowhere}\n"));
    }

    [Fact]
    public void A_dataset_to_be_downloaded_may_name_a_folder_not_yet_there()
    {
        var config = TrialFile.Parse(Model + "data: {kind: cifar10, path: later, download: true}\n", "trial.yaml", _temp.Path);

        Assert.Equal(Path.Combine(_temp.Path, "later"), config.Data.Path);
    }

    [Fact]
    public void Problems_of_a_loaded_file_name_the_file_as_given()
    {
        var file = _temp.File("bad.yaml", "model: {family: vgg, depth: 7}\n");

        var e = Assert.Throws<ConfigException>(() => TrialFile.Load(file));

        Assert.StartsWith($"{file}:1: model.depth: 7 is below 8", e.Problems.Single().ToString());
    }

    [Fact]
    public void A_missing_trial_file_is_named()
    {
        var missing = Path.Combine(_temp.Path, "absent.yaml");

        var e = Assert.Throws<ConfigException>(() => TrialFile.Load(missing));

        Assert.StartsWith($"{missing}: cannot read the trial file: ", e.Message);
    }

    [Fact]
    public void Yaml_of_a_config_lists_every_key_by_section()
    {
        var yaml = TrialFile.ToYaml(TrialParameters.Defaults with { MaxSteps = 10 });

        Assert.StartsWith("model:\n  family: cifar-resnet\n  depth: 20\n  batchnorm: true\n", yaml);
        Assert.Contains("\ndata:\n  kind: synthetic\n  path: null\n", yaml);
        Assert.Contains("\nschedule:\n  kind: constant\n  milestones: []\n  gamma: 0.1\n", yaml);
        Assert.EndsWith("\nmax_steps: 10\nbatch_size: 128\nseed: 0\ncheckpoint_every: 0\neval_every: 0\nthreads: 0\ndevice: \"auto\"\n", yaml);
        Assert.Equal(TrialParameters.Keys.Count + TrialParameters.Sections.Count, yaml.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void The_defaults_survive_yaml_and_back()
    {
        var config = TrialParameters.Defaults;

        Assert.Equal(config, TrialFile.Parse(TrialFile.ToYaml(config), "round-trip.yaml"));
    }

    [Fact]
    public void A_config_unlike_the_defaults_in_every_key_survives_yaml_and_back()
    {
        var awkwardFolder = _temp.Folder("we \"quote\" it: #1 \\ null");
        var config = new TrialConfig(
            new ModelSpec(ModelFamily.ResNet, 152, BatchNorm: false, Shortcuts: false, Init: InitScheme.Default,
                BaseWidth: 32, InputChannels: 1, InputSize: 224, Classes: 1000, Stem: StemKind.ImageNet),
            new DatasetSpec(DatasetKind.ImageFolder, awkwardFolder, Download: false, TrainLimit: 100, TestLimit: 50,
                ValidationFraction: 0.3333333333333333, Augment: false, Normalize: false, SyntheticTrainSize: 7,
                SyntheticTestSize: 3, SyntheticClasses: 2),
            new OptimizerSpec(OptimizerKind.Adam, 1e-3, Momentum: 0, Nesterov: false, WeightDecay: 0,
                DecayBatchNorm: false, Beta1: 0.85, Beta2: 0.9995),
            new ScheduleSpec(ScheduleKind.MultiStep, [0.1 + 0.2, 0.9], Gamma: 0.5, WarmupSteps: 3, WarmupLearningRate: 1e-5),
            new StatsSpec(Every: 1, HistogramBins: 1, HistogramMinLog10: -3, HistogramMaxLog10: -1),
            Epochs: 200, MaxSteps: 64000, BatchSize: 1, Seed: -7, CheckpointEvery: 1, EvalEvery: 2, Threads: 16,
            Device: "cuda:3");

        var parsed = TrialFile.Parse(TrialFile.ToYaml(config), "round-trip.yaml");

        Assert.Equal(config, parsed);
    }
}
