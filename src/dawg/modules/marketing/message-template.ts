import { fieldError } from '../../../common/validation';

/*
 * Campaign templates: plain text with {{placeholder}} slots filled from the user's row. One
 * pass over the template's own text, so a value that itself looks like "{{plan}}" stays as
 * written instead of being substituted again.
 */

export const PLACEHOLDERS = ['first_name', 'plan', 'days_inactive'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Record<Placeholder, string>;

const SLOT = /\{\{\s*([^{}]*?)\s*\}\}/g;

type Part = { text: string } | { slot: Placeholder };

export interface CompiledTemplate {
  render(values: TemplateValues): string;
}

/**
 * Parses `text` once; an unknown placeholder is a 400 on `field` naming the template, so the
 * agent that wrote it can fix that one template.
 */
export function compileTemplate(text: string, field: string, templateName: string): CompiledTemplate {
  const parts: Part[] = [];
  let last = 0;
  for (const m of text.matchAll(SLOT)) {
    const name = m[1]!;
    if (!(PLACEHOLDERS as readonly string[]).includes(name)) {
      throw fieldError(field, `template "${templateName}" uses unknown placeholder {{${name}}}; known: ${PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`, {
        template: templateName,
        placeholder: name,
      });
    }
    parts.push({ text: text.slice(last, m.index) }, { slot: name as Placeholder });
    last = m.index + m[0].length;
  }
  parts.push({ text: text.slice(last) });
  return { render: (values) => parts.map((p) => ('slot' in p ? values[p.slot] : p.text)).join('') };
}
