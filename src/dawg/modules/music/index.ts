export { createMusicModule, type MusicModuleDeps } from './music.module';
