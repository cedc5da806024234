/**
 * The offline provider's "answer": an extractive digest of the user's message. It does not
 * understand or generate anything. It picks the sentences whose words recur most in the
 * message (a classic frequency-based extractive summary), lists what reads as steps (list
 * items, sequenced clauses, sentences that start like instructions), and names the most
 * frequent content words. Deterministic: the same text always gives the same digest.
 */

export const OFFLINE_MARKER = '[offline]';

const MAX_KEY_POINTS = 3;
const MAX_STEPS = 8;
const MAX_KEYWORDS = 6;

// A short English function-word list; enough to keep "the", "please", "I" out of keywords and
// out of the instruction test below.
const STOPWORDS = new Set(
  (
    'a an the and or but if then else of to in on at by for with from into onto about as is are was were be been being ' +
    'am do does did doing have has had having i me my we our you your he she it its they them their this that these those ' +
    'there here what which who whom whose when where why how can could should would will shall may might must not no so ' +
    'too very just also than please thanks thank hi hello hey jarvis let lets us up out over some any all each more most ' +
    'such only own same other both few again once now ok okay then next after afterwards finally'
  ).split(' '),
);

export interface Digest {
  keyPoints: string[];
  steps: string[];
  keywords: string[];
}

function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}'’-]*/gu) ?? [];
}

function contentWords(text: string): string[] {
  return words(text).filter((w) => w.length > 1 && /\p{L}/u.test(w) && !STOPWORDS.has(w));
}

export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function frequencies(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of contentWords(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** Top sentences by mean content-word frequency, returned in their original order. */
function keySentences(sentences: string[], counts: Map<string, number>): string[] {
  const scored = sentences.map((sentence, index) => {
    const ws = contentWords(sentence);
    const score = ws.length === 0 ? 0 : ws.reduce((sum, w) => sum + (counts.get(w) ?? 0), 0) / Math.sqrt(ws.length);
    return { sentence, index, score };
  });
  return scored
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, MAX_KEY_POINTS)
    .sort((a, b) => a.index - b.index)
    .map((s) => s.sentence);
}

const LIST_ITEM = /^\s*(?:[-*•]|\d+[.)])\s+(.+)$/;
/** List lines are steps, not prose: they are left out of the key-sentence pool. */
const LIST_ITEM_LINES = /^\s*(?:[-*•]|\d+[.)])\s+.+$/gm;
const SEQUENCE_SPLIT = /\s*(?:;|,?\s*\b(?:and\s+)?(?:then|after that|afterwards|next|finally)\b,?)\s*/i;
const POLITE_START = /^(?:please|jarvis|kindly)[,\s]+/i;

/** "Write …", "Mix …", "Please send …": starts with a word that is not a function word, and is not a question. */
function looksLikeInstruction(sentence: string): boolean {
  const first = words(sentence.replace(POLITE_START, ''))[0];
  return first !== undefined && !STOPWORDS.has(first) && !sentence.trim().endsWith('?');
}

/**
 * Steps are the message's list items if it has any; otherwise the clauses of sentences that
 * sequence actions ("…, then …, and finally …") and sentences that read as instructions.
 */
function extractSteps(text: string, sentences: string[]): string[] {
  const listed = text
    .split('\n')
    .map((line) => LIST_ITEM.exec(line)?.[1]?.trim())
    .filter((item): item is string => item !== undefined && item !== '');
  if (listed.length > 0) return listed.slice(0, MAX_STEPS);
  const steps = sentences.flatMap((sentence) => {
    const clauses = sentence.split(SEQUENCE_SPLIT).filter((c) => c.trim() !== '');
    if (clauses.length > 1) return clauses;
    return looksLikeInstruction(sentence) ? [sentence] : [];
  });
  return steps.map((s) => s.trim().replace(POLITE_START, '').replace(/[.!]+$/, '')).slice(0, MAX_STEPS);
}

function topKeywords(counts: Map<string, number>): string[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, MAX_KEYWORDS)
    .map(([w]) => w);
}

export function digest(text: string): Digest {
  const sentences = splitSentences(text.replace(LIST_ITEM_LINES, ''));
  const counts = frequencies(text);
  return { keyPoints: keySentences(sentences, counts), steps: extractSteps(text, splitSentences(text)), keywords: topKeywords(counts) };
}

/** The labelled text the offline provider answers with. */
export function renderDigest(d: Digest): string {
  const parts = [
    `${OFFLINE_MARKER} No language model is configured, so this reply was not generated: it is an extractive digest of your message (offline-v1).`,
  ];
  if (d.keyPoints.length > 0) parts.push(['Key points:', ...d.keyPoints.map((p) => `- ${p}`)].join('\n'));
  if (d.steps.length > 0) parts.push(['Steps:', ...d.steps.map((s, i) => `${i + 1}. ${s}`)].join('\n'));
  if (d.keywords.length > 0) parts.push(`Keywords: ${d.keywords.join(', ')}`);
  if (d.keyPoints.length === 0 && d.steps.length === 0) parts.push('(The message had no text to digest.)');
  return parts.join('\n\n');
}
