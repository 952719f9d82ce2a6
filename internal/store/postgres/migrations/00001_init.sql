-- The schema of parley's PostgreSQL store: the same shape as the SQLite store's. The
-- event log is the truth; the debates row is a summary of it, kept in the same
-- transaction as every append, so that listing never reads a log and the sequence
-- check is one conditional UPDATE.
--
-- Tables are prefixed parley_ because a team server shares its database with River's
-- tables (river_job, river_leader, ...).

-- +goose Up
CREATE TABLE parley_debates (
    -- COLLATE "C": ids sort by bytes, as in SQLite, whatever the database's locale.
    id          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    -- BYTEA, not TEXT: the problem is the user's text verbatim, and PostgreSQL's
    -- TEXT cannot hold a NUL character. It holds UTF-8.
    problem     BYTEA       NOT NULL,
    mode        TEXT        NOT NULL,
    status      TEXT        NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    -- The owner is the process running the debate; '' / 0 / NULL is none. On a team
    -- server owner_since doubles as the lease's heartbeat (see internal/jobs).
    owner_host  TEXT        NOT NULL DEFAULT '',
    owner_pid   INTEGER     NOT NULL DEFAULT 0,
    owner_since TIMESTAMPTZ,
    last_seq    INTEGER     NOT NULL
);

-- Newest first, with and without a status filter: List walks one of these in order
-- and stops at its limit.
CREATE INDEX parley_debates_newest ON parley_debates (created_at DESC, id DESC);
CREATE INDEX parley_debates_status_newest ON parley_debates (status, created_at DESC, id DESC);

CREATE TABLE parley_events (
    debate_id TEXT COLLATE "C" NOT NULL REFERENCES parley_debates (id) ON DELETE CASCADE,
    seq       INTEGER     NOT NULL,
    kind      TEXT        NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    -- The event as JSON, exactly as debate.Event marshals. TEXT, not JSONB: JSONB
    -- refuses the \u0000 escape that a model's answer can legitimately contain, and
    -- the store never queries inside an event.
    data      TEXT        NOT NULL,
    PRIMARY KEY (debate_id, seq)
);

-- +goose Down
DROP TABLE IF EXISTS parley_events;
DROP TABLE IF EXISTS parley_debates;
