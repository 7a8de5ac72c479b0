export { ApiError, type Client, type ClientOptions, createClient } from './client.ts';
export {
  createRealtime,
  type Realtime,
  type RealtimeOptions,
  type RealtimeStatus,
  type SocketLike,
} from './realtime.ts';
