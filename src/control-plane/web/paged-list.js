// A newest-first list read page by page (the analytics and outbox panels): Refresh reads the
// first page, "older" appends the next, a read sequence drops answers a newer read replaced,
// and tasks completing close together cause one re-read.

import { describeUnavailable } from './api.js';
import { setStatus } from './dom.js';

/** Several tasks finishing together cause one read, not one each. */
const REFRESH_DELAY_MS = 500;

export class PagedList {
  /**
   * `fetchPage(before)` answers `{ items, nextBefore }` (before is null for the first page);
   * `render(failed)` draws the panel after every read; `what` names the list in errors.
   */
  constructor(root, { what, fetchPage, render }) {
    this.what = what;
    this.fetchPage = fetchPage;
    this.render = render;
    this.status = root.querySelector('.status');
    this.more = root.querySelector('button.more');
    root.querySelector('button.reload').addEventListener('click', () => void this.refresh());
    this.more.addEventListener('click', () => void this.load(this.nextBefore));
    this.items = [];
    this.nextBefore = null;
    this.readSeq = 0;
    this.refreshTimer = undefined;
  }

  clear() {
    clearTimeout(this.refreshTimer);
    this.readSeq += 1;
    this.items = [];
    this.nextBefore = null;
    this.more.hidden = true;
    setStatus(this.status, '');
  }

  refresh() {
    return this.load(null);
  }

  onTaskCompleted() {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  async load(before) {
    const seq = ++this.readSeq;
    let failed = false;
    try {
      const page = await this.fetchPage(before);
      if (seq !== this.readSeq) return; // a newer read answers instead
      this.items = before ? [...this.items, ...page.items] : page.items;
      this.nextBefore = page.nextBefore;
      setStatus(this.status, '');
    } catch (err) {
      if (seq !== this.readSeq) return;
      failed = true;
      if (!before) {
        this.items = [];
        this.nextBefore = null;
      }
      setStatus(this.status, describeUnavailable(this.what, err), 'error');
    }
    this.more.hidden = !this.nextBefore;
    this.render(failed);
  }
}
