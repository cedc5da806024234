export { HTTP_DURATION_BUCKETS, Metrics, UNMATCHED_ROUTE, type MetricsOptions } from './metrics';
