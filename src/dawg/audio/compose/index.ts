export { compose, compositionSchema, GENRES, type Composition, type CompositionInput, type Genre } from './procedural-composer';
