namespace OrleansRay.ObjectStore.Protocol;

/// <summary>The first byte of a reply: Ok, or the kind of failure (followed by a message).</summary>
internal enum ReplyStatus : byte
{
    Ok = 0,
    BadRequest = 1,
    NotFound = 2,
    AlreadyExists = 3,
    StoreFull = 4,
    InvalidState = 5,
    TransferFailed = 6,
    ShuttingDown = 7,
    Failed = 8,
}
