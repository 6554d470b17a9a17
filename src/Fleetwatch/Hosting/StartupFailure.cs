namespace Fleetwatch.Hosting;

/// <summary>
/// Why the server cannot start, as the one line the CLI prints (no stack trace), and its exit code:
/// <see cref="BadUsage"/> for arguments, <see cref="CannotStart"/> for what the machine refused.
/// </summary>
public sealed class StartupFailure(string message, int exitCode) : Exception(message)
{
    public const int BadUsage = 2, CannotStart = 3;

    public int ExitCode { get; } = exitCode;
}
