import { defineAction } from '../../sdk';
import { songConcept, songConceptParams } from './song-concept';

/** creative.song-concept: the rules' concept (no AI), one the local composer renders as planned. */
export function songConceptAction() {
  return defineAction({
    description: 'A song concept from a prompt by rules: title (a quoted name), genre, bpm, key, mood, sections adding up to the duration, theme',
    params: songConceptParams,
    async handler(params) {
      return songConcept(params);
    },
  });
}
