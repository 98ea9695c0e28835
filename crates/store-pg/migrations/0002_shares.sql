-- Version 2: share links, named by the SHA-256 of the link id (never the id itself), holding the
-- same record document the embedded store keeps in a file.
CREATE TABLE ferry_shares (
    key text PRIMARY KEY CHECK (key ~ '^[0-9a-f]{64}$'),
    owner text NOT NULL,
    record jsonb NOT NULL
);
CREATE INDEX ferry_shares_owner ON ferry_shares (owner);
