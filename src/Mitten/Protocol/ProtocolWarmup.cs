using System.Reflection;
using System.Runtime.CompilerServices;
using Mitten.GroupComm;

namespace Mitten.Protocol;

/// <summary>
/// Compiles the migration protocol's code ahead of its first use. A migration runs the
/// synchronization, drain and rebuild code once, so without this every step would first wait
/// for the JIT (measured: several milliseconds of "protocol time" per migration, most of it
/// compiling). Runs once per process on a background thread (about 0.1-0.2 s of CPU time at
/// start-up, not on the application's thread); a migration that starts before it is done simply
/// compiles what is still missing itself. At lowest priority it could starve for seconds behind
/// busy-polling ranks, so it runs at normal priority. Set MITTEN_PREJIT=0 to turn it off.
/// </summary>
internal static class ProtocolWarmup
{
    private static int started;

    internal static void Start()
    {
        if (Environment.GetEnvironmentVariable("MITTEN_PREJIT") == "0" || Interlocked.Exchange(ref started, 1) == 1)
        {
            return;
        }
        var thread = new Thread(CompileAll)
        {
            IsBackground = true,
            Name = "mitten-prejit",
        };
        thread.Start();
    }

    private static void CompileAll()
    {
        // The protocol's own types (everything under Mitten.Protocol and Mitten.Control).
        foreach (Type type in typeof(ProtocolWarmup).Assembly.GetTypes())
        {
            if (type.Namespace is "Mitten.Protocol" or "Mitten.Protocol.Messages" or "Mitten.Control" && !type.ContainsGenericParameters)
            {
                Compile(type, null);
            }
        }
        // The binding's calls the protocol makes, with the element types it uses.
        Compile(typeof(Window<long>), null);
        Compile(typeof(Communicator), null);
        Compile(typeof(Communicator), [typeof(long)]);
        Compile(typeof(Communicator), [typeof(byte)]);
        Compile(typeof(RequestHandle), null);
        Compile(typeof(RequestHandle), [typeof(byte)]);
        Compile(typeof(Status), null);
        Compile(typeof(Status), [typeof(byte)]);
        Compile(typeof(Checkpoint.Communication.ReceivedMessageList), null);
    }

    private static void Compile(Type type, Type[]? instantiation)
    {
        const BindingFlags All = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;
        foreach (MethodInfo method in type.GetMethods(All))
        {
            try
            {
                if (method.IsAbstract || method.ContainsGenericParameters && !method.IsGenericMethodDefinition)
                {
                    continue;
                }
                if (method.IsGenericMethodDefinition)
                {
                    if (instantiation is null || method.GetGenericArguments().Length != instantiation.Length)
                    {
                        continue;
                    }
                    RuntimeHelpers.PrepareMethod(method.MethodHandle, [.. instantiation.Select(t => t.TypeHandle)]);
                }
                else if (instantiation is null)
                {
                    RuntimeHelpers.PrepareMethod(method.MethodHandle);
                }
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or NotSupportedException or TypeLoadException)
            {
                // A method that cannot be prepared this way (e.g. a constraint the instantiation
                // does not meet) is compiled on first use instead.
            }
        }
    }
}
