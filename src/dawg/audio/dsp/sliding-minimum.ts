/**
 * Minimum over a sliding window of a stream, O(1) amortised per value: a deque of the
 * values that could still become the minimum, ascending from the front, in ring buffers
 * so nothing is allocated per value.
 */
export class SlidingMinimum {
  private readonly values: Float64Array;
  private readonly positions: Float64Array;
  private readonly mask: number;
  private head = 0;
  private tail = 0;

  /** `capacity`: the most values the window can hold at once. */
  constructor(capacity: number) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(2, capacity + 1)));
    this.values = new Float64Array(size);
    this.positions = new Float64Array(size);
    this.mask = size - 1;
  }

  /** Adds the value at stream position `position` (positions must increase). */
  push(position: number, value: number): void {
    const mask = this.mask;
    // A value at least as large as a later one can never be the minimum again.
    while (this.tail > this.head && this.values[(this.tail - 1) & mask]! >= value) this.tail--;
    this.values[this.tail & mask] = value;
    this.positions[this.tail & mask] = position;
    this.tail++;
  }

  /** Drops values at positions before `position`. */
  evictBefore(position: number): void {
    while (this.tail > this.head && this.positions[this.head & this.mask]! < position) this.head++;
  }

  /** The minimum of the window; +Infinity when empty. */
  get minimum(): number {
    return this.tail > this.head ? this.values[this.head & this.mask]! : Infinity;
  }

  clear(): void {
    this.head = 0;
    this.tail = 0;
  }
}
