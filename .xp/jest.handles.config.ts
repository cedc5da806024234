import base from '../jest.config';
export default { ...base, rootDir: '..', testEnvironment: '<rootDir>/.xp/handles-env.js' };
