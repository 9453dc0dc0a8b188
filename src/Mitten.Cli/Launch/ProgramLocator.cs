namespace Mitten.Runtime.Launch;

/// <summary>Finds the program to launch the way mpiexec will (a path, or a name on PATH) before anything starts.</summary>
internal static class ProgramLocator
{
    /// <summary>
    /// The program's full path (a name found on PATH stays a name, as mpiexec looks it up on
    /// every host). When <paramref name="mustExistHere"/>, a program that is not an executable
    /// file here is refused.
    /// </summary>
    public static string Resolve(string program, bool mustExistHere)
    {
        if (program.Length == 0)
        {
            throw new MittenException("give the program after --");
        }
        if (program.Contains('/'))
        {
            string full = Path.GetFullPath(program);
            if (mustExistHere)
            {
                RequireExecutable(full, program);
            }
            return full;
        }
        if (mustExistHere && FindOnPath(program) is null)
        {
            throw new MittenException($"program '{Names.Printable(program)}' not found: not on PATH (give a path such as ./{Names.Printable(program)})");
        }
        return program;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(IsExecutableFile);

    private static void RequireExecutable(string full, string given)
    {
        if (Directory.Exists(full))
        {
            throw new MittenException($"program {Names.Printable(given)} is a directory");
        }
        if (!File.Exists(full))
        {
            throw new MittenException($"program {Names.Printable(given)} does not exist ({Names.Printable(full)})");
        }
        if (!IsExecutableFile(full))
        {
            throw new MittenException($"program {Names.Printable(given)} is not executable (chmod +x it, or run it through its interpreter, e.g. dotnet app.dll)");
        }
    }

    private static bool IsExecutableFile(string path) =>
        File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0;
}
