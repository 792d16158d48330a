namespace ClusterTrain.Shared.Training;

/// <summary>The learning rate of every optimizer step, as a pure function of the step.</summary>
public static class LearningRateSchedule
{
    /// <summary>
    /// The learning rate for step <paramref name="step"/> (0-based) of <paramref name="totalSteps"/>.
    /// Steps before WarmupSteps use WarmupLearningRate. After that:
    /// Constant keeps the optimizer's rate;
    /// MultiStep multiplies it by Gamma once for every milestone m with step >= round(m * totalSteps),
    /// counted on the whole run, warm-up included, as He et al. state milestones in iterations;
    /// Cosine anneals 0.5 * lr * (1 + cos(pi * t / T)) over the T = totalSteps - WarmupSteps steps after
    /// warm-up, t counted from the end of warm-up (steps past the end get the final value, 0).
    /// </summary>
    public static double At(long step, long totalSteps, OptimizerSpec opt, ScheduleSpec sched)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalSteps);
        if (step < sched.WarmupSteps) return sched.WarmupLearningRate;
        var lr = opt.LearningRate;
        switch (sched.Kind)
        {
            case ScheduleKind.Constant:
                return lr;
            case ScheduleKind.MultiStep:
                var passed = (sched.Milestones ?? []).Count(m => step >= MilestoneStep(m, totalSteps));
                return lr * Math.Pow(sched.Gamma, passed);
            case ScheduleKind.Cosine:
                var span = totalSteps - sched.WarmupSteps;
                if (span <= 0) return lr;
                var t = Math.Min(step - sched.WarmupSteps, span);
                return 0.5 * lr * (1 + Math.Cos(Math.PI * t / span));
            default:
                throw new ArgumentOutOfRangeException(nameof(sched), sched.Kind, "Unknown schedule kind.");
        }
    }

    /// <summary>The first step at which a milestone given as a fraction of the run has passed.</summary>
    public static long MilestoneStep(double fraction, long totalSteps) =>
        (long)Math.Round(fraction * totalSteps, MidpointRounding.AwayFromZero);
}
