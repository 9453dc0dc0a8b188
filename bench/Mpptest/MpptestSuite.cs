using System.Globalization;

namespace Mitten.Bench.Mpptest;

/// <summary>How to measure: the size sweep, T measurements per size, and the minimum time of one measurement.</summary>
/// <param name="Sizes">Message sizes in bytes.</param>
/// <param name="Measurements">T: measurements per size (and variant), sizes interleaved.</param>
/// <param name="MinSeconds">K is doubled until K repetitions last at least this long.</param>
public sealed record MpptestOptions(int[] Sizes, int Measurements, double MinSeconds);

/// <summary>time(n) = latency + n / bandwidth, fitted over the size sweep.</summary>
/// <param name="LatencySeconds">Intercept.</param>
/// <param name="BytesPerSecond">Inverse slope (infinity when the slope is not positive).</param>
public readonly record struct LinearFit(double LatencySeconds, double BytesPerSecond)
{
    /// <summary>
    /// Least squares weighted by 1/t^2 (relative residuals), so the small sizes fix the latency
    /// and the large sizes the bandwidth instead of the largest times dominating both.
    /// </summary>
    public static LinearFit Of(ReadOnlySpan<int> sizes, ReadOnlySpan<double> seconds)
    {
        double s = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            if (seconds[i] <= 0)
            {
                continue;
            }
            double w = 1.0 / (seconds[i] * seconds[i]);
            double x = sizes[i], y = seconds[i];
            s += w; sx += w * x; sy += w * y; sxx += w * x * x; sxy += w * x * y;
        }
        double det = s * sxx - sx * sx;
        if (det <= 0)
        {
            return new LinearFit(s > 0 ? sy / s : double.NaN, double.PositiveInfinity);
        }
        double slope = (s * sxy - sx * sy) / det;
        double intercept = (sxx * sy - sx * sxy) / det;
        return new LinearFit(intercept, slope > 0 ? 1.0 / slope : double.PositiveInfinity);
    }
}

