export { ChannelAccess, type AccessResult, type ChannelAccessOptions } from './channel-access';
export { clientMessage, parseClientMessage, type ClientMessage, type ParsedClientMessage } from './client-messages';
export { createRealtimeHub, type CreateRealtimeHubOptions } from './create-realtime-hub';
export { forwardEvents, type EventSources } from './event-sources';
export {
  CLOSE_CODES,
  FIXED_CHANNELS,
  type Channel,
  type ChannelEvents,
  type ChannelKind,
  type EventMessage,
  type FixedChannel,
  type HubErrorCode,
  type HubMessage,
  type JobChannel,
  type PublicApproval,
  type ServerMessage,
  type TaskEventData,
  type TaskEventName,
} from './hub-events';
export { JobOwners, type JobOwner } from './job-owners';
export { MemoryRealtimeBus, type HubMessageListener, type RealtimeBus } from './realtime-bus';
export { MAX_MESSAGE_BYTES, MAX_SUBSCRIPTIONS, RealtimeHub, type RealtimeHubDeps } from './realtime-hub';
export { RedisRealtimeBus, type RedisRealtimeBusOptions } from './redis-realtime-bus';
export { HUB_PATH } from './upgrade-request';
