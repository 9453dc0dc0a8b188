using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Mitten.Checkpoint.Generators;

/// <summary>
/// Implements Mitten.Checkpoint.State.IMigratable for every partial class or struct marked
/// [Migratable]: SaveState writes each instance field and auto-property in declaration order,
/// RestoreState reads them back (readonly fields and init-only properties included), and
/// StateSchema describes the saved fields so a changed type is detected on restore. A class
/// (not a record, not of explicit layout) also gets a private 64-bit mark field and implements
/// IStateMarked. SaveState first asks the processor to prefetch the objects of the second and later
/// reference fields (StateWriter.Prefetch), so their cache misses overlap with the writing of the
/// first one's subgraph. RestoreState reads the reference fields of a class through
/// StateReader.ReadField, which sets a reference back to an earlier object at the end of the restore.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class MigratableGenerator : IIncrementalGenerator
{
    private const string AttributeName = "Mitten.Checkpoint.State.MigratableAttribute";
    private const string NotMigratedName = "Mitten.Checkpoint.State.NotMigratedAttribute";

    private static readonly DiagnosticDescriptor NotPartial = new(
        "MTN001", "[Migratable] type must be partial", "'{0}' and the types containing it must be declared partial to be [Migratable]",
        "Mitten.Checkpoint", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor HasBase = new(
        "MTN002", "[Migratable] class cannot derive from another class", "'{0}' derives from '{1}'; the fields of a base class are not saved, so [Migratable] classes must derive from object",
        "Mitten.Checkpoint", DiagnosticSeverity.Error, isEnabledByDefault: true);

    private static readonly DiagnosticDescriptor CannotSave = new(
        "MTN003", "[Migratable] field holds something that cannot be saved",
        "Field '{0}' of '{1}' holds a {2} ({3}), which belongs to this process and cannot be moved to another one; mark the field [NotMigrated] and recreate it after a restore, or register a codec for the type (StateTypeRegistry.Register with save and restore)",
        "Mitten.Checkpoint", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    /// <summary>Base types of things that live only in one process: open files, sockets, threads, handles, tasks.</summary>
    private static readonly string[] ProcessBoundTypes =
    {
        "System.IO.Stream", "System.IO.TextReader", "System.IO.TextWriter", "System.IO.FileSystemWatcher",
        "System.Runtime.InteropServices.SafeHandle", "System.Threading.WaitHandle", "System.Threading.Thread",
        "System.Threading.Tasks.Task", "System.Threading.Timer", "System.Threading.CancellationTokenSource",
        "System.Threading.SemaphoreSlim", "System.Threading.Lock", "System.Net.Sockets.Socket", "System.Net.Http.HttpClient",
        "System.Diagnostics.Process", "System.Reflection.Assembly",
    };

    private static readonly SymbolDisplayFormat Qualified = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat SchemaFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted);

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var types = context.SyntaxProvider.ForAttributeWithMetadataName(
            AttributeName,
            static (node, _) => node is ClassDeclarationSyntax || node is StructDeclarationSyntax || node is RecordDeclarationSyntax,
            static (ctx, _) => Generate((INamedTypeSymbol)ctx.TargetSymbol, (TypeDeclarationSyntax)ctx.TargetNode));
        context.RegisterSourceOutput(types, static (spc, result) =>
        {
            foreach (Diagnostic warning in result.Warnings)
            {
                spc.ReportDiagnostic(warning);
            }
            if (result.Diagnostic is not null)
            {
                spc.ReportDiagnostic(result.Diagnostic);
                return;
            }
            spc.AddSource(result.HintName, result.Source);
        });
    }

    private sealed class Result
    {
        public string HintName = "";
        public string Source = "";
        public Diagnostic? Diagnostic;
        public List<Diagnostic> Warnings = new List<Diagnostic>();
    }

    /// <summary>Why a value of <paramref name="type"/> cannot be saved (it or an element or type argument is process-bound), or null.</summary>
    private static string? ProcessBound(ITypeSymbol type, int depth = 0)
    {
        if (depth > 8)
        {
            return null;
        }
        switch (type)
        {
            case IPointerTypeSymbol:
            case IFunctionPointerTypeSymbol:
                return "pointer";
            case IArrayTypeSymbol array:
                return ProcessBound(array.ElementType, depth + 1);
        }
        if (type.TypeKind == TypeKind.Delegate)
        {
            return "delegate";
        }
        for (ITypeSymbol? t = type; t is not null; t = t.BaseType)
        {
            string name = t.OriginalDefinition.ToDisplayString(SchemaFormat);
            foreach (string bound in ProcessBoundTypes)
            {
                if (name == bound)
                {
                    return bound;
                }
            }
        }
        if (type is INamedTypeSymbol named)
        {
            foreach (ITypeSymbol argument in named.TypeArguments)
            {
                if (ProcessBound(argument, depth + 1) is string inner)
                {
                    return inner;
                }
            }
        }
        return null;
    }

    private static Result Generate(INamedTypeSymbol type, TypeDeclarationSyntax syntax)
    {
        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            bool partial = t.DeclaringSyntaxReferences.Any(r => r.GetSyntax() is TypeDeclarationSyntax d && d.Modifiers.Any(SyntaxKind.PartialKeyword));
            if (!partial)
            {
                return new Result { Diagnostic = Diagnostic.Create(NotPartial, syntax.Identifier.GetLocation(), type.Name) };
            }
        }
        if (type.TypeKind == TypeKind.Class && type.BaseType is { SpecialType: not SpecialType.System_Object } baseType)
        {
            return new Result { Diagnostic = Diagnostic.Create(HasBase, syntax.Identifier.GetLocation(), type.Name, baseType.ToDisplayString()) };
        }

        bool isStruct = type.IsValueType;
        string self = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
        var save = new StringBuilder();
        var restore = new StringBuilder();
        var accessors = new StringBuilder();
        var prefetch = new StringBuilder();
        bool firstReference = true;
        var warnings = new List<Diagnostic>();
        foreach (IFieldSymbol field in StateFields(type))
        {
            string fieldType = field.Type.ToDisplayString(Qualified);
            if (ProcessBound(field.Type) is string bound)
            {
                ISymbol shown = field.AssociatedSymbol ?? field;
                Location location = shown.Locations.FirstOrDefault() ?? syntax.Identifier.GetLocation();
                warnings.Add(Diagnostic.Create(CannotSave, location, shown.Name, type.Name, bound, field.Type.ToDisplayString()));
            }
            if (field.Type.IsReferenceType && field.Type.SpecialType != SpecialType.System_String)
            {
                // Later reference fields are asked into the cache first, so their misses overlap
                // with the writing of the first one (and whatever it leads to).
                if (!firstReference)
                {
                    prefetch.Append("        global::Mitten.Checkpoint.State.StateWriter.Prefetch(this.")
                        .Append(field.AssociatedSymbol is IPropertySymbol p ? p.Name : "@" + field.Name).AppendLine(");");
                }
                firstReference = false;
            }
            if (field.AssociatedSymbol is IPropertySymbol property)
            {
                save.Append("        writer.Write<").Append(fieldType).Append(">(this.").Append(property.Name).AppendLine(");");
                if (property.SetMethod is { IsInitOnly: false })
                {
                    restore.Append("        this.").Append(property.Name).Append(" = reader.Read<").Append(fieldType).AppendLine(">();");
                }
                else
                {
                    string accessor = "__MittenBacking_" + property.Name;
                    accessors.Append("    [global::System.Runtime.CompilerServices.UnsafeAccessor(global::System.Runtime.CompilerServices.UnsafeAccessorKind.Field, Name = \"")
                        .Append(field.Name).AppendLine("\")]");
                    accessors.Append("    private static extern ref ").Append(fieldType).Append(' ').Append(accessor)
                        .Append(isStruct ? "(ref " : "(").Append(self).AppendLine(" self);");
                    restore.Append("        ").Append(accessor).Append(isStruct ? "(ref this)" : "(this)")
                        .Append(" = reader.Read<").Append(fieldType).AppendLine(">();");
                }
            }
            else
            {
                string name = "@" + field.Name;
                save.Append("        writer.Write<").Append(fieldType).Append(">(this.").Append(name).AppendLine(");");
                string target = field.IsReadOnly ? "global::System.Runtime.CompilerServices.Unsafe.AsRef(in this." + name + ")" : "this." + name;
                if (!isStruct && field.Type.IsReferenceType)
                {
                    // A reference field of a class: a reference back to an earlier object is set once
                    // the whole graph is read (StateReader.ReadField), so its lookups overlap.
                    restore.Append("        reader.ReadField<").Append(fieldType).Append(">(this, ref ").Append(target).AppendLine(");");
                }
                else
                {
                    restore.Append("        ").Append(target).Append(" = reader.Read<").Append(fieldType).AppendLine(">();");
                }
            }
        }

        var schema = new StringBuilder();
        AppendSchema(type, schema, new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default));

        var source = new StringBuilder();
        source.AppendLine("// <auto-generated/> by Mitten.Checkpoint.Generators");
        source.AppendLine("#nullable enable");
        source.AppendLine("#pragma warning disable CS1591");
        if (!type.ContainingNamespace.IsGlobalNamespace)
        {
            source.Append("namespace ").Append(type.ContainingNamespace.ToDisplayString()).AppendLine(";");
        }
        var containers = new List<INamedTypeSymbol>();
        for (INamedTypeSymbol? t = type.ContainingType; t is not null; t = t.ContainingType)
        {
            containers.Insert(0, t);
        }
        foreach (INamedTypeSymbol container in containers)
        {
            source.Append("partial ").Append(Keyword(container)).Append(' ').Append(NameWithParameters(container)).AppendLine(" {");
        }
        // A class (not a record, whose generated equality would compare the field) gets a field in
        // which a running save notes the object's id, so the save needs no identity-table lookup.
        // Explicit layout is left out too (every field there needs a FieldOffset).
        bool marked = !isStruct && !type.IsRecord && !HasExplicitLayout(type);
        source.Append("partial ").Append(Keyword(type)).Append(' ').Append(NameWithParameters(type))
            .Append(" : global::Mitten.Checkpoint.State.IMigratable, global::Mitten.Checkpoint.State.IMigratableCodecSource")
            .AppendLine(marked ? ", global::Mitten.Checkpoint.State.IStateMarked" : "");
        source.AppendLine("{");
        if (marked)
        {
            source.AppendLine("    private long __mittenStateMark;");
            source.AppendLine();
            source.AppendLine("    ref long global::Mitten.Checkpoint.State.IStateMarked.StateMark => ref this.__mittenStateMark;");
            source.AppendLine();
        }
        source.Append("    static string global::Mitten.Checkpoint.State.IMigratable.StateSchema => ")
            .Append(SymbolDisplay.FormatLiteral(schema.ToString(), true)).AppendLine(";");
        source.AppendLine();
        // The type's codec made without reflection (StateTypeRegistry.Register; Native AOT).
        source.Append("    object global::Mitten.Checkpoint.State.IMigratableCodecSource.CreateStateCodec(string name) => global::Mitten.Checkpoint.State.GeneratedStateCodecs.")
            .Append(isStruct ? "Struct<" : "Class<").Append(NameWithParameters(type)).AppendLine(">(name);");
        source.AppendLine();
        source.AppendLine("    void global::Mitten.Checkpoint.State.IMigratable.SaveState(global::Mitten.Checkpoint.State.StateWriter writer)");
        source.AppendLine("    {");
        source.Append(prefetch);
        source.Append(save);
        source.AppendLine("    }");
        source.AppendLine();
        source.AppendLine("    void global::Mitten.Checkpoint.State.IMigratable.RestoreState(global::Mitten.Checkpoint.State.StateReader reader)");
        source.AppendLine("    {");
        source.Append(restore);
        source.AppendLine("    }");
        source.Append(accessors);
        source.AppendLine("}");
        foreach (INamedTypeSymbol _ in containers)
        {
            source.AppendLine("}");
        }
        string hint = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "")
            .Replace('<', '{').Replace('>', '}').Replace(',', '_').Replace(' ', '_') + ".Migratable.g.cs";
        return new Result { HintName = hint, Source = source.ToString(), Warnings = warnings };
    }

    private static IEnumerable<IFieldSymbol> StateFields(INamedTypeSymbol type)
    {
        foreach (ISymbol member in type.GetMembers())
        {
            if (member is not IFieldSymbol field || field.IsStatic || field.IsConst)
            {
                continue;
            }
            ISymbol declared = field.AssociatedSymbol ?? field;
            if (field.IsImplicitlyDeclared && field.AssociatedSymbol is not IPropertySymbol)
            {
                continue;
            }
            if (declared.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == NotMigratedName))
            {
                continue;
            }
            yield return field;
        }
    }

    private static void AppendSchema(ITypeSymbol type, StringBuilder schema, HashSet<ITypeSymbol> seen)
    {
        schema.Append(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SchemaFormat));
        if (type is not INamedTypeSymbol named || !seen.Add(type)
            || !named.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == AttributeName))
        {
            return;
        }
        schema.Append('{');
        foreach (IFieldSymbol field in StateFields(named))
        {
            ITypeSymbol fieldType = field.Type;
            if (fieldType.IsValueType)
            {
                AppendSchema(fieldType, schema, seen);   // a nested struct's layout is part of this one's
            }
            else
            {
                schema.Append(fieldType.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SchemaFormat));
            }
            schema.Append(' ').Append(field.AssociatedSymbol?.Name ?? field.Name).Append(';');
        }
        schema.Append('}');
        seen.Remove(type);
    }

    private static bool HasExplicitLayout(INamedTypeSymbol type) =>
        type.GetAttributes().Any(a =>
            a.AttributeClass?.ToDisplayString() == "System.Runtime.InteropServices.StructLayoutAttribute"
            && a.ConstructorArguments.Length > 0
            && a.ConstructorArguments[0].Value is int kind
            && kind == (int)System.Runtime.InteropServices.LayoutKind.Explicit);

    private static string Keyword(INamedTypeSymbol type) =>
        type.IsRecord ? (type.IsValueType ? "record struct" : "record") :
        type.TypeKind == TypeKind.Interface ? "interface" :
        type.IsValueType ? "struct" : "class";

    private static string NameWithParameters(INamedTypeSymbol type) =>
        type.TypeParameters.Length == 0 ? type.Name : type.Name + "<" + string.Join(", ", type.TypeParameters.Select(p => p.Name)) + ">";
}
