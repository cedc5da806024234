-- Task and workflow results are answers shown to people and to ChatGPT (the production
-- workflow's { success, message, timeline, result, agents_used }, each step's figures): jsonb
-- stores an object's keys sorted by length, so they came back as { total, mixing, concept, … }.
-- json keeps the text as written. Nothing queries inside these columns (results are written and
-- read whole; inputs are taken from them in the application), so no index or operator is lost.
ALTER TABLE tasks ALTER COLUMN result TYPE json USING result::json;
ALTER TABLE workflows ALTER COLUMN result TYPE json USING result::json;
