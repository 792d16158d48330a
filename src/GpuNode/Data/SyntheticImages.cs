using static TorchSharp.torch;

namespace ClusterTrain.GpuNode.Data;

/// <summary>
/// A procedural image set that needs no files, so that trials run offline, yet is learnable only by
/// a network that composes features, so depth has something to do.
/// </summary>
/// <remarks>
/// <para>Design. There are A "atoms", each an oriented sinusoidal grating with its own orientation (a·π/A)
/// and spatial frequency (0.10 to 0.28 cycles per pixel); A is the smallest number whose pairs cover the
/// classes (A = 5 gives exactly 10 pairs). Class k is the k-th unordered pair of atoms, so every atom is
/// shared by several classes and only the conjunction of two detected textures names the class. Each
/// image draws, independently of its class: a background colour and a linear colour gradient; for each of
/// its two class gratings a random phase, position and width of its Gaussian window, an amplitude and an
/// RGB colour of either sign, and jitter of orientation (±π/4A) and frequency (±10%); a weaker third
/// grating of a random atom (a distractor: the class is the two strongest); two Gaussian blobs of random
/// colour, size and place; and grey pixel noise (σ = 0.04). The result is clamped to [0, 1] and quantised
/// to uint8.</para>
/// <para>Consequences: the random phase and colour sign make every grating zero-mean at each pixel, so the
/// class-conditional mean image is the same for all classes and neither a linear classifier on raw pixels
/// nor the mean colour does better than chance (measured: about 12% test accuracy for logistic regression,
/// 10 classes); orientation-and-frequency energy needs a non-linearity and the pair needs a layer above
/// it. A three-conv CNN with batch norm reaches about 90% test accuracy after 6 epochs of 4096 images.
/// Labels are balanced (counts differ by at most one) and in random order.</para>
/// <para>Speed and determinism. Every component is separable, a sum of outer products of a y-profile and
/// an x-profile, so the whole image set is one batched matrix product [N, 3, H, R] x [N, 1, R, W] over
/// R = 11 rank-one terms, plus noise: 4096 images take a fraction of a second. All randomness comes from
/// one torch CPU generator seeded with <c>seed</c>, and the arithmetic is float64 on the CPU, so the same
/// (count, classes, seed, size) gives bitwise the same tensors; float64 also keeps differences between
/// CPUs' vectorised sin/exp far below the uint8 rounding step.</para>
/// </remarks>
public static class SyntheticImages
{
    private const double NoiseStd = 0.04;

