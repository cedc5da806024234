import { GroupCommit } from '../../src/common/group-commit';

describe('GroupCommit', () => {
  it('writes what arrives together in one batch and answers each caller with its own result', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      return items.map((i) => i * 10);
    });
    const results = await Promise.all([1, 2, 3].map((i) => gc.submit(i)));
    expect(results).toEqual([10, 20, 30]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('collects what arrives during a flush into the next batch, and respects the batch size', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const gc = new GroupCommit<number, number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await gate;
      return items;
    }, { maxBatch: 2 });
    const first = gc.submit(1);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [2, 3, 4].map((i) => gc.submit(i));
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3], [4]]);
  });

  it('when a batch fails because of one item, tries its items one by one so only that one fails', async () => {
    const gc = new GroupCommit<number, number>(
      async (items) => {
        if (items.includes(13)) throw Object.assign(new Error('unlucky'), { code: '22P02' });
        return items;
      },
      { splitOnError: (err) => (err as { code?: string }).code === '22P02' },
    );
    const results = await Promise.allSettled([12, 13, 14].map((i) => gc.submit(i)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'unlucky' });
    await gc.idle();
  });

  it('rejects every caller while the database is down, and keeps working afterwards', async () => {
    let fail = true;
    const gc = new GroupCommit<number, number>(async (items) => {
      if (fail) throw new Error('database down');
      return items;
    });
    await expect(Promise.all([gc.submit(1), gc.submit(2)])).rejects.toThrow('database down');
    fail = false;
    await expect(gc.submit(3)).resolves.toBe(3);
    await gc.idle();
  });
});
