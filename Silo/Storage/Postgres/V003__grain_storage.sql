-- OrleansRay schema version 3: grain state for Microsoft.Orleans.Persistence.AdoNet 10.4.2 (control-store tables).
-- A grain's state is one row keyed by service, grain type and grain id; Version is the etag the provider checks.

CREATE TABLE OrleansStorage
(
    GrainIdHash            integer      NOT NULL,
    GrainIdN0              bigint       NOT NULL,
    GrainIdN1              bigint       NOT NULL,
    GrainTypeHash          integer      NOT NULL,
    GrainTypeString        varchar(512) NOT NULL,
    GrainIdExtensionString varchar(512) NULL,
    ServiceId              varchar(150) NOT NULL,
    PayloadBinary          bytea        NULL,
    ModifiedOn             timestamptz  NOT NULL DEFAULT now(),
    Version                integer      NULL
);

-- The hashes narrow the lookup; the full key is compared in the queries.
CREATE INDEX IX_OrleansStorage ON OrleansStorage (GrainIdHash, GrainTypeHash);

-- Writes a grain's state. p_version NULL means "never read a row": insert, unless one appeared meanwhile.
-- Returns the new version, or the old one (unchanged) when the etag did not match: the provider reports a conflict.
CREATE FUNCTION orleansray_write_grain_state(
    p_grain_id_hash integer, p_grain_id_n0 bigint, p_grain_id_n1 bigint, p_grain_type_hash integer,
    p_grain_type varchar, p_grain_id_extension varchar, p_service_id varchar, p_version integer, p_payload bytea)
    RETURNS TABLE (NewGrainStateVersion integer)
    LANGUAGE plpgsql AS
$$
DECLARE
    v_rows integer;
BEGIN
    IF p_version IS NOT NULL THEN
        UPDATE OrleansStorage
        SET PayloadBinary = p_payload, ModifiedOn = now(), Version = Version + 1
        WHERE GrainIdHash = p_grain_id_hash AND GrainTypeHash = p_grain_type_hash
            AND GrainIdN0 = p_grain_id_n0 AND GrainIdN1 = p_grain_id_n1
            AND GrainTypeString = p_grain_type
            AND GrainIdExtensionString IS NOT DISTINCT FROM p_grain_id_extension
            AND ServiceId = p_service_id
            AND Version = p_version;
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        RETURN QUERY SELECT CASE WHEN v_rows > 0 THEN p_version + 1 ELSE p_version END;
        RETURN;
    END IF;

    -- Serialize first inserts of the same grain (split brain: two activations) on its hashes.
    PERFORM pg_advisory_xact_lock(p_grain_id_hash, p_grain_type_hash);
    INSERT INTO OrleansStorage
        (GrainIdHash, GrainIdN0, GrainIdN1, GrainTypeHash, GrainTypeString, GrainIdExtensionString, ServiceId, PayloadBinary, ModifiedOn, Version)
    SELECT p_grain_id_hash, p_grain_id_n0, p_grain_id_n1, p_grain_type_hash, p_grain_type, p_grain_id_extension, p_service_id, p_payload, now(), 1
    WHERE NOT EXISTS (
        SELECT 1 FROM OrleansStorage
        WHERE GrainIdHash = p_grain_id_hash AND GrainTypeHash = p_grain_type_hash
            AND GrainIdN0 = p_grain_id_n0 AND GrainIdN1 = p_grain_id_n1
            AND GrainTypeString = p_grain_type
            AND GrainIdExtensionString IS NOT DISTINCT FROM p_grain_id_extension
            AND ServiceId = p_service_id);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    RETURN QUERY SELECT CASE WHEN v_rows > 0 THEN 1 ELSE NULL::integer END;
END
$$;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES
('WriteToStorageKey',
'SELECT NewGrainStateVersion FROM orleansray_write_grain_state(
    @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeHash, @GrainTypeString,
    CAST(@GrainIdExtensionString AS varchar), @ServiceId, CAST(@GrainStateVersion AS integer), @PayloadBinary);'),

('ReadFromStorageKey',
'SELECT PayloadBinary, now() AS ModifiedOn, Version
    FROM OrleansStorage
    WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
        AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
        AND GrainTypeString = @GrainTypeString
        AND GrainIdExtensionString IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS varchar)
        AND ServiceId = @ServiceId;'),

-- Clearing keeps the row (and bumps its version) so a stale writer still conflicts.
('ClearStorageKey',
'UPDATE OrleansStorage
    SET PayloadBinary = NULL, ModifiedOn = now(), Version = Version + 1
    WHERE GrainIdHash = @GrainIdHash AND GrainTypeHash = @GrainTypeHash
        AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
        AND GrainTypeString = @GrainTypeString
        AND GrainIdExtensionString IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS varchar)
        AND ServiceId = @ServiceId
        AND Version = CAST(@GrainStateVersion AS integer)
    RETURNING Version AS NewGrainStateVersion;');
