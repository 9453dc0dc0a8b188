using Mitten.Runtime.Cli;

// mitten: launch MPI jobs with a control directory, and migrate, drain, checkpoint and
// inspect them from outside (docs/RUNTIME.md, docs/CONTROL.md).
return await MittenCommand.RunAsync(args);
