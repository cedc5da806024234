-- Task and schedule payloads are shown back as they were accepted (GET a task, a job, a
-- schedule): jsonb stores an object's keys sorted by length, so { "title": …, "duration": … }
-- came back as { "title", "duration" } only by luck and nested objects were reordered. json keeps
-- the text as written (the capability schema's order, as validated). As with results (013),
-- nothing needs jsonb's containment or indexes here: payloads are written and read whole, and
-- json has the same -> and ->> operators for ad hoc queries.
ALTER TABLE tasks ALTER COLUMN payload TYPE json USING payload::json;
ALTER TABLE task_schedules ALTER COLUMN payload TYPE json USING payload::json;
