import type { Response } from 'express';
import { z } from 'zod';
import { dashboardFileNameSchema, dashboardIdSchema } from '../../dawg/modules/analytics/dashboard/dashboard-record';
import { parseInput, wholeNumberFromText } from '../../common/validation';
import type { ModuleRouter } from '../dawg-client';
import { ownerFilter, principalOf, requestIdOf } from './locals';
import type { Mount, RouteSpec } from './route-spec';

/**
 * Dashboards rendered by analytics.dashboard live on the AI DAWG; these routes carry them
 * through the gateway under the same paths the action answers (`htmlPath`, `svgPath`,
 * `pngPath`), so a client can follow them here with its API key.
 */

const idParams = z.strictObject({ id: dashboardIdSchema });
const fileParams = z.strictObject({ id: dashboardIdSchema, name: dashboardFileNameSchema });
const listQuery = z.strictObject({
  limit: wholeNumberFromText().min(1).max(200).default(50).describe('Dashboards per page, 1–200'),
  before: z.string().regex(/^[A-Za-z0-9_-]{1,200}$/, 'must be the nextBefore of a previous page').optional().describe('Cursor: the nextBefore of the previous page'),
});

const chartSchema = z.object({ index: z.number(), type: z.string(), title: z.string().nullable().optional() }).catchall(z.unknown());
const dashboardSchema = z
  .object({
    dashboardId: z.string(),
    title: z.string(),
    createdAt: z.string(),
    charts: z.array(chartSchema),
    createdBy: z.string().optional().describe('Who it was rendered for: the API key id (or agent:<name>); absent on older dashboards'),
  })
  .catchall(z.unknown());

export const analyticsDashboardRoutes = {
  list: {
    method: 'get',
    path: '/api/v1/dashboards',
    operationId: 'listAnalyticsDashboards',
    summary: 'Dashboards rendered by analytics.dashboard, newest first',
    description: 'Page with before=nextBefore.',
    tier: 'integration',
    tag: 'analytics',
    query: listQuery,
    responses: { 200: { description: 'One page', schema: z.object({ dashboards: z.array(dashboardSchema), nextBefore: z.string().nullable().optional() }) } },
  },
  get: {
    method: 'get',
    path: '/api/v1/dashboards/:id',
    operationId: 'getAnalyticsDashboard',
    summary: 'A rendered dashboard’s record: title, charts and the paths of its page and images',
    tier: 'integration',
    tag: 'analytics',
    params: idParams,
    responses: { 200: { description: 'The record', schema: dashboardSchema }, 404: { description: 'No such dashboard' } },
  },
  remove: {
    method: 'delete',
    path: '/api/v1/dashboards/:id',
    operationId: 'deleteAnalyticsDashboard',
    summary: 'Delete a rendered dashboard with its page and images',
    description:
      'Every key may list and read every dashboard; only the key it was rendered for (its createdBy) or an admin key may delete it. ' +
      'Dashboards rendered by agents for the system (createdBy agent:<name>) and older ones without createdBy: admin only.',
    tier: 'integration',
    tag: 'analytics',
    consequential: true,
    params: idParams,
    responses: { 204: { description: 'Deleted' }, 403: { description: 'Rendered for another caller: only its creator or an admin key may delete it' }, 404: { description: 'No such dashboard' } },
  },
  file: {
    method: 'get',
    path: '/api/v1/dashboards/:id/files/:name',
    operationId: 'getAnalyticsDashboardFile',
    summary: 'A dashboard’s page (index.html) or chart image (chart-<n>.svg, chart-<n>.png)',
    description: 'Served with a Content-Security-Policy that allows nothing but inline styles and embedded images.',
    tier: 'integration',
    tag: 'analytics',
    params: fileParams,
    responses: { 200: { description: 'text/html, image/svg+xml or image/png' }, 404: { description: 'No such dashboard or file' } },
  },
} satisfies Record<string, RouteSpec>;

/** Stored pages and images never run anything: the same policy the DAWG serves them with. */
const FILE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:";

function sendFile(res: Response, file: { data: Buffer; contentType: string }): void {
  res.set({ 'content-security-policy': FILE_POLICY, 'x-content-type-options': 'nosniff', 'cache-control': 'private, max-age=86400, immutable' });
  res.status(200).type(file.contentType).send(file.data);
}

export function mountAnalyticsDashboardRoutes(mount: Mount, deps: { moduleRouter: ModuleRouter }): void {
  mount(analyticsDashboardRoutes.list, async (req, res) => {
    const query = parseInput(listQuery, req.query, 'query');
    res.json(await deps.moduleRouter.getJson('/api/v1/dashboards', query, { requestId: requestIdOf(res) }));
  });
  mount(analyticsDashboardRoutes.get, async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    res.json(await deps.moduleRouter.getJson(`/api/v1/dashboards/${id}`, {}, { requestId: requestIdOf(res) }));
  });
  mount(analyticsDashboardRoutes.remove, async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    await deps.moduleRouter.deleteResource(`/api/v1/dashboards/${id}`, ownerFilter(principalOf(res)), { requestId: requestIdOf(res) });
    res.status(204).end();
  });
  mount(analyticsDashboardRoutes.file, async (req, res) => {
    const { id, name } = parseInput(fileParams, req.params, 'params');
    sendFile(res, await deps.moduleRouter.download(`/api/v1/dashboards/${id}/files/${name}`, { requestId: requestIdOf(res) }));
  });
}
