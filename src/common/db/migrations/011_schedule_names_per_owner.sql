-- Schedule names are unique per owner (the key that created them; NULL: system or the
-- integration token), not across every user: one key's "daily-report" no longer blocks
-- another's, nor tells it that such a schedule exists.
ALTER TABLE task_schedules DROP CONSTRAINT task_schedules_name_key;
CREATE UNIQUE INDEX task_schedules_owner_name ON task_schedules ((coalesce(created_by, '')), name);
