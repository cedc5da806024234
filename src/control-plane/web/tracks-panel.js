// Tracks: stored audio files (GET /api/v1/audio/files), and for the chosen one its waveform and
// short-term loudness curve (GET /api/v1/audio/files/:id/waveform) with a player. The player
// streams the audio (byte ranges, so it starts at once and seeks without downloading the rest)
// from a short-lived media link (POST /api/v1/media-links), since an <audio> element cannot send
// the key; an expired link is replaced where playback stood.
// The same panel shows the music catalog (CATALOG_SOURCE): published tracks, their waveform as
// measured when published, and their stream.

import { describeError } from './api.js';
import { loudnessChart, waveformChart } from './charts.js';
import { asArray, asNumber, asObject, asString, formatBytes, formatDb, formatDuration, formatTime, h, replace, setStatus } from './dom.js';

const PAGE = 20;
const POINTS = 800;

const enc = encodeURIComponent;

/** The DAWG's stored files. */
export const FILES_SOURCE = {
  name: 'Tracks',
  list: '/api/v1/audio/files',
  items: (body) => body.files,
  waveform: (id) => `/api/v1/audio/files/${enc(id)}/waveform`,
  audio: (id) => `/api/v1/audio/files/${enc(id)}`,
  title: (f) => asString(f.name, f.id),
  facts: (f) => {
    const lufs = asNumber(asObject(f.audio).integratedLufs);
    return `${formatBytes(f.bytes)} · ${formatTime(f.createdAt)}${lufs === null ? '' : ` · ${lufs.toFixed(1)} LUFS`}`;
  },
  empty: 'No stored audio files.',
};

/** The music catalog: tracks published by deploy-to-catalog (the production scenario's last step). */
export const CATALOG_SOURCE = {
  name: 'Catalog',
  list: '/catalog/tracks',
  items: (body) => body.tracks,
  waveform: (id) => `/catalog/tracks/${enc(id)}/waveform`,
  audio: (id) => `/catalog/tracks/${enc(id)}/stream`,
  title: (t) => asString(t.title, t.id),
  facts: (t) => {
    const a = asObject(t.analytics);
    return `${asString(t.format, '')} · ${formatDuration(asNumber(t.durationSeconds))} · ${formatDb(a.lufs, 'LUFS')} · ${formatTime(t.publishedAt)}`;
  },
  empty: 'No published tracks yet.',
  // Every published track is worth seeing at once: the newest is opened when it appears.
  openNewest: true,
};

export class TracksPanel {
  constructor(root, api, source = FILES_SOURCE) {
    this.api = api;
    this.source = source;
    this.status = root.querySelector('.status');
    this.list = root.querySelector('.files');
    this.more = root.querySelector('button.more');
    this.view = root.querySelector('.track-view');
    root.querySelector('button.reload').addEventListener('click', () => void this.refresh());
    this.more.addEventListener('click', () => void this.load(this.nextBefore));
    this.files = [];
    this.nextBefore = null;
    this.selected = null;
    this.link = null;
  }

  clear() {
    this.files = [];
    this.nextBefore = null;
    this.selected = null;
    this.newestId = undefined;
    this.releaseAudio();
    replace(this.list);
    replace(this.view);
    this.more.hidden = true;
    setStatus(this.status, '');
  }

  refresh() {
    this.files = [];
    return this.load(null);
  }

  /** A task finished: it may have published a track (catalog) or stored a file. */
  onTaskCompleted() {
    return this.refresh();
  }

  async load(before) {
    try {
      const body = asObject(await this.api.get(this.source.list, { limit: PAGE, before: before ?? undefined }));
      const page = asArray(this.source.items(body)).map(asObject).filter((f) => typeof f.id === 'string');
      this.files = before ? [...this.files, ...page] : page;
      this.nextBefore = typeof body.nextBefore === 'string' ? body.nextBefore : null;
      setStatus(this.status, '');
    } catch (err) {
      setStatus(this.status, `${this.source.name}: ${describeError(err)}`, 'error');
    }
    this.renderList();
    if (before) return;
    // undefined until the first page was read: what was there when the page opened is not "new".
    const seen = this.newestId;
    const newest = this.files[0];
    this.newestId = newest?.id ?? null;
    if (this.source.openNewest && seen !== undefined && newest && newest.id !== seen) await this.select(newest);
  }

