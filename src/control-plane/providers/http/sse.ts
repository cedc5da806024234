import { createParser, type EventSourceMessage } from 'eventsource-parser';

export type { EventSourceMessage };

/**
 * Server-sent events from a byte stream. Parsing (field rules, CRLF, multi-line `data:`,
 * comments such as keep-alives) is left to eventsource-parser; `onChunk` lets the caller
 * re-arm its idle timer whenever bytes arrive.
 */
export async function* readServerSentEvents(
  body: AsyncIterable<Buffer | string>,
  onChunk: () => void,
): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => pending.push(event) });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    onChunk();
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    yield* pending.splice(0);
  }
  // As the SSE spec says, an event cut off before its blank line is not dispatched.
  parser.feed(decoder.decode());
  yield* pending.splice(0);
}
