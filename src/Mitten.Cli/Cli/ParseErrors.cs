using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Mitten.Runtime.Cli;

/// <summary>
/// Turns System.CommandLine's parse errors into one line a user of <c>mitten</c> understands:
/// an unknown command names the commands, an unknown option is not taken for a job id, a
/// value of the wrong type says what was expected (not a .NET type name).
/// </summary>
internal static partial class ParseErrors
{
    public static string Describe(RootCommand root, ParseResult parsed, string[] args)
    {
        string[] commands = root.Subcommands.Select(c => c.Name).ToArray();
        if (parsed.CommandResult.Command == root)
        {
            string? first = args.FirstOrDefault(a => !a.StartsWith('-'));
            if (first is not null && !commands.Contains(first))
            {
                return $"unknown command '{Names.Printable(first)}' (commands: {string.Join(", ", commands)}; see 'mitten --help')";
            }
            if (first is null)
            {
                return $"give a command: {string.Join(", ", commands)} (see 'mitten --help')";
            }
        }
        string command = parsed.CommandResult.Command == root ? "mitten" : "mitten " + parsed.CommandResult.Command.Name;
        string message = parsed.Errors[0].Message;
        Match type = WrongType().Match(message);
        if (type.Success)
        {
            string expected = type.Groups[3].Value switch
            {
                "System.Int32" or "System.Int64" => "a whole number",
                "System.Double" => "a number",
                "System.TimeSpan" => "a duration",
                _ => "a valid value",
            };
            message = $"{type.Groups[2].Value}: '{Names.Printable(type.Groups[1].Value)}' is not {expected}";
        }
        else if (message.StartsWith("Required argument missing", StringComparison.Ordinal))
        {
            string[] missing = parsed.CommandResult.Command.Arguments.Where(a => a.Arity.MinimumNumberOfValues > 0).Select(a => a.Name.ToUpperInvariant()).ToArray();
            message = $"missing {string.Join(" and ", missing)}";
        }
        else if (Unrecognized().Match(message) is { Success: true } unknown)
        {
            message = unknown.Groups[1].Value.StartsWith('-') ? $"unknown option '{Names.Printable(unknown.Groups[1].Value)}'" : $"unexpected argument '{Names.Printable(unknown.Groups[1].Value)}'";
        }
        return $"{message} (see '{command} --help')";
    }

    /// <summary>A job argument that looks like an option is an unknown option, not a job id.</summary>
    public static void RejectOptionLike(Argument argument) =>
        argument.Validators.Add(result =>
        {
            foreach (Token token in result.Tokens)
            {
                if (token.Value.StartsWith('-') && token.Value.Length > 1)
                {
                    result.AddError($"unknown option '{Names.Printable(token.Value)}'");
                    return;
                }
            }
        });

    [GeneratedRegex(@"^Cannot parse argument '(.*)' for option '(.*)' as expected type '([\w.]+)'")]
    private static partial Regex WrongType();

    [GeneratedRegex(@"^Unrecognized command or argument '(.*)'")]
    private static partial Regex Unrecognized();
}