  renderList() {
    this.more.hidden = !this.nextBefore;
    if (!this.files.length) return replace(this.list, h('li', { class: 'empty' }, this.source.empty));
    replace(this.list, this.files.map((f) => {
      const button = h('button', { type: 'button', class: 'file', 'aria-pressed': String(this.selected === f.id) },
        h('span', { class: 'name' }, this.source.title(f)),
        h('span', { class: 'meta' }, ` ${this.source.facts(f)}`));
      button.addEventListener('click', () => void this.select(f));
      return h('li', { dataset: { fileId: f.id } }, button);
    }));
  }

  async select(file) {
    this.selected = file.id;
    this.releaseAudio();
    this.renderList();
    replace(this.view, h('p', { class: 'meta' }, `Reading the waveform of ${this.source.title(file)}…`));
    let wave;
    try {
      const query = this.source === FILES_SOURCE ? { points: POINTS } : {};
      wave = asObject(await this.api.get(this.source.waveform(file.id), query, { timeoutMs: 60_000 }));
    } catch (err) {
      if (this.selected === file.id) replace(this.view, h('p', { class: 'status', dataset: { kind: 'error' } }, describeError(err)));
      return;
    }
    if (this.selected !== file.id) return; // another track was chosen meanwhile
    this.renderTrack(file, wave);
  }

  renderTrack(file, wave) {
    const duration = asNumber(wave.durationSeconds);
    const loudness = asObject(wave.loudness);
    const audio = h('audio', { controls: true, preload: 'metadata', hidden: true });
    const waveform = waveformChart(asArray(wave.peaks), (fraction) => {
      if (audio.src && Number.isFinite(audio.duration)) audio.currentTime = fraction * audio.duration;
    });
    audio.addEventListener('timeupdate', () => waveform.setPlayhead(audio.duration ? audio.currentTime / audio.duration : null));
    const loadButton = h('button', { type: 'button', class: 'load-audio' }, `Play (${formatBytes(file.bytes)}, streamed)`);
    const playerStatus = h('span', { class: 'meta' });
    loadButton.addEventListener('click', () => void this.loadAudio(file, audio, loadButton, playerStatus));
    const lufs = asArray(loudness.lufs);
    replace(this.view,
      h('h3', {}, this.source.title(file)),
      h('p', { class: 'meta track-facts' },
        `${formatDuration(duration)} · ${asString(wave.sampleRate, '?')} Hz · ${asString(wave.channels, '?')} ch · integrated ${formatDb(wave.integratedLufs, 'LUFS')} · true peak ${formatDb(wave.truePeakDbtp, 'dBTP')}`),
      h('div', { class: 'chart-label' }, 'Waveform (click to seek once the player is open)'),
      waveform.svg,
      h('div', { class: 'chart-label' }, `Short-term loudness, LUFS (${asString(loudness.windowSeconds, '3')} s window${lufs.length ? '' : '; none for files under the window length'})`),
      loudnessChart({ lufs, hopSeconds: loudness.hopSeconds, windowSeconds: loudness.windowSeconds, durationSeconds: duration, integratedLufs: wave.integratedLufs }),
      h('div', { class: 'player' }, loadButton, ' ', playerStatus, audio));
  }

  async loadAudio(file, audio, button, status) {
    button.disabled = true;
    status.textContent = 'Opening the stream…';
    try {
      await this.openStream(file, audio);
      if (this.selected !== file.id) return;
      audio.hidden = false;
      button.hidden = true;
      status.textContent = '';
      // A link ends after an hour: take a new one and go on from where playback stood.
      audio.addEventListener('error', () => {
        if (this.selected !== file.id || !this.link || Date.parse(this.link.expiresAt) > Date.now()) {
          status.textContent = 'The audio could not be played.';
          return;
        }
        const at = audio.currentTime;
        this.openStream(file, audio).then(
          () => audio.addEventListener('loadedmetadata', () => (audio.currentTime = at), { once: true }),
          (err) => (status.textContent = describeError(err)),
        );
      });
    } catch (err) {
      status.textContent = describeError(err);
      button.disabled = false;
    }
  }

  /** Points the player at a fresh media link to the file. */
  async openStream(file, audio) {
    const link = asObject(await this.api.post('/api/v1/media-links', { path: this.source.audio(file.id) }));
    if (this.selected !== file.id) return;
    this.link = { url: asString(link.url, ''), expiresAt: asString(link.expiresAt, '') };
    audio.src = this.link.url;
  }

  /** Forgets the current track's link (the player that used it goes with the view). */
  releaseAudio() {
    this.link = null;
  }
}
