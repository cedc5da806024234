import pkg from '../../package.json';

/** The product version, from package.json, reported by /health and /status. */
export const VERSION: string = pkg.version;
