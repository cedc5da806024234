-- Each control plane's Prometheus metrics, published every few seconds, so that the AI DAWG's
-- monitoring (which reads /internal/v1/metrics of one instance) sees every instance: the
-- instance it asks adds the others' latest snapshots, each series labelled with its instance.
-- A row is removed when its instance stops; one not refreshed for a while is ignored.
CREATE TABLE control_plane_metrics (
  instance text PRIMARY KEY,
  metrics json NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now()
);
