export { HealthService, type CheckStatus, type DetailedHealth } from './health-service';
