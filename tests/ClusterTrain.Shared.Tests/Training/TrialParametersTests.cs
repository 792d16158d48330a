using ClusterTrain.Shared.Models;
using ClusterTrain.Shared.Training;
using YamlDotNet.RepresentationModel;

namespace ClusterTrain.Shared.Tests.Training;

/// <summary>The per-key reading a sweep spec shares with the trial file.</summary>
public class TrialParametersTests
{
    private static YamlNode Node(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents[0].RootNode;
    }

    [Fact]
    public void Dotted_keys_set_single_values_on_a_base_config()
    {
        var problems = new ProblemList("sweep.yaml");

        var config = TrialParameters.Apply(TrialParameters.Defaults, "model.depth", Node("56"), problems);
        config = TrialParameters.Apply(config, "optimizer.lr", Node("0.05"), problems);
        config = TrialParameters.Apply(config, "seed", Node("3"), problems);
        config = TrialParameters.Apply(config, "schedule.milestones", Node("[0.3, 0.6]"), problems);

        Assert.Empty(problems);
        Assert.Equal((56, 0.05, 3), (config.Model.Depth, config.Optimizer.LearningRate, config.Seed));
        Assert.Equal([0.3, 0.6], config.Schedule.Milestones!);
    }

    [Fact]
    public void A_section_key_with_a_mapping_sets_each_of_its_keys()
    {
        var problems = new ProblemList("sweep.yaml");

        var config = TrialParameters.Apply(TrialParameters.Defaults, "model", Node("{family: vgg, depth: 16, batchnorm: false}"), problems);

        Assert.Empty(problems);
        Assert.Equal(new ModelSpec(ModelFamily.Vgg, 16, BatchNorm: false), config.Model);
    }

    [Fact]
    public void A_bad_value_leaves_the_config_as_it_was()
    {
        var problems = new ProblemList("sweep.yaml");

        var config = TrialParameters.Apply(TrialParameters.Defaults, "optimizer.lr", Node("\n\nfast"), problems);

        Assert.Same(TrialParameters.Defaults, config);
        Assert.Equal(["sweep.yaml:3: optimizer.lr: 'fast' is not a finite number"], problems.Select(p => p.ToString()));
    }

    [Theory]
    [InlineData("model.widht", "model.widht: unknown key 'widht' in model; allowed: family, depth, batchnorm, shortcuts, init, base_width, input_channels, input_size, classes, stem")]
    [InlineData("optimiser.lr", "optimiser.lr: unknown key 'optimiser.lr'; allowed: model, data, optimizer, schedule, stats, epochs, max_steps, batch_size, seed, checkpoint_every, eval_every, threads, device")]
    public void An_unknown_key_is_named_with_the_allowed_ones(string key, string expected)
    {
        var problems = new ProblemList("sweep.yaml");

        TrialParameters.Apply(TrialParameters.Defaults, key, Node("1"), problems);

        Assert.Equal([$"sweep.yaml:1: {expected}"], problems.Select(p => p.ToString()));
    }

    [Fact]
    public void Rules_checked_after_applying_point_at_the_line_the_key_came_from()
    {
        var problems = new ProblemList("sweep.yaml");
        var config = TrialParameters.Apply(TrialParameters.Defaults, "model.depth", Node("# depths\n\n21"), problems);

        TrialRules.Validate(config, problems);

        Assert.StartsWith("sweep.yaml:3: model.depth: 21 is not 6n+2", Assert.Single(problems).ToString());
    }

    [Theory]
    [InlineData("optimizer.lr", "0.10", "0.1")]
    [InlineData("optimizer.lr", "1e-2", "0.01")]
    [InlineData("model.init", "He", "he")]
    [InlineData("model.shortcuts", "TRUE", "true")]
    [InlineData("model.depth", "0020", "20")]
    [InlineData("data.path", "some dir", "\"some dir\"")]
    [InlineData("schedule.milestones", "[0.50, .75]", "[0.5, 0.75]")]
    public void Format_gives_a_value_in_its_one_canonical_spelling(string key, string yaml, string expected)
    {
        var problems = new ProblemList("sweep.yaml");
        var config = TrialParameters.Apply(TrialParameters.Defaults, key, Node(yaml), problems);

        Assert.Empty(problems);
        Assert.Equal(expected, TrialParameters.Format(config, key));
    }

    [Fact]
    public void Format_of_a_key_not_in_the_table_is_a_programming_error()
    {
        var e = Assert.Throws<ArgumentException>(() => TrialParameters.Format(TrialParameters.Defaults, "model"));

        Assert.StartsWith("'model' is not a trial parameter.", e.Message);
    }

    [Fact]
    public void The_key_table_covers_every_section_and_top_level_key()
    {
        Assert.Equal(["model", "data", "optimizer", "schedule", "stats"], TrialParameters.Sections);
        Assert.Contains("model.depth", TrialParameters.Keys);
        Assert.Contains("optimizer.lr", TrialParameters.Keys);
        Assert.Contains("seed", TrialParameters.Keys);
        Assert.Equal(46, TrialParameters.Keys.Count);
    }
}
