/**
 * Trapezoidal (zero-delay-feedback) state-variable filter after Andrew Simper's "SvfLinearTrapOptimised2".
 * Chosen over a direct-form biquad because it stays stable and click-free while the cutoff
 * moves every few samples under an envelope, and one update gives low, band and high pass.
 * The synth keeps its own copy so it does not depend on the DSP package's filters.
 */
export class StateVariableFilter {
  private ic1 = 0;
  private ic2 = 0;
  // Second channel's state for lowpassBlockStereo.
  private jc1 = 0;
  private jc2 = 0;
  private a1 = 1;
  private a2 = 0;
  private a3 = 0;
  private k = Math.SQRT2;

  reset(): void {
    this.ic1 = 0;
    this.ic2 = 0;
    this.jc1 = 0;
    this.jc2 = 0;
  }

  /**
   * `resonance` 0 gives a Butterworth response (Q 0.707); 1 gives Q ≈ 24, close to self-oscillation.
   * The cutoff is clamped below Nyquist, where the bilinear prewarp would blow up.
   */
  setCutoff(cutoffHz: number, resonance: number, sampleRate: number): void {
    const fc = Math.min(Math.max(cutoffHz, 10), 0.45 * sampleRate);
    const g = Math.tan((Math.PI * fc) / sampleRate);
    this.k = Math.SQRT2 * (1 - 0.97 * resonance);
    this.a1 = 1 / (1 + g * (g + this.k));
    this.a2 = g * this.a1;
    this.a3 = g * this.a2;
  }

  /** Low-passes `buf[0..n)` in place. */
  lowpassBlock(buf: Float64Array, n: number): void {
    const { a1, a2, a3 } = this;
    let ic1 = this.ic1;
    let ic2 = this.ic2;
    for (let i = 0; i < n; i++) {
      const v3 = (buf[i] as number) - ic2;
      const v1 = a1 * ic1 + a2 * v3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      ic1 = 2 * v1 - ic1;
      ic2 = 2 * v2 - ic2;
      buf[i] = v2;
    }
    this.ic1 = ic1;
    this.ic2 = ic2;
  }

  /**
   * Low-passes two channels in place with the same coefficients. Interleaving the two
   * recursions lets the CPU overlap them: nearly twice the throughput of two mono passes.
   */
  lowpassBlockStereo(left: Float64Array, right: Float64Array, n: number): void {
    const { a1, a2, a3 } = this;
    let ic1 = this.ic1;
    let ic2 = this.ic2;
    let jc1 = this.jc1;
    let jc2 = this.jc2;
    for (let i = 0; i < n; i++) {
      const v3 = (left[i] as number) - ic2;
      const w3 = (right[i] as number) - jc2;
      const v1 = a1 * ic1 + a2 * v3;
      const w1 = a1 * jc1 + a2 * w3;
      const v2 = ic2 + a2 * ic1 + a3 * v3;
      const w2 = jc2 + a2 * jc1 + a3 * w3;
      ic1 = 2 * v1 - ic1;
      jc1 = 2 * w1 - jc1;
      ic2 = 2 * v2 - ic2;
      jc2 = 2 * w2 - jc2;
      left[i] = v2;
      right[i] = w2;
    }
    this.ic1 = ic1;
    this.ic2 = ic2;
    this.jc1 = jc1;
    this.jc2 = jc2;
  }

  lowpass(x: number): number {
    const v3 = x - this.ic2;
    const v1 = this.a1 * this.ic1 + this.a2 * v3;
    const v2 = this.ic2 + this.a2 * this.ic1 + this.a3 * v3;
    this.ic1 = 2 * v1 - this.ic1;
    this.ic2 = 2 * v2 - this.ic2;
    return v2;
  }

  bandpass(x: number): number {
    const v3 = x - this.ic2;
    const v1 = this.a1 * this.ic1 + this.a2 * v3;
    const v2 = this.ic2 + this.a2 * this.ic1 + this.a3 * v3;
    this.ic1 = 2 * v1 - this.ic1;
    this.ic2 = 2 * v2 - this.ic2;
    return v1;
  }

  highpass(x: number): number {
    const v3 = x - this.ic2;
    const v1 = this.a1 * this.ic1 + this.a2 * v3;
    const v2 = this.ic2 + this.a2 * this.ic1 + this.a3 * v3;
    this.ic1 = 2 * v1 - this.ic1;
    this.ic2 = 2 * v2 - this.ic2;
    return x - this.k * v1 - v2;
  }
}