/// <summary>
/// The mpptest method over one or two communicator variants: K calibrated per size (the
/// calibration is the warm-up), T measurements with the sizes interleaved and the variants
/// alternating (A B, then B A), each measurement started by a barrier; minimum and median per
/// size, the ratio second/first per size and its geometric mean, and the latency/bandwidth fit.
/// Rank 0 writes a table and "CSV ..." lines.
/// </summary>
public sealed class MpptestSuite<TFirst, TSecond>
    where TFirst : struct, IMpptestCommunicator
    where TSecond : struct, IMpptestCommunicator
{
    private readonly PatternKernel<TFirst> first;
    private readonly PatternKernel<TSecond>? second;
    private readonly MpptestOptions options;

    /// <summary>A suite measuring <paramref name="first"/> alone, or alternating with <paramref name="second"/>.</summary>
    public MpptestSuite(PatternKernel<TFirst> first, PatternKernel<TSecond>? second, MpptestOptions options)
    {
        this.first = first;
        this.second = second;
        this.options = options;
    }

    /// <summary>Measures <paramref name="pattern"/>; returns the first variant's fit (null for the barrier).</summary>
    public LinearFit? Run(Pattern pattern, TextWriter output, Action<string>? progress = null)
    {
        int processes = first.Size;
        int[] sizes = Patterns.HasSize(pattern) ? options.Sizes : [0];
        int t = options.Measurements;
        int variants = second is null ? 1 : 2;
        int perRepetition = Patterns.OperationsPerRepetition(pattern);

        long[] k = new long[sizes.Length];
        for (int s = 0; s < sizes.Length; s++)
        {
            k[s] = Calibrate(pattern, sizes[s]);
            second?.Measure(pattern, sizes[s], k[s]);   // the second variant's warm-up
        }

        var times = new double[variants][][];
        for (int v = 0; v < variants; v++)
        {
            times[v] = new double[sizes.Length][];
            for (int s = 0; s < sizes.Length; s++)
            {
                times[v][s] = new double[t];
            }
        }
        long[] allocated = new long[variants];
        long[] repetitionsRun = new long[variants];
        for (int m = 0; m < t; m++)
        {
            progress?.Invoke($"{Patterns.Name(pattern)}: measurement {m + 1}/{t}");
            for (int s = 0; s < sizes.Length; s++)
            {
                for (int step = 0; step < variants; step++)
                {
                    int v = (m % 2 == 0) ? step : variants - 1 - step;
                    double elapsed = v == 0
                        ? first.Measure(pattern, sizes[s], k[s])
                        : second!.Measure(pattern, sizes[s], k[s]);
                    times[v][s][m] = elapsed / (k[s] * (double)perRepetition);
                    allocated[v] += v == 0 ? first.LastAllocatedBytes : second!.LastAllocatedBytes;
                    repetitionsRun[v] += k[s];
                }
            }
        }

        if (first.Rank != 0)
        {
            return pattern == Pattern.Barrier ? null : Fit(pattern, sizes, Minima(times[0]));
        }
        LinearFit? fit = Report(pattern, processes, sizes, k, times, output);
        string[] names = second is null ? [first.Name] : [first.Name, second.Name];
        int[] bufferIds = second is null ? [first.Buffers.Id] : [first.Buffers.Id, second.Buffers.Id];
        for (int v = 0; v < variants; v++)
        {
            // Which message buffers the variant moved (the same for both variants of a comparison).
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CSV buffers,{Patterns.Name(pattern)},{names[v]},{bufferIds[v]}"));
            double perRepetitionBytes = (double)allocated[v] / repetitionsRun[v];
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"allocated {names[v]}: {perRepetitionBytes:F1} managed bytes per repetition on rank 0"));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CSV alloc,{Patterns.Name(pattern)},{names[v]},{processes},{perRepetitionBytes:F2}"));
        }
        output.Flush();
        return fit;
    }

    private long Calibrate(Pattern pattern, int bytes)
    {
        first.Measure(pattern, bytes, 4);   // the first exchanges of each size are not counted
        long repetitions = 1;
        while (true)
        {
            // The least of three trials, so one descheduling on a busy machine does not fix K too small.
            double elapsed = Math.Min(first.Measure(pattern, bytes, repetitions),
                Math.Min(first.Measure(pattern, bytes, repetitions), first.Measure(pattern, bytes, repetitions)));
            if (elapsed >= options.MinSeconds || repetitions >= 1L << 22)
            {
                return repetitions;
            }
            repetitions *= 2;
        }
    }

    private LinearFit? Report(Pattern pattern, int processes, int[] sizes, long[] k, double[][][] times, TextWriter output)
    {
        var inv = CultureInfo.InvariantCulture;
        string name = Patterns.Name(pattern);
        string[] names = second is null ? [first.Name] : [first.Name, second.Name];
        output.WriteLine();
        output.WriteLine(string.Create(inv, $"pattern {name}: {processes} processes, T={options.Measurements}, minimum measurement {options.MinSeconds * 1e3:F1} ms"));
        var header = new System.Text.StringBuilder(string.Create(inv, $"{"size_B",10} {"K",8}"));
        foreach (string n in names)
        {
            header.Append(string.Create(inv, $" {n + "_min_us",16} {n + "_med_us",16} {n + "_MBps",12}"));
        }
        if (names.Length == 2)
        {
            header.Append(string.Create(inv, $" {"ratio_min",10} {"ratio_med",10}"));
        }
        output.WriteLine(header);

        double logSumMin = 0, logSumMedian = 0;
        for (int s = 0; s < sizes.Length; s++)
        {
            var line = new System.Text.StringBuilder(string.Create(inv, $"{sizes[s],10} {k[s],8}"));
            double[] mins = new double[names.Length], medians = new double[names.Length];
            for (int v = 0; v < names.Length; v++)
            {
                (mins[v], medians[v]) = MinAndMedian(times[v][s]);
                double bytes = Patterns.BytesPerOperation(pattern, sizes[s], processes);
                double bandwidth = bytes > 0 ? bytes / mins[v] / 1e6 : 0;
                line.Append(string.Create(inv, $" {mins[v] * 1e6,16:F3} {medians[v] * 1e6,16:F3} {bandwidth,12:F1}"));
                output.WriteLine(string.Create(inv,
                    $"CSV measure,{name},{names[v]},{processes},{sizes[s]},{k[s]},{options.Measurements},{mins[v] * 1e6:F4},{medians[v] * 1e6:F4},{bandwidth:F2}"));
            }
            if (names.Length == 2)
            {
                double ratioMin = mins[1] / mins[0], ratioMedian = medians[1] / medians[0];
                logSumMin += Math.Log(ratioMin);
                logSumMedian += Math.Log(ratioMedian);
                line.Append(string.Create(inv, $" {ratioMin,10:F4} {ratioMedian,10:F4}"));
                output.WriteLine(string.Create(inv, $"CSV ratio,{name},{names[1]}/{names[0]},{processes},{sizes[s]},{ratioMin:F4},{ratioMedian:F4}"));
            }
            output.WriteLine(line);
        }
        if (names.Length == 2)
        {
            double gMin = Math.Exp(logSumMin / sizes.Length), gMedian = Math.Exp(logSumMedian / sizes.Length);
            output.WriteLine(string.Create(inv, $"geometric mean of the ratios {names[1]}/{names[0]}: min {gMin:F4}, median {gMedian:F4}"));
            output.WriteLine(string.Create(inv, $"CSV geomean,{name},{names[1]}/{names[0]},{processes},{gMin:F4},{gMedian:F4}"));
        }

        LinearFit? result = null;
        if (pattern != Pattern.Barrier)
        {
            for (int v = 0; v < names.Length; v++)
            {
                LinearFit fit = Fit(pattern, sizes, Minima(times[v]));
                result ??= fit;
                double mbps = fit.BytesPerSecond / 1e6;
                output.WriteLine(string.Create(inv, $"fit {names[v]}: time(n) = {fit.LatencySeconds * 1e6:F3} us + n / ({mbps:F1} MB/s)"));
                output.WriteLine(string.Create(inv, $"CSV fit,{name},{names[v]},{processes},{fit.LatencySeconds * 1e6:F4},{mbps:F2}"));
            }
        }
        output.Flush();
        return result;
    }

    /// <summary>
    /// The fit over the sweep; zero-byte collectives are left out because Open MPI returns
    /// from them without communicating, which says nothing about the latency.
    /// </summary>
    private static LinearFit Fit(Pattern pattern, int[] sizes, double[] seconds)
    {
        if (Patterns.PointToPoint.Contains(pattern))
        {
            return LinearFit.Of(sizes, seconds);
        }
        var keep = Enumerable.Range(0, sizes.Length).Where(i => sizes[i] > 0).ToArray();
        return LinearFit.Of(keep.Select(i => sizes[i]).ToArray(), keep.Select(i => seconds[i]).ToArray());
    }

    private static double[] Minima(double[][] perSize)
    {
        double[] result = new double[perSize.Length];
        for (int s = 0; s < perSize.Length; s++)
        {
            result[s] = MinAndMedian(perSize[s]).Min;
        }
        return result;
    }

    private static (double Min, double Median) MinAndMedian(double[] values)
    {
        double[] sorted = (double[])values.Clone();
        Array.Sort(sorted);
        int n = sorted.Length;
        double median = n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
        return (sorted[0], median);
    }
}
