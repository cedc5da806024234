-- Memory layer, conversations (issue 8): the messages of each session, the system of record.
-- The recent window of a session may also be cached (Redis or in-process): see
-- src/control-plane/memory/conversation-store.ts.

CREATE TABLE conversation_messages (
  id text PRIMARY KEY,
  -- Order within a session (ids are random; created_at ties within one transaction).
  seq bigserial NOT NULL UNIQUE,
  session_id text NOT NULL,
  -- The session's owner: every message of a session has the same user (the store enforces it).
  user_id text NOT NULL,
  role text NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
  content text NOT NULL,
  tokens integer CHECK (tokens >= 0),
  metadata jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
-- A session's messages in order (pages both ways, the recent window, its first message).
CREATE INDEX conversation_messages_session_idx ON conversation_messages (session_id, seq);
-- Erase by user.
CREATE INDEX conversation_messages_user_idx ON conversation_messages (user_id, session_id);
