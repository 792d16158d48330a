using System.Globalization;
using ClusterTrain.Shared.Sweeps;
using ClusterTrain.Shared.Tests.Training;
using static ClusterTrain.Shared.Tests.Sweeps.Sweeps;

namespace ClusterTrain.Shared.Tests.Sweeps;

public sealed class SweepExpansionTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private const string DepthsAndShortcuts = """
        name: depths
        fixed: { model.family: cifar-resnet }
        grid:
          model.depth: [20, 32]
          model.shortcuts: [false, true]
        seeds: [0, 1]
        """;

    [Fact]
    public void Grid_keys_nest_in_file_order_the_first_outermost_and_seeds_innermost()
    {
        var trials = Parse(DepthsAndShortcuts).Expand();

        Assert.Equal(
            [(0, 20, false, 0), (1, 20, false, 1), (2, 20, true, 0), (3, 20, true, 1),
             (4, 32, false, 0), (5, 32, false, 1), (6, 32, true, 0), (7, 32, true, 1)],
            trials.Select(t => (t.Index, t.Config.Model.Depth, t.Config.Model.Shortcuts, t.Config.Seed)));
        Assert.Equal(trials.Select(t => t.Config.Seed), trials.Select(t => t.Seed));
    }

    [Fact]
    public void Each_trial_records_the_grid_values_that_made_it()
    {
        var trial = Parse(DepthsAndShortcuts).Expand()[5];

        Assert.Equal(new Dictionary<string, string> { ["model.depth"] = "32", ["model.shortcuts"] = "false" }, trial.GridValues);
    }

    [Fact]
    public void Grid_values_override_the_base_and_leave_the_rest_of_it()
    {
        var spec = Parse("name: s\nfixed: { model.family: vgg, model.depth: 11, epochs: 7 }\ngrid: { optimizer.lr: [0.5, 0.25] }\n");

        var trials = spec.Expand();

        Assert.Equal([spec.Base with { Optimizer = spec.Base.Optimizer with { LearningRate = 0.5 } },
                      spec.Base with { Optimizer = spec.Base.Optimizer with { LearningRate = 0.25 } }],
            trials.Select(t => t.Config));
        Assert.All(trials, t => Assert.Equal(7, t.Config.Epochs));
    }

    [Fact]
    public void The_canonical_text_lists_every_key_but_placement_in_table_order()
    {
        var trial = SweepFile.Load(QuickstartPath).Expand()[0];

        var expected = """
            model.family: cifar-resnet
            model.depth: 20
            model.batchnorm: true
            model.shortcuts: false
            model.init: he
            model.base_width: null
            model.input_channels: 3
            model.input_size: 32
            model.classes: 10
            model.stem: auto
            data.kind: synthetic
            data.path: null
            data.download: false
            data.train_limit: null
            data.test_limit: null
            data.validation_fraction: 0
            data.augment: true
            data.normalize: true
            data.synthetic_train_size: 2048
            data.synthetic_test_size: 512
            data.synthetic_classes: 10
            optimizer.kind: sgd
            optimizer.lr: 0.05
            optimizer.momentum: 0.9
            optimizer.nesterov: false
            optimizer.weight_decay: 0.0001
            optimizer.decay_batchnorm: true
            optimizer.beta1: 0.9
            optimizer.beta2: 0.999
            schedule.kind: constant
            schedule.milestones: []
            schedule.gamma: 0.1
            schedule.warmup_steps: 0
            schedule.warmup_lr: 0.01
            stats.every: 10
            stats.histogram_bins: 32
            stats.histogram_min_log10: -12
            stats.histogram_max_log10: 2
            epochs: 2
            max_steps: null
            batch_size: 64
            seed: 0
            eval_every: 0

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), TrialIdentity.CanonicalText(trial.Config));
    }

    [Fact]
    public void Ids_are_the_first_12_hex_digits_of_the_sha256_of_the_canonical_text()
    {
        // Computed with sha256sum from the canonical text above. Changing how ids are made orphans every
        // stored trial: a resumed sweep would run them all again.
        var trials = SweepFile.Load(QuickstartPath).Expand();

        Assert.Equal(("a01d4a86caf2", "ab1d0bc82710"), (trials[0].TrialId, trials[0].ConfigurationKey));
        Assert.Equal("83e1cd741f49", TrialIdentity.TrialId(trials[0].Config with { Seed = 1 }));
    }

    [Fact]
    public void A_reformatted_spec_with_keys_reordered_expands_to_the_same_trials()
    {
        const string reformatted = """
            seeds:
              - 1
              - 0
            grid:
              model:
                shortcuts: [False, True]
              model.depth: [0020, 32]
            name: depths
            fixed:
              model:
                family: CIFAR-ResNet
            """;

        var original = Parse(DepthsAndShortcuts).Expand();
        var other = Parse(reformatted).Expand();

        Assert.Equal(original.Select(t => t.TrialId).Order(), other.Select(t => t.TrialId).Order());
        Assert.Equal(original.ToDictionary(t => t.TrialId, t => t.Config), other.ToDictionary(t => t.TrialId, t => t.Config));
        Assert.Equal(TrialIdentity.SweepId("depths", original.Select(t => t.TrialId)), TrialIdentity.SweepId("depths", other.Select(t => t.TrialId)));
    }

    [Fact]
    public void A_grid_extended_by_one_value_keeps_the_ids_of_the_trials_it_had()
    {
        var before = Parse(DepthsAndShortcuts).Expand().Select(t => t.TrialId).ToList();
        var after = Parse(DepthsAndShortcuts.Replace("[20, 32]", "[20, 32, 44]")).Expand().Select(t => t.TrialId).ToList();

        Assert.Equal(12, after.Count);
        Assert.Subset(after.ToHashSet(), before.ToHashSet());
    }

    [Fact]
    public void Placement_and_checkpointing_do_not_change_trial_ids()
    {
        var plain = Parse(DepthsAndShortcuts).Expand();
        var other = Parse(DepthsAndShortcuts + "\ncheckpoint_every: 25\nresources: { cpu_threads_per_trial: 2 }\nconcurrency: 1\nretries: { max_attempts: 9 }\n").Expand();

        Assert.Equal(plain.Select(t => t.TrialId), other.Select(t => t.TrialId));
        Assert.Equal(plain[0].TrialId, TrialIdentity.TrialId(plain[0].Config with { Device = "cuda:3", Threads = 8, CheckpointEvery = 1 }));
    }

    [Fact]
    public void Seeds_of_one_configuration_have_distinct_ids_and_one_configuration_key()
    {
        var trials = Parse(DepthsAndShortcuts).Expand();

        Assert.Equal(8, trials.Select(t => t.TrialId).Distinct().Count());
        Assert.Equal(4, trials.Select(t => t.ConfigurationKey).Distinct().Count());
        Assert.Equal(trials[0].ConfigurationKey, trials[1].ConfigurationKey);
        Assert.NotEqual(trials[1].ConfigurationKey, trials[2].ConfigurationKey);
        Assert.DoesNotContain(trials[0].ConfigurationKey, trials.Select(t => t.TrialId));
    }

    [Fact]
    public void The_same_dataset_named_relative_to_two_spec_folders_gives_the_same_ids()
    {
        var data = _temp.Cifar10Folder("data/cifar10");
        _temp.Folder("sweeps/deeper/still");
        static string Spec(string path) => Minimal + $"data: {{ kind: cifar10, path: '{path}' }}\n";

        var fromNear = SweepFile.Load(_temp.File("sweeps/a.yaml", Spec("../data/cifar10")));
        var fromFar = SweepFile.Load(_temp.File("sweeps/deeper/still/b.yaml", Spec("../../../data/cifar10/")));
        var absolute = SweepFile.Parse(Spec(data), "c.yaml");

        Assert.Equal(data, fromNear.Base.Data.Path);
        Assert.Equal(fromNear.Expand()[0].TrialId, fromFar.Expand()[0].TrialId);
        Assert.Equal(fromNear.Expand()[0].TrialId, absolute.Expand()[0].TrialId);
    }

    [Fact]
    public void Ids_do_not_depend_on_the_current_culture()
    {
        const string yaml = "name: s\nfixed: { model.family: vgg, model.depth: 11 }\ngrid: { optimizer.lr: [0.05, 1.5e-3] }\n";
        var invariant = Parse(yaml).Expand().Select(t => t.TrialId).ToList();
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo("de-DE");

            Assert.Equal(invariant, Parse(yaml).Expand().Select(t => t.TrialId));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void The_sweep_id_depends_on_the_name_and_the_set_of_trials_only()
    {
        var ids = Parse(DepthsAndShortcuts).Expand().Select(t => t.TrialId).ToList();

        var id = TrialIdentity.SweepId("depths", ids);

        Assert.Matches("^[0-9a-f]{12}$", id);
        Assert.Equal(id, TrialIdentity.SweepId("depths", Enumerable.Reverse(ids).Concat(ids)));
        Assert.NotEqual(id, TrialIdentity.SweepId("depths-2", ids));
        Assert.NotEqual(id, TrialIdentity.SweepId("depths", ids.Skip(1)));
    }

    [Theory]
    [InlineData("model.depth: [56]\n  model.shortcuts: [false]", "plain-56")]
    [InlineData("model.depth: [20]\n  model.batchnorm: [false]", "ResNet-20-nobn")]
    [InlineData("model.depth: [20]\n  optimizer.lr: [0.1]", "ResNet-20 lr=0.1")]
    [InlineData("model.depth: [20]\n  model.init: [xavier]\n  batch_size: [64]", "ResNet-20 init=xavier batch_size=64")]
    [InlineData("model.depth: [20]\n  optimizer.kind: [adam]\n  schedule.kind: [cosine]", "ResNet-20 optimizer.kind=adam schedule.kind=cosine")]
    public void A_label_is_the_model_name_and_the_grid_values_it_does_not_show(string grid, string label)
    {
        var spec = Parse("name: s\nfixed: { model.family: cifar-resnet }\ngrid:\n  " + grid + "\n");

        Assert.Equal(label, Assert.Single(spec.Expand()).Label);
    }

    [Fact]
    public void On_a_cpu_slot_a_trial_gets_the_sweeps_threads_and_on_a_gpu_slot_its_device()
    {
        var spec = Parse(Minimal + "resources: { cpu_threads_per_trial: 3 }\n");
        var trial = spec.Expand()[0];

        var onCpu = spec.ConfigFor(trial, new TrialSlot("cpu-node", 1, "cpu"));
        var onGpu = spec.ConfigFor(trial, new TrialSlot("gpu-node", 0, "cuda:2"));

        Assert.Equal(trial.Config with { Device = "cpu", Threads = 3 }, onCpu);
        Assert.Equal(trial.Config with { Device = "cuda:2" }, onGpu);
        Assert.Equal(trial.TrialId, TrialIdentity.TrialId(onCpu));
    }

    [Fact]
    public void A_spec_built_in_code_with_a_value_that_does_not_fit_its_key_fails_to_expand()
    {
        var spec = Parse(Minimal) with { Grid = [new GridAxis("optimizer.lr", ["fast"])] };

        var e = Assert.Throws<InvalidOperationException>(() => spec.Expand());

        Assert.Contains("optimizer.lr: 'fast' is not a finite number", e.Message);
    }
}
