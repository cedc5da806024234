-- Music catalog (issue 11): tracks published by the DevOpsEngineer's deploy-to-catalog. The
-- audio itself is a file under $JARVIS_DATA_DIR/catalog (and in S3 when configured); this row
-- is its metadata, written only once the file is in place.

CREATE TABLE catalog_tracks (
  id text PRIMARY KEY,
  seq bigserial NOT NULL UNIQUE,
  title text NOT NULL,
  genre text,
  bpm integer,
  musical_key text,
  mood text,
  duration_seconds double precision NOT NULL,
  sample_rate integer NOT NULL,
  bit_depth integer,
  channels integer NOT NULL,
  bytes bigint NOT NULL,
  sha256 text NOT NULL,
  -- The AI DAWG file it was published from.
  source_file_id text NOT NULL,
  -- Measured on the published file: integrated LUFS, true peak, stereo width, ...
  analytics jsonb NOT NULL,
  -- Waveform (min/max per bucket) and short-term loudness curve, for drawing the track.
  waveform jsonb,
  -- { uri, approvalId? } when uploaded to S3.
  s3 jsonb,
  -- The task that published it: a retried or resumed task finds its track instead of publishing twice.
  task_id text UNIQUE,
  workflow_id text,
  published_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- The production workflow's kind (e.g. 'production'): its summary is built when it ends.
ALTER TABLE workflows ADD COLUMN kind text;
