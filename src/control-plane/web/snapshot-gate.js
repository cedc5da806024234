// A panel's HTTP snapshot and its live events, kept in order. Events that arrive while the
// snapshot is being read are held and applied after it, so the read cannot overwrite them; a
// refresh asked for during a read (the socket has just subscribed) runs once more afterwards,
// or events between the first read and the subscription would be missed.

export class SnapshotGate {
  /**
   * @param {() => Promise<void>} read   reads the snapshot (reports its own errors)
   * @param {(...event: unknown[]) => unknown} apply   applies one event; false when nothing shown changed
   * @param {() => void} render
   */
  constructor(read, apply, render) {
    this.read = read;
    this.apply = apply;
    this.render = render;
    this.loading = false;
    this.again = false;
    this.queued = [];
  }

  async refresh() {
    if (this.loading) return void (this.again = true);
    this.loading = true;
    try {
      await this.read();
    } finally {
      this.loading = false;
      for (const event of this.queued.splice(0)) this.apply(...event);
      this.render();
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    }
  }

  /** Applies an event now (and renders unless it changed nothing), or after the read in progress. */
  event(...event) {
    if (this.loading) return void this.queued.push(event);
    if (this.apply(...event) !== false) this.render();
  }
}
