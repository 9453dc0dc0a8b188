using Mitten.Checkpoint.State;

namespace Mitten.Bench.Checkpoint;

/// <summary>A binary tree node, as in the dissertation's bitonic sort.</summary>
[Migratable]
public sealed partial class Node
{
    public int Value;
    public Node? Left;
    public Node? Right;

    /// <summary>A complete binary tree of <paramref name="count"/> nodes.</summary>
    public static Node Complete(int count)
    {
        var nodes = new Node[count];
        for (int i = count - 1; i >= 0; i--)
        {
            nodes[i] = new Node
            {
                Value = (int)((i * 2654435761u) % 100000),
                Left = 2 * i + 1 < count ? nodes[2 * i + 1] : null,
                Right = 2 * i + 2 < count ? nodes[2 * i + 2] : null,
            };
        }
        return nodes[0];
    }

    /// <summary>
    /// A binary tree of exactly <paramref name="count"/> distinct nodes in which subtrees are shared:
    /// built bottom-up from a queue of parentless nodes, three of every four new inner nodes take
    /// two parentless nodes as children, the fourth takes one and, as its right child, an inner
    /// node made earlier (a whole subtree that now has two parents). Every node is reachable,
    /// and no cycle can form (children are always older than their parent).
    /// </summary>
    public static Node SharedTree(int count, out int distinct, out int sharedReferences)
    {
        int leaves = count * 3 / 7 - 16;
        while (Total(leaves + 1) <= count)
        {
            leaves++;
        }
        var rng = new Random(12345);
        var created = new List<Node>(count);
        var parentless = new Queue<Node>();
        int firstInner = leaves;
        for (int i = 0; i < leaves; i++)
        {
            var leaf = new Node { Value = Label(created.Count) };
            created.Add(leaf);
            parentless.Enqueue(leaf);
        }
        sharedReferences = 0;
        for (int step = 0; parentless.Count > 1 || created.Count < count; step++)
        {
            Node left = parentless.Dequeue();
            Node right;
            if (step % 4 == 3 || parentless.Count == 0)
            {
                right = created[created.Count > firstInner ? rng.Next(firstInner, created.Count) : rng.Next(created.Count)];
                sharedReferences++;
            }
            else
            {
                right = parentless.Dequeue();
            }
            var inner = new Node { Value = Label(created.Count), Left = left, Right = right };
            created.Add(inner);
            parentless.Enqueue(inner);
        }
        distinct = created.Count;
        return parentless.Dequeue();

        // Nodes made from `leaves` leaves before the queue is down to one (the last few shared
        // steps that bring the total to `count` are made on the root).
        static int Total(int leaves)
        {
            int drops = leaves - 1;
            return leaves + 4 * (drops / 3) + drops % 3;
        }

        static int Label(int i) => (int)((i * 2654435761u) % 100000);
    }
}

/// <summary>Checks a restored tree.</summary>
public static class Trees
{
    /// <summary>Throws unless <paramref name="root"/> reaches exactly <paramref name="distinct"/> distinct nodes.</summary>
    public static void Check(Node root, int distinct)
    {
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var work = new Stack<Node>();
        work.Push(root);
        while (work.Count > 0)
        {
            Node n = work.Pop();
            if (!seen.Add(n))
            {
                continue;
            }
            if (n.Left is not null) work.Push(n.Left);
            if (n.Right is not null) work.Push(n.Right);
        }
        if (seen.Count != distinct)
        {
            throw new InvalidOperationException($"restored tree has {seen.Count} distinct nodes, expected {distinct}");
        }
    }
}
