using ClusterTrain.GpuNode.Benchmarks;

namespace ClusterTrain.GpuNode.Tests.Benchmarks;

public class StepInterleaverTests
{
    /// <summary>A lane that logs "name:step" for each of its steps.</summary>
    private static Action<Action> Lane(string name, int steps, List<string> log) => endOfStep =>
    {
        for (var i = 0; i < steps; i++)
        {
            lock (log) log.Add($"{name}:{i}");
            endOfStep();
        }
    };

    [Fact]
    public void Lanes_take_turns_one_step_each_and_a_longer_lane_finishes_alone()
    {
        var log = new List<string>();

        StepInterleaver.Run([Lane("a", 3, log), Lane("b", 2, log), Lane("c", 1, log)]);

        Assert.Equal(["a:0", "b:0", "c:0", "a:1", "b:1", "a:2"], log);
    }

    [Fact]
    public void A_failing_lane_stops_the_others_and_its_exception_is_rethrown()
    {
        var log = new List<string>();
        var failing = (Action<Action>)(endOfStep =>
        {
            endOfStep();
            throw new InvalidDataException("lane b broke");
        });

        var error = Assert.Throws<InvalidDataException>(() => StepInterleaver.Run([Lane("a", 100, log), failing]));

        Assert.Equal("lane b broke", error.Message);
        Assert.Equal(["a:0", "a:1"], log);
    }
}