    public static TensorDataset Generate(int count, int classes, int seed, int size = 32)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "A synthetic set needs at least one image.");
        if (classes < 2) throw new ArgumentOutOfRangeException(nameof(classes), classes, "A synthetic set needs at least 2 classes.");
        if (size < 8) throw new ArgumentOutOfRangeException(nameof(size), size, "Synthetic images are at least 8x8.");

        var pairs = ClassPairs(classes, out var atoms);
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)seed);
        var f64 = ScalarType.Float64;
        Tensor Uniform(double low, double high, params long[] shape) => rand(shape, f64, generator: generator).mul_(high - low).add_(low);

        var labels = arange(count, ScalarType.Int64).remainder(classes).index_select(0, randperm(count, generator: generator));
        var pairOfLabel = tensor(pairs.SelectMany(p => new long[] { p.A, p.B }).ToArray(), [classes, 2]).index_select(0, labels);
        var atomAngle = arange(atoms, f64).mul(Math.PI / atoms);
        var atomFrequency = arange(atoms, f64).mul(0.18 / (atoms - 1)).add(0.10);
        var coordinate = arange(size, f64);
        var flat = ones(count, size, dtype: f64);

        // Rank-one terms: colour [N, 3] x y-profile [N, H] x x-profile [N, W].
        var (yTerms, xTerms) = (new List<Tensor>(), new List<Tensor>());
        void Term(Tensor colour, Tensor y, Tensor x)
        {
            yTerms.Add(colour.unsqueeze(2).mul(y.unsqueeze(1)));
            xTerms.Add(x);
        }

        // A windowed grating is sin(a + b) = sin(a)cos(b) + cos(a)sin(b), a along x, b along y: two terms.
        void Grating(Tensor atom, double minAmplitude, double maxAmplitude)
        {
            var jitter = Math.PI / (4 * atoms);
            var angle = atomAngle.index_select(0, atom).add_(Uniform(-jitter, jitter, count)).unsqueeze(1);
            var k = atomFrequency.index_select(0, atom).mul_(Uniform(0.9, 1.1, count)).mul_(2 * Math.PI).unsqueeze(1);
            var phase = Uniform(0, 2 * Math.PI, count, 1);
            var (cx, cy) = (Uniform(size * 0.25, size * 0.75, count, 1), Uniform(size * 0.25, size * 0.75, count, 1));
            var sigma = Uniform(size / 5.0, size / 3.0, count, 1);
            var amplitude = Uniform(minAmplitude, maxAmplitude, count, 1);
            var colour = Uniform(-1, 1, count, 3);
            var a = k.mul(angle.cos()).mul(coordinate.sub(cx)).add_(phase);
            var b = k.mul(angle.sin()).mul(coordinate.sub(cy));
            var (windowX, windowY) = (Profile(cx, sigma, coordinate), Profile(cy, sigma, coordinate).mul_(amplitude));
            Term(colour, windowY.mul(b.cos()), windowX.mul(a.sin()));
            Term(colour, windowY.mul(b.sin()), windowX.mul(a.cos()));
        }

        Term(Uniform(0.3, 0.7, count, 3), flat, flat);
        var ramp = Uniform(0, 2 * Math.PI, count, 1);
        var centred = coordinate.sub((size - 1) / 2.0).div_(size / 2.0 * Math.Sqrt(2));
        var rampColour = Uniform(-0.15, 0.15, count, 3);
        Term(rampColour, flat, ramp.cos().mul(centred));
        Term(rampColour, ramp.sin().mul(centred), flat);
        Grating(pairOfLabel.select(1, 0), 0.18, 0.3);
        Grating(pairOfLabel.select(1, 1), 0.18, 0.3);
        Grating(Uniform(0, atoms, count).floor_().to(ScalarType.Int64).clamp_(0, atoms - 1), 0.06, 0.12);
        for (var blob = 0; blob < 2; blob++)
        {
            var sigma = Uniform(1.5, size / 8.0, count, 1);
            var (cx, cy) = (Uniform(0, size, count, 1), Uniform(0, size, count, 1));
            Term(Uniform(-0.25, 0.25, count, 3), Profile(cy, sigma, coordinate), Profile(cx, sigma, coordinate));
        }

        var images = stack(yTerms, 3).matmul(stack(xTerms, 1).unsqueeze(1));
        // Uniform noise of standard deviation NoiseStd: as good as Gaussian here and cheaper to draw.
        images.add_(Uniform(-NoiseStd * Math.Sqrt(3), NoiseStd * Math.Sqrt(3), count, 1, size, size));
        var bytes = images.mul_(255).round_().clamp_(0, 255).to(ScalarType.Byte);

        var names = pairs.Select(p => $"atoms{p.A}+{p.B}").ToArray();
        return new TensorDataset(bytes, labels, names);
    }

    /// <summary>Class k's atom pair: pairs (0,1), (0,2), ..., (1,2), ... of the fewest atoms that cover the classes.</summary>
    internal static List<(int A, int B)> ClassPairs(int classes, out int atoms)
    {
        atoms = 2;
        while (atoms * (atoms - 1) / 2 < classes) atoms++;
        var pairs = new List<(int, int)>();
        for (var a = 0; a < atoms && pairs.Count < classes; a++)
            for (var b = a + 1; b < atoms && pairs.Count < classes; b++)
                pairs.Add((a, b));
        return pairs;
    }

    /// <summary>Gaussian profiles [N, L] centred at centre [N, 1] with width sigma [N, 1].</summary>
    private static Tensor Profile(Tensor centre, Tensor sigma, Tensor coordinate) =>
        coordinate.sub(centre).div_(sigma).square().mul_(-0.5).exp_();
}
