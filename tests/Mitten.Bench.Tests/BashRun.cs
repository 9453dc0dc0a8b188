using System.Diagnostics;
using Xunit;

namespace Mitten.Tests.Bench;

/// <summary>
/// Runs bash on a benchmark script for a test: arguments as given, optional standard input and
/// environment, output collected. A run that is not over within <see cref="Limit"/> is killed with
/// its children and fails the test with <c>what</c> in the message.
/// </summary>
internal static class BashRun
{
    /// <summary>How long a script run may take.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    /// <summary>Exit code, standard output and standard error of <c>bash ARGUMENTS</c>.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> Run(string what, IEnumerable<string> arguments,
        string? input = null, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = input is not null, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (workingDirectory is not null)
        {
            psi.WorkingDirectory = workingDirectory;
        }
        foreach (string argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }
        using var process = Process.Start(psi)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        using (var limit = new CancellationTokenSource(Limit))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"{what} did not finish within {Limit.TotalSeconds:F0} s");
            }
        }
        return (process.ExitCode, await output, await errors);
    }
}
