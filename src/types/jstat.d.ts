/**
 * Types for the parts of jstat 1.9 used here. The package ships no declarations; its CommonJS
 * export is the jStat function, which also carries itself as `jStat`.
 */
declare module 'jstat' {
  export const jStat: {
    normal: {
      /** The quantile of N(mean, sd²) at p (0 < p < 1). */
      inv(p: number, mean: number, sd: number): number;
    };
    studentt: {
      /** The quantile of Student's t with `dof` degrees of freedom at p (0 < p < 1). */
      inv(p: number, dof: number): number;
    };
  };
}
