namespace OrleansRay.Code;

/// <summary>One file of a job's working dir (Ray's <c>runtime_env.working_dir</c>) as its code package names it.</summary>
/// <param name="Path">The file's path inside the working dir, '/'-separated (<c>data/train.csv</c>). A node checks it
/// before it writes anything: one that is absolute or climbs out with '..' is refused.</param>
/// <param name="Sha256">Lowercase hex SHA-256 of the file: its id in the control store and the node's disk cache.</param>
/// <param name="Size">Bytes.</param>
/// <param name="Mode">The file's Unix permission bits (0 to 0777, e.g. 493 = 0755 for a script), kept on the nodes; 0
/// when unknown (written from Windows): the node's default.</param>
internal sealed record WorkingDirFile(string Path, string Sha256, long Size, int Mode);
