-- The whole schema of a parley store. The event log is the truth; the debates row
-- is a summary of it (kept in the same transaction as every append) so that listing
-- never has to read a log.
--
-- IF NOT EXISTS: two processes opening a new file at once may both try to apply
-- this migration; the loser must find the tables and go on (see migrate).

-- +goose Up
CREATE TABLE IF NOT EXISTS debates (
    id          TEXT    NOT NULL PRIMARY KEY,
    problem     TEXT    NOT NULL,
    mode        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    -- Times are UTC, fixed width with nanoseconds (2006-01-02T15:04:05.000000000Z),
    -- so that text order is time order; '' is the zero time.
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    -- The owner is the process running the debate; '' / 0 / '' is none.
    owner_host  TEXT    NOT NULL DEFAULT '',
    owner_pid   INTEGER NOT NULL DEFAULT 0,
    owner_since TEXT    NOT NULL DEFAULT '',
    last_seq    INTEGER NOT NULL
) STRICT;

-- Newest first, with and without a status filter: List walks one of these in order
-- and stops at its limit, never sorting.
CREATE INDEX IF NOT EXISTS debates_newest ON debates (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS debates_status_newest ON debates (status, created_at DESC, id DESC);

-- A rowid table (not WITHOUT ROWID): turns carry kilobytes of text, and SQLite
-- advises against WITHOUT ROWID for rows that large.
CREATE TABLE IF NOT EXISTS events (
    debate_id TEXT    NOT NULL REFERENCES debates (id) ON DELETE CASCADE,
    seq       INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    at        TEXT    NOT NULL,
    data      TEXT    NOT NULL, -- the event as JSON, exactly as debate.Event marshals
    PRIMARY KEY (debate_id, seq)
) STRICT;

-- +goose Down
DROP TABLE IF EXISTS events;
DROP TABLE IF EXISTS debates;
