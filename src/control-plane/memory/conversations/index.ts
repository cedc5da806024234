export { ConversationStore, type ConversationStoreOptions } from '../conversation-store';
export {
  MESSAGE_ROLES,
  AppendMessagesSchema,
  ConversationUserIdSchema,
  HistoryWindowQuerySchema,
  ListMessagesQuerySchema,
  NewMessageSchema,
  SessionIdSchema,
  type AppendMessagesInput,
  type ConversationMessage,
  type HistoryWindowQuery,
  type ListMessagesQuery,
  type MessagePage,
  type MessageRole,
  type NewMessage,
} from './conversation-schemas';
