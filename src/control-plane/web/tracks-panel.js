// Tracks: stored audio files (GET /api/v1/audio/files), and for the chosen one its waveform and
// short-term loudness curve (GET /api/v1/audio/files/:id/waveform) with a player. The audio is
// fetched with the key and played from a blob: URL (the page's CSP allows media from blob:).

import { describeError } from './api.js';
import { loudnessChart, waveformChart } from './charts.js';
import { asArray, asNumber, asObject, asString, formatBytes, formatDb, formatDuration, formatTime, h, replace, setStatus } from './dom.js';

const PAGE = 20;
const POINTS = 800;

export class TracksPanel {
  constructor(root, api) {
    this.api = api;
    this.status = root.querySelector('.status');
    this.list = root.querySelector('.files');
    this.more = root.querySelector('button.more');
    this.view = root.querySelector('.track-view');
    root.querySelector('button.reload').addEventListener('click', () => void this.refresh());
    this.more.addEventListener('click', () => void this.load(this.nextBefore));
    this.files = [];
    this.nextBefore = null;
    this.selected = null;
    this.blobUrl = null;
  }

  clear() {
    this.files = [];
    this.nextBefore = null;
    this.selected = null;
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

  async load(before) {
    try {
      const body = asObject(await this.api.get('/api/v1/audio/files', { limit: PAGE, before: before ?? undefined }));
      const page = asArray(body.files).map(asObject).filter((f) => typeof f.id === 'string');
      this.files = before ? [...this.files, ...page] : page;
      this.nextBefore = typeof body.nextBefore === 'string' ? body.nextBefore : null;
      setStatus(this.status, '');
    } catch (err) {
      setStatus(this.status, `Tracks: ${describeError(err)}`, 'error');
    }
    this.renderList();
  }

  renderList() {
    this.more.hidden = !this.nextBefore;
    if (!this.files.length) return replace(this.list, h('li', { class: 'empty' }, 'No stored audio files.'));
    replace(this.list, this.files.map((f) => {
      const lufs = asNumber(asObject(f.audio).integratedLufs);
      const button = h('button', { type: 'button', class: 'file', 'aria-pressed': String(this.selected === f.id) },
        h('span', { class: 'name' }, asString(f.name, f.id)),
        h('span', { class: 'meta' }, ` ${formatBytes(f.bytes)} · ${formatTime(f.createdAt)}${lufs === null ? '' : ` · ${lufs.toFixed(1)} LUFS`}`));
      button.addEventListener('click', () => void this.select(f));
      return h('li', { dataset: { fileId: f.id } }, button);
    }));
  }

  async select(file) {
    this.selected = file.id;
    this.releaseAudio();
    this.renderList();
    replace(this.view, h('p', { class: 'meta' }, `Reading the waveform of ${asString(file.name, file.id)}…`));
    let wave;
    try {
      wave = asObject(await this.api.get(`/api/v1/audio/files/${encodeURIComponent(file.id)}/waveform`, { points: POINTS }, { timeoutMs: 60_000 }));
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
    const loadButton = h('button', { type: 'button', class: 'load-audio' }, `Load audio (${formatBytes(file.bytes)})`);
    const playerStatus = h('span', { class: 'meta' });
    loadButton.addEventListener('click', () => void this.loadAudio(file, audio, loadButton, playerStatus));
    const lufs = asArray(loudness.lufs);
    replace(this.view,
      h('h3', {}, asString(file.name, file.id)),
      h('p', { class: 'meta track-facts' },
        `${formatDuration(duration)} · ${asString(wave.sampleRate, '?')} Hz · ${asString(wave.channels, '?')} ch · integrated ${formatDb(wave.integratedLufs, 'LUFS')} · true peak ${formatDb(wave.truePeakDbtp, 'dBTP')}`),
      h('div', { class: 'chart-label' }, 'Waveform (click to seek once the audio is loaded)'),
      waveform.svg,
      h('div', { class: 'chart-label' }, `Short-term loudness, LUFS (${asString(loudness.windowSeconds, '3')} s window${lufs.length ? '' : '; none for files under the window length'})`),
      loudnessChart({ lufs, hopSeconds: loudness.hopSeconds, windowSeconds: loudness.windowSeconds, durationSeconds: duration, integratedLufs: wave.integratedLufs }),
      h('div', { class: 'player' }, loadButton, ' ', playerStatus, audio));
  }

  async loadAudio(file, audio, button, status) {
    button.disabled = true;
    status.textContent = 'Downloading…';
    try {
      const blob = await this.api.blob(`/api/v1/audio/files/${encodeURIComponent(file.id)}`);
      if (this.selected !== file.id) return;
      this.releaseAudio();
      this.blobUrl = URL.createObjectURL(blob);
      audio.src = this.blobUrl;
      audio.hidden = false;
      button.hidden = true;
      status.textContent = '';
    } catch (err) {
      status.textContent = describeError(err);
      button.disabled = false;
    }
  }

  /** The downloaded audio stays in memory until its URL is revoked. */
  releaseAudio() {
    if (this.blobUrl) URL.revokeObjectURL(this.blobUrl);
    this.blobUrl = null;
  }
}
