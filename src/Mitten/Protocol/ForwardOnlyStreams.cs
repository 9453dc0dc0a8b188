namespace Mitten.Protocol;

/// <summary>
/// A stream the state transfer writes from start to end: no reading, seeking or length; its
/// position is the bytes written so far. Codecs may dispose the stream they write (a
/// BinaryWriter does); the transfer ends it, so Dispose does nothing here.
/// </summary>
internal abstract class WriteOnlyStream : Stream
{
    /// <summary>Bytes written so far (the stream's position).</summary>
    protected abstract long BytesWritten { get; }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void WriteByte(byte value) => Write([value]);
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { }
}

/// <summary>
/// A stream the state transfer reads from start to end: no writing, seeking or length; its
/// position is the bytes read so far. Codecs may dispose the stream they read (a BinaryReader
/// does); the transfer ends it, so Dispose does nothing here.
/// </summary>
internal abstract class ReadOnlyForwardStream : Stream
{
    /// <summary>Bytes read so far (the stream's position).</summary>
    protected abstract long BytesRead { get; }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    protected override void Dispose(bool disposing) { }
}
