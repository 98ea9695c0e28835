-- Ferry's metadata, version 1: the server secret, accounts, bearer tokens, upload records with
-- their leases, quota ledgers, the janitor's lease. Every table is prefixed `ferry_` so the database may be shared.

CREATE TABLE ferry_secret (
    id smallint PRIMARY KEY CHECK (id = 1),
    secret bytea NOT NULL CHECK (octet_length(secret) = 32)
);

-- The account as the core serialises it (SCRAM verifiers, quota, exec policy): one definition
-- of an account, the same document the embedded store keeps in a file.
CREATE TABLE ferry_accounts (
    name text PRIMARY KEY,
    account jsonb NOT NULL
);

-- Named by the SHA-256 of the token, never the token itself.
CREATE TABLE ferry_tokens (
    hash text PRIMARY KEY CHECK (hash ~ '^[0-9a-f]{64}$'),
    user_name text NOT NULL,
    created bigint NOT NULL,
    expires bigint NOT NULL
);
CREATE INDEX ferry_tokens_user ON ferry_tokens (user_name);
CREATE INDEX ferry_tokens_expires ON ferry_tokens (expires);

-- The upload record as the core serialises it, the columns queries select on copied out of it
-- by the same statement that writes it, and the lease on the same row, so that a fenced write
-- and a lease grant are ordered by the row's lock: `fence` grows with every new holder, and a
-- record write names the fence it was granted.
CREATE TABLE ferry_uploads (
    id text PRIMARY KEY,
    user_name text NOT NULL,
    expires bigint NOT NULL,
    record jsonb NOT NULL,
    lease_holder text,
    lease_until timestamptz,
    fence bigint NOT NULL DEFAULT 0
);
CREATE INDEX ferry_uploads_user ON ferry_uploads (user_name);
CREATE INDEX ferry_uploads_expires ON ferry_uploads (expires);

-- Committed and reserved bytes per user (see the core's store::quota for the rules).
CREATE TABLE ferry_quota (
    user_name text PRIMARY KEY,
    used bigint NOT NULL CHECK (used >= 0),
    reserved bigint NOT NULL CHECK (reserved >= 0),
    pending integer NOT NULL CHECK (pending >= 0),
    generation bigint NOT NULL
);

-- Which node runs the expiry sweeps: one row, taken when free, expired or already the holder's.
CREATE TABLE ferry_janitor (
    id smallint PRIMARY KEY CHECK (id = 1),
    holder text NOT NULL,
    until timestamptz NOT NULL
);
