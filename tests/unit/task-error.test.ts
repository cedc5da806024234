import { AppError } from '../../src/common/errors';
import { toTaskError } from '../../src/control-plane/agents/task-runner';
import { storableJson } from '../../src/control-plane/agents/task-store';

describe('toTaskError', () => {
  it('keeps an application error whole when it can be stored', () => {
    const error = toTaskError(new AppError(409, 'CONFLICT', 'Mix 🎚 already running', { projectId: 'p1' }));
    expect(error).toEqual({ code: 'CONFLICT', message: 'Mix 🎚 already running', details: { projectId: 'p1' } });
  });

  it('names any other failure TASK_FAILED with its message', () => {
    expect(toTaskError(new TypeError('x is not a function'))).toEqual({ code: 'TASK_FAILED', message: 'x is not a function' });
    expect(toTaskError('plain text')).toEqual({ code: 'TASK_FAILED', message: 'plain text' });
  });

  it('drops what cannot be stored and replaces only the broken characters of the message', () => {
    // BigInt details, a NUL and half a surrogate pair cannot go into jsonb; the emoji (a whole pair) can.
    const error = toTaskError(new AppError(500, 'UPSTREAM', 'bad \u0000 byte, cut \ud83c, kept 🎵', { size: 10n }));
    expect(error).toEqual({ code: 'UPSTREAM', message: 'bad \ufffd byte, cut \ufffd, kept 🎵' });
    expect(storableJson(error).ok).toBe(true);
  });
});
