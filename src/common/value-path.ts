/**
 * The value at `path` inside `value` (object keys, one per element), or undefined where the
 * path leaves the object. How workflow steps read "stepKey.path.to.value" from an earlier
 * step's result, in the control plane's workflows and the DAWG's automation module alike.
 */
export function valueAt(value: unknown, path: readonly string[]): unknown {
  let current = value;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
