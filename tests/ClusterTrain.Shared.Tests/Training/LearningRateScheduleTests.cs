using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Tests.Training;

public class LearningRateScheduleTests
{
    private static readonly OptimizerSpec Sgd = new(LearningRate: 0.1);

    [Theory]
    [InlineData(0)]
    [InlineData(99)]
    public void A_constant_schedule_keeps_the_optimizer_rate(long step)
    {
        Assert.Equal(0.1, LearningRateSchedule.At(step, 100, Sgd, new ScheduleSpec()));
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(49, 0.1)]
    [InlineData(50, 0.01)]
    [InlineData(74, 0.01)]
    [InlineData(75, 0.001)]
    [InlineData(99, 0.001)]
    public void A_multistep_schedule_divides_by_ten_at_each_passed_milestone(long step, double expected)
    {
        var schedule = new ScheduleSpec(ScheduleKind.MultiStep, [0.5, 0.75], Gamma: 0.1);

        Assert.Equal(expected, LearningRateSchedule.At(step, 100, Sgd, schedule), 1e-15);
    }

    [Fact]
    public void A_milestone_falling_between_steps_rounds_half_away_from_zero()
    {
        // 0.5 * 101 = 50.5 -> step 51.
        var schedule = new ScheduleSpec(ScheduleKind.MultiStep, [0.5], Gamma: 0.5);

        Assert.Equal(0.1, LearningRateSchedule.At(50, 101, Sgd, schedule));
        Assert.Equal(0.05, LearningRateSchedule.At(51, 101, Sgd, schedule));
    }

    [Theory]
    [InlineData(0, 0.1)]
    [InlineData(25, 0.08535533905932738)] // 0.05 * (1 + cos(pi / 4))
    [InlineData(50, 0.05)]
    [InlineData(75, 0.014644660940672627)] // 0.05 * (1 - cos(pi / 4))
    [InlineData(100, 0)]
    [InlineData(150, 0)]
    public void A_cosine_schedule_anneals_to_zero_at_the_last_step(long step, double expected)
    {
        Assert.Equal(expected, LearningRateSchedule.At(step, 100, Sgd, new ScheduleSpec(ScheduleKind.Cosine)), 1e-15);
    }

    [Theory]
    [InlineData(0, 0.01)]
    [InlineData(9, 0.01)]
    [InlineData(10, 0.1)]
    [InlineData(60, 0.05)]
    public void Cosine_after_warm_up_spans_only_the_steps_after_it(long step, double expected)
    {
        var schedule = new ScheduleSpec(ScheduleKind.Cosine, WarmupSteps: 10, WarmupLearningRate: 0.01);

        Assert.Equal(expected, LearningRateSchedule.At(step, 110, Sgd, schedule), 1e-15);
    }

    [Theory]
    [InlineData(399, 0.01)]
    [InlineData(400, 0.1)]
    [InlineData(32000, 0.01)]
    [InlineData(48000, 0.001)]
    public void Multistep_milestones_count_from_the_start_of_the_run_warm_up_included(long step, double expected)
    {
        // ResNet-110 (He et al. 2016): 0.01 for 400 iterations, then 0.1, divided by 10 at 32k and 48k of 64k.
        var schedule = new ScheduleSpec(ScheduleKind.MultiStep, [0.5, 0.75], WarmupSteps: 400, WarmupLearningRate: 0.01);

        Assert.Equal(expected, LearningRateSchedule.At(step, 64000, Sgd, schedule), 1e-15);
    }

    [Fact]
    public void Steps_before_the_start_or_runs_without_steps_are_errors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.At(-1, 100, Sgd, new ScheduleSpec()));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.At(0, 0, Sgd, new ScheduleSpec()));
    }
}
