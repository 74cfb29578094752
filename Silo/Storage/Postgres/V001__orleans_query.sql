-- OrleansRay schema version 1: the query table the Orleans ADO.NET providers read their SQL from.
-- The providers issue "SELECT QueryKey, QueryText FROM OrleansQuery" at start and bind parameters by name;
-- the query texts below (V002, V003) are OrleansRay's own, written against Orleans 10.4.2's query keys.
CREATE TABLE OrleansQuery
(
    QueryKey  varchar(64)   NOT NULL,
    QueryText varchar(8000) NOT NULL,
    CONSTRAINT PK_OrleansQuery PRIMARY KEY (QueryKey)
);
