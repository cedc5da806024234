import { OFFLINE_MARKER, OfflineProvider, type ChatRequest, type ChatStreamEvent } from '../../src/control-plane/providers';

const REQUEST: ChatRequest = {
  model: 'whatever-the-router-asked',
  messages: [
    { role: 'system', content: 'You are Jarvis.' },
    {
      role: 'user',
      content:
        'I recorded vocals for the new song yesterday. The vocals sound muddy and the mix is too quiet. ' +
        'Please clean up the vocals, then balance the mix and finally master the track to -14 LUFS. Can you also suggest a title?',
    },
  ],
};

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

describe('offline chat', () => {
  const provider = new OfflineProvider();

  test('is labelled, estimated and deterministic', async () => {
    const first = await provider.chat(REQUEST);
    const second = await new OfflineProvider().chat(structuredClone(REQUEST));
    expect(second).toEqual(first);
    expect(first).toMatchObject({ provider: 'offline', model: 'offline-v1', finishReason: 'stop', usage: { estimated: true } });
    expect(first.content.startsWith(OFFLINE_MARKER)).toBe(true);
    expect(first.usage.outputTokens).toBe(Math.ceil(first.content.length / 4));
  });

  test('digests the last user message into key points, steps and keywords', async () => {
    const { content } = await provider.chat(REQUEST);
    expect(content).toContain('Key points:\n- I recorded vocals for the new song yesterday.');
    expect(content).toContain('Steps:\n1. clean up the vocals\n2. balance the mix\n3. master the track to -14 LUFS');
    expect(content).toContain('Keywords: vocals, mix,');
    expect(content).not.toContain('You are Jarvis');
  });

  test('list items in the message are the steps', async () => {
    const { content } = await provider.chat({
      model: 'm',
      messages: [{ role: 'user', content: 'Release plan:\n- export stems\n- master the album\n3. upload to the distributor' }],
    });
    expect(content).toContain('Steps:\n1. export stems\n2. master the album\n3. upload to the distributor');
  });

  test('different messages give different answers', async () => {
    const a = await provider.chat({ model: 'm', messages: [{ role: 'user', content: 'Mix the drums louder.' }] });
    const b = await provider.chat({ model: 'm', messages: [{ role: 'user', content: 'Write lyrics about rain.' }] });
    expect(a.content).not.toBe(b.content);
    expect(a.content).toContain('1. Mix the drums louder');
  });

  test('maxOutputTokens truncates like a model would (length) but keeps the label', async () => {
    const result = await provider.chat({ ...REQUEST, maxOutputTokens: 10 });
    expect(result.content).toHaveLength(40);
    expect(result.content.startsWith(OFFLINE_MARKER)).toBe(true);
    expect(result.finishReason).toBe('length');
  });

  test('the stream yields the same content as chat, then one done', async () => {
    const events: ChatStreamEvent[] = [];
    for await (const event of provider.chatStream(REQUEST)) events.push(event);
    const chat = await provider.chat(REQUEST);
    const text = events.map((e) => (e.type === 'delta' ? e.text : '')).join('');
    expect(text).toBe(chat.content);
    expect(events.filter((e) => e.type === 'done')).toEqual([{ type: 'done', result: chat }]);
    expect(events[events.length - 1]?.type).toBe('done');
  });

  test('an aborted signal is honoured', async () => {
    await expect(provider.chat({ ...REQUEST, signal: AbortSignal.abort() })).rejects.toMatchObject({ kind: 'aborted', provider: 'offline' });
  });
});

describe('offline embeddings (feature hashing)', () => {
  const provider = new OfflineProvider();

  test('deterministic, 1536 dimensions by default, unit length', async () => {
    const a = await provider.embed({ model: 'any', input: ['master the vocal track', 'bake a chocolate cake'] });
    const b = await new OfflineProvider().embed({ model: 'any', input: ['master the vocal track', 'bake a chocolate cake'] });
    expect(b).toEqual(a);
    expect(a).toMatchObject({ provider: 'offline', model: 'offline-embed-v1', usage: { estimated: true } });
    for (const v of a.vectors) {
      expect(v).toHaveLength(1536);
      expect(Math.sqrt(cosine(v, v))).toBeCloseTo(1, 10);
    }
  });

  test('shared words and word pieces score higher than unrelated text', async () => {
    const { vectors } = await provider.embed({ model: 'm', input: ['master the vocal track', 'mastering the vocals track', 'bake a chocolate cake'] });
    const [query, near, far] = vectors as [number[], number[], number[]];
    expect(cosine(query, near)).toBeGreaterThan(0.5);
    expect(cosine(query, far)).toBeLessThan(0.2);
  });

  test('function words alone do not make texts similar; inflections and shared phrases do', async () => {
    const { vectors } = await provider.embed({
      model: 'm',
      input: ['What is the tempo of the song?', 'It is the end of the day.', 'The songs were mixed', 'mixing a song', 'mix vocals', 'vocals mix'],
    });
    const [tempo, day, mixed, mixing, mixVocals, vocalsMix] = vectors as [number[], number[], number[], number[], number[], number[]];
    expect(cosine(tempo, day)).toBeLessThan(0.1);
    expect(cosine(mixed, mixing)).toBeGreaterThan(0.4);
    // Same words, other order: close, but the shared bigram makes "mix vocals" closer to itself.
    expect(cosine(mixVocals, vocalsMix)).toBeGreaterThan(0.6);
    expect(cosine(mixVocals, vocalsMix)).toBeLessThan(0.95);
  });

  test('repeating a word grows its weight sublinearly', async () => {
    const { vectors } = await provider.embed({ model: 'm', input: ['drums', 'drums drums drums drums', 'drums bass', 'drums drums drums drums bass'] });
    const [once, four, pair, heavy] = vectors as [number[], number[], number[], number[]];
    expect(cosine(once, four)).toBeCloseTo(1, 10);
    // Raw counts would weigh "drums" 4:1 against "bass" (cosine to plain "drums" ≈ 4/√17 ≈ 0.97);
    // 1 + ln 4 ≈ 2.4 keeps "bass" audible.
    expect(cosine(pair, heavy)).toBeGreaterThan(0.9);
    expect(cosine(once, heavy)).toBeLessThan(0.93);
    expect(cosine(once, heavy)).toBeGreaterThan(cosine(once, pair));
  });

  test('no letters or digits gives a zero vector; dimensions are configurable', async () => {
    const { vectors } = await new OfflineProvider({ embeddingDimensions: 64 }).embed({ model: 'm', input: ['', '!!!', 'ok'] });
    expect(vectors.map((v) => v.length)).toEqual([64, 64, 64]);
    expect(vectors[0]?.every((x) => x === 0)).toBe(true);
    expect(vectors[1]?.every((x) => x === 0)).toBe(true);
    expect(vectors[2]?.some((x) => x !== 0)).toBe(true);
  });

  test('invalid dimensions are refused at construction', () => {
    expect(() => new OfflineProvider({ embeddingDimensions: 0 })).toThrow(RangeError);
  });
});
