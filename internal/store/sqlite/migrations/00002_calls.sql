-- The call cache (internal/callcache): one row per distinct model call, keyed by the
-- SHA-256 of the call's canonical encoding. The value is the answer as JSON (text,
-- usage, cost, the model that answered): never a key, since no key is in a request.
-- replays marks a debate re-run from the cache as a replay of another.

-- +goose Up
CREATE TABLE IF NOT EXISTS calls (
    key        TEXT NOT NULL PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS replays (
    id       TEXT NOT NULL PRIMARY KEY,
    original TEXT NOT NULL
) STRICT;

-- +goose Down
DROP TABLE replays;
DROP TABLE calls;
