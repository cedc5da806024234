import type { Express, RequestHandler } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../common/errors';
import { actorId } from '../common/protocol';
import { parseInput, wholeNumberFromText } from '../common/validation';
import { sendStoredFile } from '../common/http/send-stored-file';
import {
  DASHBOARD_PAGE_LIMIT,
  dashboardCursorSchema,
  dashboardFileNameSchema,
  dashboardIdSchema,
  summarizeDashboard,
  type DashboardStore,
} from './modules/analytics/dashboard';

const idParams = z.strictObject({ id: dashboardIdSchema });
const fileParams = z.strictObject({ id: dashboardIdSchema, name: dashboardFileNameSchema });
/** `ownedBy`: delete only if the dashboard was rendered for this caller (the control plane sends it for non-admin keys). */
const deleteQuery = z.strictObject({ ownedBy: actorId.optional() });
const listQuery = z.strictObject({
  limit: wholeNumberFromText().min(1).max(DASHBOARD_PAGE_LIMIT.max).default(DASHBOARD_PAGE_LIMIT.default),
  before: dashboardCursorSchema.optional(),
});

/**
 * Pages and images are served to browsers (through the control plane's proxy): nothing in them
 * may run or load anything but inline styles and the images they embed, and the declared type
 * is the only one a browser may assume.
 */
const FILE_HEADERS = {
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:",
  'x-content-type-options': 'nosniff',
  // A stored dashboard never changes: its id names one rendering.
  'cache-control': 'private, max-age=86400, immutable',
};

/** The DAWG's stored dashboards (written by analytics.dashboard): listing, metadata, their files and deletion. Behind the service token. */
export function mountDashboardRoutes(app: Express, auth: RequestHandler, dashboards: DashboardStore): void {
  app.get('/api/v1/dashboards', auth, async (req, res) => {
    const page = await dashboards.list(parseInput(listQuery, req.query, 'query'));
    res.json({ dashboards: page.dashboards.map(summarizeDashboard), nextBefore: page.nextBefore });
  });

  app.get('/api/v1/dashboards/:id', auth, async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    res.json(summarizeDashboard(await dashboards.get(id)));
  });

  app.delete('/api/v1/dashboards/:id', auth, async (req, res) => {
    const { id } = parseInput(idParams, req.params, 'params');
    const { ownedBy } = parseInput(deleteQuery, req.query, 'query');
    await dashboards.remove(id, ownedBy);
    res.status(204).end();
  });

  app.get('/api/v1/dashboards/:id/files/:name', auth, async (req, res, next) => {
    const { id, name } = parseInput(fileParams, req.params, 'params');
    const file = await dashboards.file(id, name);
    // Headers go through sendFile so they are set only once the file is found: a failure still answers JSON.
    sendStoredFile(res, next, file.path, {
      headers: { ...FILE_HEADERS, 'content-type': file.contentType },
      // The dashboard's record names the file but the file is gone: the folder was changed by hand.
      missing: () => new NotFoundError(`Dashboard ${id} has no file "${name}"`, undefined, 'DASHBOARD_FILE_NOT_FOUND'),
    });
  });
}
