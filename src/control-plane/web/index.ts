export { dashboardRoutes, mountDashboardRoutes } from './dashboard.routes';
