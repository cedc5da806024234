import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROUTES } from '../http/route-table';
import { renderChatGptYaml } from '../integrations/chatgpt';
import { buildOpenApiDocument } from './openapi-document';

/** The checked-in spec names the default local server; a deployment serves its own at /openapi.json (JARVIS_PUBLIC_URL). */
export const CHECKED_IN_SERVER_URL = 'http://127.0.0.1:4000';
export const CHECKED_IN_PATH = path.resolve(__dirname, '../../../openapi/jarvis.openapi.json');

/**
 * The checked-in ChatGPT document names a placeholder https server (GPT Actions require https);
 * the control plane serves its own at /integrations/chatgpt/openapi.yaml with JARVIS_PUBLIC_URL.
 */
export const CHECKED_IN_CHATGPT_SERVER_URL = 'https://jarvis.example.com';
export const CHECKED_IN_CHATGPT_PATH = path.resolve(__dirname, '../../../openapi/openapi.yaml');

export function renderCheckedInSpec(): string {
  return `${JSON.stringify(buildOpenApiDocument(ROUTES, CHECKED_IN_SERVER_URL), null, 2)}\n`;
}

export function renderCheckedInChatGptSpec(): string {
  return renderChatGptYaml(CHECKED_IN_CHATGPT_SERVER_URL);
}

if (require.main === module) {
  writeFileSync(CHECKED_IN_PATH, renderCheckedInSpec());
  writeFileSync(CHECKED_IN_CHATGPT_PATH, renderCheckedInChatGptSpec());
  for (const file of [CHECKED_IN_PATH, CHECKED_IN_CHATGPT_PATH]) process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
}
