using System.Text;
using System.Text.RegularExpressions;

namespace Mitten.ControlDirectory;

/// <summary>The one set of name rules of the contract: host names, request ids, job ids, paths.</summary>
internal static partial class Names
{
    public const int MaxHostNameLength = 253;
    public const int MaxPathLength = 4096;

    /// <summary>A job id: <c>j&lt;yyyyMMdd-HHmmss&gt;-&lt;4 hex&gt;</c>.</summary>
    public static bool IsJobId(string s) => JobId().IsMatch(s);

    /// <summary>Request ids become file names: a letter or digit, then letters, digits, '-' and '_', at most 64.</summary>
    public static bool IsRequestId(string s) => RequestId().IsMatch(s);

    /// <summary>The kind letter of a migration request's id.</summary>
    public const char MigrationKind = 'm';

    /// <summary>The kind letter of a checkpoint request's id.</summary>
    public const char CheckpointKind = 'c';

    /// <summary>
    /// A new request id, the one scheme of the runtime (request files) and the job (requests made
    /// with the API): the kind letter (<see cref="MigrationKind"/> or <see cref="CheckpointKind"/>),
    /// the UTC time to the millisecond, '-', 4 random hex digits; e.g. <c>m20260102030410123-9f3c</c>.
    /// The digits only tell apart requests made in the same millisecond, so they come from
    /// <see cref="Random.Shared"/>: the cryptographic generator started OpenSSL on a rank's first
    /// request, 10-15 ms on the application's thread (bench/RESULTS.md, "jit18").
    /// </summary>
    public static string NewRequestId(char kind) =>
        kind + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture) + "-" +
        Random.Shared.Next(0x10000).ToString("x4", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Whether <paramref name="s"/> has the form <see cref="NewRequestId"/> makes.</summary>
    public static bool IsGeneratedRequestId(string s) => GeneratedRequestId().IsMatch(s);

    /// <summary>True when <paramref name="host"/> is an RFC 1123 host name (see <see cref="IsHostName(string, out string)"/>).</summary>
    public static bool IsHostName(string host) => IsHostName(host, out _);

    /// <summary>
    /// A host name per RFC 1123: at most 253 characters, dot-separated labels of 1 to 63
    /// ASCII letters, digits and hyphens, no label starting or ending with a hyphen.
    /// <paramref name="why"/> says what is wrong otherwise.
    /// </summary>
    public static bool IsHostName(string host, out string why)
    {
        why = "";
        if (host.Length == 0)
        {
            why = "empty";
            return false;
        }
        if (host.Length > MaxHostNameLength)
        {
            why = $"{host.Length} characters, over {MaxHostNameLength}";
            return false;
        }
        foreach (string label in host.Split('.'))
        {
            if (label.Length is 0 or > 63)
            {
                why = label.Length == 0 ? "empty label" : $"label of {label.Length} characters, over 63";
                return false;
            }
            if (label[0] == '-' || label[^1] == '-')
            {
                why = $"label '{Printable(label)}' starts or ends with '-'";
                return false;
            }
            foreach (char c in label)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c == '-'))
                {
                    why = $"character '{Printable(c.ToString())}' is not a letter, digit, '-' or '.'";
                    return false;
                }
            }
        }
        return true;
    }

    /// <summary>A path passed through the contract (checkpoint directory): absolute, bounded, no control characters.</summary>
    public static bool IsAcceptablePath(string path, out string why)
    {
        why = "";
        if (path.Length is 0 or > MaxPathLength)
        {
            why = path.Length == 0 ? "empty" : $"over {MaxPathLength} characters";
            return false;
        }
        if (path.Any(char.IsControl))
        {
            why = "contains a control character";
            return false;
        }
        if (!Path.IsPathRooted(path))
        {
            why = "not an absolute path";
            return false;
        }
        return true;
    }

    /// <summary>Makes untrusted text safe to echo on one line (control characters escaped, length capped).</summary>
    public static string Printable(string s, int max = 80)
    {
        var b = new StringBuilder();
        foreach (char c in s.Length > max ? s[..max] : s)
        {
            if (char.IsControl(c))
            {
                b.Append($"\\u{(int)c:x4}");
            }
            else
            {
                b.Append(c);
            }
        }
        return s.Length > max ? b + "..." : b.ToString();
    }

    [GeneratedRegex(@"^j[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$")]
    private static partial Regex JobId();

    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex RequestId();

    [GeneratedRegex(@"^[mc][0-9]{17}-[0-9a-f]{4}$")]
    private static partial Regex GeneratedRequestId();
}
