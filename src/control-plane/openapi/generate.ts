import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROUTES } from '../http/route-table';
import { buildOpenApiDocument } from './openapi-document';

/** The checked-in spec names the default local server; a deployment serves its own at /openapi.json (JARVIS_PUBLIC_URL). */
export const CHECKED_IN_SERVER_URL = 'http://127.0.0.1:4000';
export const CHECKED_IN_PATH = path.resolve(__dirname, '../../../openapi/jarvis.openapi.json');

export function renderCheckedInSpec(): string {
  return `${JSON.stringify(buildOpenApiDocument(ROUTES, CHECKED_IN_SERVER_URL), null, 2)}\n`;
}

if (require.main === module) {
  writeFileSync(CHECKED_IN_PATH, renderCheckedInSpec());
  process.stdout.write(`wrote ${path.relative(process.cwd(), CHECKED_IN_PATH)}\n`);
}
