export { FIREWALL_METRIC, HTTP_DURATION_BUCKETS, Metrics, UNMATCHED_ROUTE, type MetricJson, type MetricsOptions } from './metrics';
export { ClusterMetrics, type ClusterMetricsOptions } from './cluster-metrics';
