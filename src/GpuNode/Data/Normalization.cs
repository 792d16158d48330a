namespace ClusterTrain.GpuNode.Data;

/// <summary>Per-channel affine map applied to pixels scaled to [0, 1]: x' = (x/255 - Mean[c]) / Std[c].</summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    public Normalization Validate(int channels)
    {
        if (Mean.Length != channels || Std.Length != channels)
            throw new ArgumentException($"Normalization has {Mean.Length} means and {Std.Length} stds for {channels} channels.");
        if (Std.Any(s => !(s > 0)))
            throw new ArgumentException($"Normalization stds must be positive, got [{string.Join(", ", Std)}].");
        return this;
    }

    /// <summary>Pixels scaled to [0, 1] and nothing more.</summary>
    public static Normalization Identity(int channels) => new(new float[channels], Enumerable.Repeat(1f, channels).ToArray());
}
