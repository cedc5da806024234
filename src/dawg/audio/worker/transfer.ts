import { types } from 'node:util';
import Piscina from 'piscina';

/**
 * The ArrayBuffers behind these views that may be moved: only a buffer the view covers whole
 * (moving a view into a larger or pooled buffer would take its neighbours along), and each once.
 */
export function ownBuffers(views: readonly ArrayBufferView[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const v of views) {
    // isArrayBuffer, not instanceof: Node's own buffers come from another realm under jest's vm.
    if (types.isArrayBuffer(v.buffer) && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) buffers.add(v.buffer);
  }
  return [...buffers];
}

type Movable = Parameters<typeof Piscina.move>[0];

/**
 * `value` for piscina to post with `transfer` as its transfer list: those buffers move to the
 * other thread (and are detached here) instead of being copied. `queueOptions` is what the
 * pool's load balancer sees of the task. The symbols are read off the
 * Piscina class: its named exports of them are lost under jest's CommonJS interop.
 */
export function movable(value: object, transfer: readonly ArrayBuffer[], queueOptions?: object): Movable {
  // Piscina reads queue options off the value it posts (the wrapper is unwrapped first); a
  // symbol-keyed property is not posted to the worker.
  const posted = queueOptions ? { ...value, [Piscina.queueOptionsSymbol]: queueOptions } : value;
  const wrapper = { [Piscina.transferableSymbol]: [...transfer], [Piscina.valueSymbol]: posted };
  return Piscina.move(wrapper as unknown as Movable) as Movable;
}
