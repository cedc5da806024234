import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Response } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../common/errors';
import type { Mount, RouteSpec } from '../http/route-spec';

/**
 * The files the dashboard page loads, name → content type. Only these are served: the route
 * never maps a request onto the file system.
 */
const ASSETS = {
  'dashboard.js': 'text/javascript; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'live.js': 'text/javascript; charset=utf-8',
  'dom.js': 'text/javascript; charset=utf-8',
  'snapshot-gate.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'tasks-panel.js': 'text/javascript; charset=utf-8',
  'approvals-panel.js': 'text/javascript; charset=utf-8',
  'health-panel.js': 'text/javascript; charset=utf-8',
  'costs-panel.js': 'text/javascript; charset=utf-8',
  'tracks-panel.js': 'text/javascript; charset=utf-8',
  'suggestions-panel.js': 'text/javascript; charset=utf-8',
  'analytics-panel.js': 'text/javascript; charset=utf-8',
  'outbox-panel.js': 'text/javascript; charset=utf-8',
  'paged-list.js': 'text/javascript; charset=utf-8',
} as const;
type AssetName = keyof typeof ASSETS;
const ASSET_NAMES = Object.keys(ASSETS) as [AssetName, ...AssetName[]];

export const dashboardRoutes = {
  page: {
    method: 'get',
    path: '/dashboard',
    operationId: 'getDashboard',
    summary: 'The web dashboard (HTML): tasks, approvals, suggestions, health, AI cost, music catalog, tracks, analytics dashboards and the marketing outbox',
    description:
      'Holds no data: the page asks for an API key once (kept in the tab’s sessionStorage) and reads everything through the authenticated API and the WebSocket hub (docs/DASHBOARD.md).',
    tier: 'public',
    tag: 'dashboard',
    responses: { 200: { description: 'text/html' } },
  },
  asset: {
    method: 'get',
    path: '/dashboard/:asset',
    operationId: 'getDashboardAsset',
    summary: 'A script or stylesheet of the web dashboard',
    tier: 'public',
    tag: 'dashboard',
    params: z.object({ asset: z.enum(ASSET_NAMES).describe('One of the dashboard’s files') }).strict(),
    responses: { 200: { description: 'text/javascript or text/css' }, 404: { description: 'Not a dashboard file' } },
  },
} satisfies Record<string, RouteSpec>;

/**
 * helmet's policy plus blob: URLs for images — the analytics panel shows chart images fetched
 * with the key (a plain <img src> could not send it), and 'self' does not cover blob: — and
 * media from 'self' only: the track player streams from media links on this origin. Only the
 * page gets it; everything else keeps helmet's default, and no other directive changes.
 */
function allowBlobUrls(res: Response): void {
  const csp = res.getHeader('content-security-policy');
  if (typeof csp !== 'string') return;
  const directives = csp.split(';').map((d) => d.trim()).filter(Boolean);
  const img = directives.findIndex((d) => /^img-src(\s|$)/.test(d));
  // Without an img-src, default-src governs images: add blob: to 'self' only, not data:.
  if (img < 0) directives.push("img-src 'self' blob:");
  else if (!/\sblob:/.test(directives[img]!)) directives[img] += ' blob:';
  if (!directives.some((d) => /^media-src(\s|$)/.test(d))) directives.push("media-src 'self'");
  res.setHeader('content-security-policy', directives.join(';'));
}

/**
 * Serves the dashboard's static files from this folder, read once at start-up (a missing file
 * fails the start, not a visitor's page load). `no-cache`: browsers check again on each load,
 * so a new version shows at once.
 */
export function mountDashboardRoutes(mount: Mount, dir: string = __dirname): void {
  const page = readFileSync(path.join(dir, 'index.html'));
  const assets = new Map(ASSET_NAMES.map((name) => [name, readFileSync(path.join(dir, name))] as const));
  mount(dashboardRoutes.page, (_req, res) => {
    allowBlobUrls(res);
    res.status(200).type('text/html; charset=utf-8').set('cache-control', 'no-cache').send(page);
  });
  mount(dashboardRoutes.asset, (req, res) => {
    const name = String(req.params.asset) as AssetName;
    const body = assets.get(name);
    if (!body) throw new NotFoundError(`No dashboard file ${JSON.stringify(name).slice(0, 80)}`, { available: ASSET_NAMES });
    res.status(200).type(ASSETS[name]).set('cache-control', 'no-cache').send(body);
  });
}
