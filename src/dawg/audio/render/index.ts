/**
 * Offline rendering of DAWG projects and the mixing computations built on it. Named exports
 * only: everything here is public API of the audio engine.
 */
export { RENDER_LIMITS, renderProject } from './render-project';
export type { MidiRenderer, RenderDeps, RenderedProject, RenderedTrack, RenderOptions } from './render-project';
export { applyPluginChain } from './plugin-chain';
export type { Plugin, PluginReport, PluginType } from './plugin-chain';
export { RenderCache, type ChainState, type RenderAt, type RenderCacheOptions } from './render-cache';
export { renderMidiWithSynth } from './synth-midi-renderer';
export { BAND_EDGES_HZ, bandEnergy, type BandEnergy } from './band-energy';
export { EQ_PROFILES, eqProfileBands, eqProfileSchema, type EqProfileName } from './eq-profiles';
export { DELAY_PATTERN, delayPatternMs } from './delay-patterns';
export { balanceLevels, faderLoudness, type BalancedTrack, type BalanceResult, type BalanceTrack } from './level-balance';
export { fftSizeFor, WELCH, welchSpectrum, type WelchResult, type WelchSpectrum } from './resonance-spectrum';
export { detectResonances, RESONANCE_LIMITS, type Resonance, type ResonanceDetection, type ResonanceOptions, type SpectrumProbe } from './resonance-detection';
export { MAX_RESONANCE_CUT_DB, resonanceCuts, type ResonanceCut } from './resonance-correction';
