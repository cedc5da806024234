/**
 * Types for fft.js 4 (indutny's radix-4 FFT). The package ships declarations generated from
 * its JavaScript that type every argument `any`; this ambient module takes precedence over
 * them, so callers are checked. Complex arrays interleave re and im: 2·size numbers.
 */
declare module 'fft.js' {
  class FFT {
    /** `size` must be a power of two, at least 2. */
    constructor(size: number);
    readonly size: number;
    createComplexArray(): number[];
    toComplexArray(input: ArrayLike<number>, storage?: number[] | Float64Array): number[];
    fromComplexArray(complex: ArrayLike<number>, storage?: number[] | Float64Array): number[];
    completeSpectrum(spectrum: number[] | Float64Array): void;
    transform(out: number[] | Float64Array, data: ArrayLike<number>): void;
    /** Fills bins 0 … size/2 of `out` (indices 0 … size + 1); the rest of `out` is left as scratch. */
    realTransform(out: number[] | Float64Array, data: ArrayLike<number>): void;
    inverseTransform(out: number[] | Float64Array, data: ArrayLike<number>): void;
  }
  export = FFT;
}
