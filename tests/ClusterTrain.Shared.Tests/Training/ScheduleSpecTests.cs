using ClusterTrain.Shared.Training;

namespace ClusterTrain.Shared.Tests.Training;

public class ScheduleSpecTests
{
    [Fact]
    public void Schedules_are_equal_when_their_milestones_are_equal_element_by_element()
    {
        var a = new ScheduleSpec(ScheduleKind.MultiStep, new List<double> { 0.5, 0.75 });
        var b = new ScheduleSpec(ScheduleKind.MultiStep, new[] { 0.5, 0.75 });

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, b with { Milestones = [0.5, 0.8] });
        Assert.Equal(new ScheduleSpec(Milestones: null), new ScheduleSpec(Milestones: []));
    }
}
