export { FILE_PAGE_LIMIT, fileCursorSchema, type FileCursor, type FilePage } from './file-page';
export { FILE_ID, fileIdSchema, fileUrl, FileStore, storedFileSchema, type FileStoreOptions, type StoredFile } from './file-store';
export {
  assertMayChange,
  noteSchema,
  pluginSchema,
  PROJECT_ID,
  projectIdSchema,
  projectSchema,
  ProjectStore,
  trackSchema,
  trackSourceSchema,
  type Project,
  type Track,
} from './project-store';
