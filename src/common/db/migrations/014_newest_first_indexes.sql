-- Newest-first reads of whole tables in bounded chunks (the embedded database's copy for
-- analytics source "jarvis" reads each table newest first, a few hundred rows per statement, so
-- the control plane's thread is never held for long): without an index on the order, every
-- chunk would scan and sort the whole table. A btree on an always-increasing key only appends
-- to its rightmost page, so task inserts barely notice it (measured within the noise on 20,000
-- inserts); workflows are inserted far less often than tasks.
CREATE INDEX tasks_seq_idx ON tasks (seq);
CREATE INDEX workflows_created_idx ON workflows (created_at, id);
