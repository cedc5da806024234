/**
 * Zeroth-order modified Bessel function of the first kind, by its power series (stops once a
 * term no longer changes the sum in double precision). The Kaiser windows of the resampler
 * and of both oversampling filters are built on it.
 */
export function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term <= sum * 1e-17) break;
  }
  return sum;
}
